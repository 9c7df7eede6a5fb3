package cli

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/metrics"
	"github.com/rewardbatch/rewardbatch/pkg/notify"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// receiver is an httptest webhook that keeps the bodies it was posted,
// answering status.
type receiver struct {
	mu     sync.Mutex
	bodies [][]byte
	url    string
}

func newReceiver(t *testing.T, status int) *receiver {
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, b)
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/hook?token=s3cr3t-hook-token"
	return r
}

func (r *receiver) posted(t *testing.T) map[string]any {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.Len(t, r.bodies, 1)
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.bodies[0], &m))
	return m
}

// TestNotifyThroughTheCommandLine posts a run's end to a receiver per
// format; a receiver that refuses changes nothing in the exit code; the
// hook's token never reaches the log.
func TestNotifyThroughTheCommandLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, format, on string
		password         string // "wrong": the login is refused
		status           int
		code             int
		check            func(t *testing.T, m map[string]any)
	}{
		{"json", "json", "always", "", http.StatusOK, exitcode.OK, func(t *testing.T, m map[string]any) {
			assert.EqualValues(t, notify.SchemaVersion, m["schemaVersion"])
			assert.EqualValues(t, 0, m["exitCode"])
			assert.NotNil(t, m["summary"])
		}},
		{"slack", "slack", "always", "wrong", http.StatusOK, exitcode.Fatal, func(t *testing.T, m map[string]any) {
			assert.Contains(t, m["text"], job.ReasonLoginRefused)
		}},
		{"teams", "teams", "failure", "wrong", http.StatusOK, exitcode.Fatal, func(t *testing.T, m map[string]any) {
			assert.Equal(t, "message", m["type"])
			assert.Contains(t, string(mustJSON(t, m)), job.ReasonLoginRefused)
		}},
		{"failing receiver", "json", "always", "", http.StatusBadRequest, exitcode.OK, nil},
		{"failing receiver, failed run", "json", "always", "wrong", http.StatusBadRequest, exitcode.Fatal, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards()})
			vars := envFor(env)
			if tt.password != "" {
				vars[enkash.EnvPassword] = tt.password
			}
			rcv := newReceiver(t, tt.status)
			dir := t.TempDir()
			metricsFile := filepath.Join(dir, "rewardbatch.prom")
			code, _, stderr := execute(t, vars, "run", "--rate", "1000", "--out", filepath.Join(dir, "run"), "--log-format", "json",
				"--notify", rcv.url, "--notify-format", tt.format, "--notify-on", tt.on, "--metrics-file", metricsFile, sample)
			require.Equal(t, tt.code, code, stderr)
			assert.NotContains(t, stderr, "s3cr3t-hook-token")
			m := rcv.posted(t)
			if tt.check != nil {
				tt.check(t, m)
			}
			if tt.status != http.StatusOK {
				assert.Contains(t, stderr, `"msg":"notification not delivered"`)
			}
			prom, err := os.ReadFile(metricsFile)
			require.NoError(t, err)
			assert.Contains(t, string(prom), metrics.ExitCodeName+" "+string(rune('0'+tt.code)))
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// TestNotifyOnFailureOnly: a run that succeeds posts nothing under
// --notify-on failure.
func TestNotifyOnFailureOnly(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards()})
	rcv := newReceiver(t, http.StatusOK)
	code, _, stderr := execute(t, envFor(env), "run", "--rate", "1000", "--out", filepath.Join(t.TempDir(), "run"),
		"--notify", rcv.url, "--notify-on", "failure", sample)
	require.Equal(t, exitcode.OK, code, stderr)
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	assert.Empty(t, rcv.bodies)
}

// smtpBox is an in-process SMTP server that keeps what it is sent.
type smtpBox struct {
	mu   sync.Mutex
	msgs []string
	rcpt []string
}

type smtpSession struct{ box *smtpBox }

func (s smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	s.box.rcpt = append(s.box.rcpt, to)
	return nil
}
func (s smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	s.box.msgs = append(s.box.msgs, string(b))
	return err
}
func (s smtpSession) Reset()        {}
func (s smtpSession) Logout() error { return nil }

// TestMailThroughTheCommandLine sends the run's end by e-mail to an
// in-process SMTP server named by REWARDBATCH_SMTP_URL.
func TestMailThroughTheCommandLine(t *testing.T) {
	t.Parallel()
	box := &smtpBox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return smtpSession{box}, nil }))
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })

	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards()})
	vars := envFor(env)
	vars[notify.EnvSMTPURL] = "smtp://" + l.Addr().String() + "?from=payroll@example.com"
	code, _, stderr := execute(t, vars, "run", "--rate", "1000", "--out", filepath.Join(t.TempDir(), "run"),
		"--mail-to", "hr@example.com", sample)
	require.Equal(t, exitcode.OK, code, stderr)
	box.mu.Lock()
	defer box.mu.Unlock()
	require.Len(t, box.msgs, 1, stderr)
	assert.Equal(t, []string{"hr@example.com"}, box.rcpt)
	assert.True(t, strings.Contains(box.msgs[0], "rewardbatch"), box.msgs[0])

	// Without the server, --mail-to is refused before the run.
	delete(vars, notify.EnvSMTPURL)
	code, _, stderr = execute(t, vars, "run", "--mail-to", "hr@example.com", sample)
	assert.Equal(t, exitcode.Fatal, code)
	assert.Contains(t, stderr, notify.EnvSMTPURL)
}
