package notify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// mailbox is an in-process SMTP server (github.com/emersion/go-smtp) that
// records what it receives.
type mailbox struct {
	addr      string
	pool      *x509.CertPool // trusts the server's certificate
	mu        sync.Mutex
	messages  [][]byte
	authTLS   []bool // for each login: was the connection encrypted
	failData  atomic.Int32
	rejectTo  string
	password  string
	dataCalls atomic.Int32
}

func newMailbox(t *testing.T, startTLS bool) *mailbox {
	t.Helper()
	mb := &mailbox{password: "s3cret-pw"}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{mb: mb, conn: c}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = !startTLS
	if startTLS {
		cert, pool := selfSigned(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		mb.pool = pool
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return mb
}

type session struct {
	mb   *mailbox
	conn *smtp.Conn
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		_, encrypted := s.conn.TLSConnectionState()
		s.mb.mu.Lock()
		s.mb.authTLS = append(s.mb.authTLS, encrypted)
		s.mb.mu.Unlock()
		if user != "payroll" || pass != s.mb.password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		return nil
	}), nil
}

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == s.mb.rejectTo {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.dataCalls.Add(1)
	if s.mb.failData.Add(-1) >= 0 {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.mb.mu.Lock()
	s.mb.messages = append(s.mb.messages, b)
	s.mb.mu.Unlock()
	return nil
}

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test mail"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func (mb *mailbox) mail(t *testing.T, user, pass string) *Mail {
	t.Helper()
	host, port, _ := net.SplitHostPort(mb.addr)
	userinfo := ""
	if user != "" {
		userinfo = user + ":" + pass + "@"
	}
	srv, err := ParseSMTPURL("smtp://" + userinfo + host + ":" + port + "?from=rewards@example.com")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMail(srv, []string{"HR Team <hr@example.com>", "ops@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if mb.pool != nil {
		m.TLSConfig = &tls.Config{RootCAs: mb.pool, ServerName: host}
	}
	return m
}

// TestMailStartTLSWithAttachment: the password goes only over STARTTLS,
// and summary.html arrives attached, byte for byte.
func TestMailStartTLSWithAttachment(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t, true)
	html := "<html><body><h1>Run r1</h1>" + strings.Repeat("<p>row ✓</p>", 50) + "</body></html>"
	ev := sampleEvent()
	ev.HTMLReport = filepath.Join(t.TempDir(), SummaryHTML)
	if err := os.WriteFile(ev.HTMLReport, []byte(html), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := (&Notifier{Mail: mb.mail(t, "payroll", mb.password), Backoff: fastBackoff}).Notify(context.Background(), ev)
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if got := rep.Deliveries[0].Target; got != "mail to h***@example.com, op***@example.com" {
		t.Errorf("target %q", got)
	}
	if len(mb.authTLS) != 1 || !mb.authTLS[0] {
		t.Fatalf("logins (encrypted?): %v", mb.authTLS)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(mb.messages[0])))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != ev.Title() || msg.Header.Get("From") != "rewards@example.com" || msg.Header.Get("To") != "hr@example.com, ops@example.com" {
		t.Errorf("headers: %v (subject %q)", msg.Header, subject)
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	mr := multipart.NewReader(msg.Body, params["boundary"])
	text, _ := mr.NextPart()
	body, _ := io.ReadAll(text) // quoted-printable is decoded by NextPart
	if !strings.Contains(string(body), "Rows: 120 (FAILED 2, MATCHED 118)") {
		t.Errorf("text part: %q", body)
	}
	att, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(base64Reader(att))
	if att.FileName() != SummaryHTML || string(got) != html {
		t.Errorf("attachment %q: %q", att.FileName(), got)
	}
}

func TestMailOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		startTLS  bool
		user      string
		pass      string
		failData  int32
		rejectTo  string
		attempts  int
		errSubstr string
	}{
		{"relay without login or TLS", false, "", "", 0, "", 1, ""},
		{"a temporary refusal is retried", false, "", "", 1, "", 2, ""},
		{"a wrong password is not retried", true, "payroll", "wrong-pw", 0, "", 1, "login as payroll"},
		{"an unknown recipient is not retried", false, "", "", 0, "ops@example.com", 1, "recipient op***@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mb := newMailbox(t, tt.startTLS)
			mb.failData.Store(tt.failData)
			mb.rejectTo = tt.rejectTo
			rep := (&Notifier{Mail: mb.mail(t, tt.user, tt.pass), Backoff: fastBackoff}).Notify(context.Background(), sampleEvent())
			d := rep.Deliveries[0]
			if d.Attempts != tt.attempts {
				t.Errorf("attempts %d, want %d (%v)", d.Attempts, tt.attempts, d.Err)
			}
			if tt.errSubstr == "" {
				if d.Err != nil || len(mb.messages) != 1 {
					t.Errorf("not delivered: %v, %d messages", d.Err, len(mb.messages))
				}
				return
			}
			if d.Err == nil || !strings.Contains(d.Err.Error(), tt.errSubstr) || (tt.pass != "" && strings.Contains(d.Err.Error(), tt.pass)) ||
				!errors.Is(d.Err, ErrDelivery) {
				t.Errorf("error %v, want one with %q and without the password", d.Err, tt.errSubstr)
			}
		})
	}
}

func TestParseSMTPURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in         string
		tls        bool
		host, port string
		user, from string
		bad        string
	}{
		{in: "smtp://u:p%40ss@mail.example.com?from=r@example.com", host: "mail.example.com", port: "587", user: "u", from: "r@example.com"},
		{in: "smtps://u:pw@mail.example.com?from=Rewards%20%3Cr@example.com%3E", tls: true, host: "mail.example.com", port: "465", user: "u", from: "r@example.com"},
		{in: "smtp://relay:25?from=r@example.com", host: "relay", port: "25", from: "r@example.com"},
		{in: "http://u:topsecret@mail.example.com?from=r@example.com", bad: "scheme"},
		{in: "smtp://u:topsecret@mail.example.com", bad: "sender"},
		{in: "smtp://u:topsecret@?from=r@example.com", bad: "no host"},
	}
	for _, tt := range tests {
		m, err := ParseSMTPURL(tt.in)
		if tt.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tt.bad) || strings.Contains(err.Error(), "topsecret") || !errors.Is(err, ErrMailURL) {
				t.Errorf("%s: err %v", tt.in, err)
			}
			continue
		}
		if err != nil || m.TLS != tt.tls || m.Host != tt.host || m.Port != tt.port || m.User != tt.user || m.From != tt.from {
			t.Errorf("%s: %+v, %v", tt.in, m, err)
		}
		if strings.Contains(m.String(), "pw") || strings.Contains(m.String(), "p%40ss") {
			t.Errorf("String() shows the password: %s", m)
		}
	}
	if _, err := NewMail(&MailServer{}, []string{"not an address"}); err == nil {
		t.Error("NewMail took a bad address")
	}
}
