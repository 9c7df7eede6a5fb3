package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/mask"
)

// EnvSMTPURL is the variable that names the mail server.
const EnvSMTPURL = "REWARDBATCH_SMTP_URL"

// MailServer is a parsed SMTP URL:
// smtp://user:pass@host:587?from=payroll@example.com (STARTTLS when the
// server offers it) or smtps://...:465 (TLS from the start).
type MailServer struct {
	TLS      bool // smtps: TLS from the first byte
	Host     string
	Port     string
	User     string
	password string
	From     string
	masked   string
}

// ErrMailURL is wrapped by every error about an SMTP URL.
var ErrMailURL = errors.New("smtp url")

// ParseSMTPURL reads an SMTP URL. Its errors show the URL masked.
func ParseSMTPURL(s string) (*MailServer, error) {
	bad := func(why string) error {
		return fmt.Errorf("%w %s: %s; write smtp://user:password@host:587?from=sender@example.com", ErrMailURL, mask.URL(s), why)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, bad("not a URL")
	}
	m := &MailServer{Host: u.Hostname(), Port: u.Port(), masked: mask.URL(s)}
	switch u.Scheme {
	case "smtp":
		m.Port = cmpOr(m.Port, "587")
	case "smtps":
		m.TLS, m.Port = true, cmpOr(m.Port, "465")
	default:
		return nil, bad("the scheme must be smtp or smtps")
	}
	if m.Host == "" {
		return nil, bad("no host")
	}
	if u.User != nil {
		m.User = u.User.Username()
		m.password, _ = u.User.Password()
	}
	from, err := mail.ParseAddress(u.Query().Get("from"))
	if err != nil {
		return nil, bad("no valid sender in ?from=")
	}
	m.From = from.Address
	return m, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// String is the URL with its secrets masked.
func (m *MailServer) String() string { return m.masked }

// Mail sends the event by e-mail.
type Mail struct {
	Server *MailServer
	To     []string // plain addresses
	// TLSConfig verifies the server; nil uses the system's roots and the
	// server's host name.
	TLSConfig *tls.Config
}

// NewMail checks the recipients and returns a Mail.
func NewMail(server *MailServer, to []string) (*Mail, error) {
	if len(to) == 0 {
		return nil, errors.New("mail: no recipient")
	}
	addrs := make([]string, len(to))
	for i, t := range to {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return nil, fmt.Errorf("mail to %q: not an e-mail address (%w)", mask.Email(t), err)
		}
		addrs[i] = a.Address
	}
	return &Mail{Server: server, To: addrs}, nil
}

func (m *Mail) maskedTo() string {
	out := make([]string, len(m.To))
	for i, t := range m.To {
		out[i] = mask.Email(t)
	}
	return strings.Join(out, ", ")
}

// send delivers the message, retried by b on network errors and on the
// server's temporary (4xx) refusals.
func (m *Mail) send(ctx context.Context, b Backoff, ev *Event) (int, error) {
	msg, err := message(m.Server.From, m.To, ev)
	if err != nil {
		return 0, fmt.Errorf("%w by mail: %w", ErrDelivery, err)
	}
	return b.retry(ctx, func(ctx context.Context) attemptErr {
		err := m.deliver(ctx, msg)
		if err == nil {
			return attemptErr{}
		}
		var tp *textproto.Error
		permanent := errors.As(err, &tp) && tp.Code >= 500
		return attemptErr{err: fmt.Errorf("%w by mail through %s: %w", ErrDelivery, m.Server, err), retry: !permanent}
	})
}

// deliver is one SMTP session: connect, STARTTLS when offered, log in,
// send, quit.
func (m *Mail) deliver(ctx context.Context, msg []byte) error {
	conn, err := m.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, m.Server.Host)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("rewardbatch"); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !m.Server.TLS {
		if err := c.StartTLS(m.tlsConfig()); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if m.Server.User != "" {
		// PlainAuth refuses to send the password over a connection that
		// is not encrypted, unless the server is on this machine.
		if err := c.Auth(smtp.PlainAuth("", m.Server.User, m.Server.password, m.Server.Host)); err != nil {
			return fmt.Errorf("login as %s: %w", m.Server.User, err)
		}
	}
	if err := c.Mail(m.Server.From); err != nil {
		return err
	}
	for _, to := range m.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("recipient %s: %w", mask.Email(to), err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func (m *Mail) dial(ctx context.Context) (net.Conn, error) {
	addr := net.JoinHostPort(m.Server.Host, m.Server.Port)
	if m.Server.TLS {
		d := tls.Dialer{Config: m.tlsConfig()}
		return d.DialContext(ctx, "tcp", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

func (m *Mail) tlsConfig() *tls.Config {
	if m.TLSConfig != nil {
		return m.TLSConfig.Clone()
	}
	return &tls.Config{ServerName: m.Server.Host, MinVersion: tls.VersionTLS12}
}
