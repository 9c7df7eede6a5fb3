// Package sandboxtest starts an in-process EnKash sandbox for tests.
package sandboxtest

import (
	"net/http/httptest"
	"testing"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// Env is a running sandbox and a client configuration that reaches it.
type Env struct {
	*sandbox.Server
	URL    string
	Config enkash.Config
}

// Start serves a sandbox with opts on a loopback httptest server that is
// closed when the test ends.
func Start(t testing.TB, opts sandbox.Options) *Env {
	t.Helper()
	s := sandbox.New(opts)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &Env{Server: s, URL: hs.URL, Config: s.ClientConfig(hs.URL)}
}

// Client returns a client for the sandbox, with cfg adjusted by edit (which
// may be nil).
func (e *Env) Client(t testing.TB, edit func(*enkash.Config), opts ...enkash.Option) *enkash.Client {
	t.Helper()
	cfg := e.Config
	if edit != nil {
		edit(&cfg)
	}
	c, err := enkash.New(cfg, opts...)
	if err != nil {
		t.Fatalf("enkash.New: %v", err)
	}
	return c
}
