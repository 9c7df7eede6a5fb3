// Package sandboxtest starts an in-process EnKash sandbox for tests, and
// builds the [enkash.Config] that reaches it (the sandbox itself does not
// know the client).
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
	return &Env{Server: s, URL: hs.URL, Config: ClientConfig(s, hs.URL)}
}

// ClientConfig returns an [enkash.Config] that talks to the sandbox s at
// baseURL with its credentials, with the envelope on unless s is plain.
func ClientConfig(s *sandbox.Server, baseURL string) enkash.Config {
	o := s.Options()
	c := o.Credentials
	return enkash.Config{
		BaseURL: baseURL, ClientID: c.ClientID, ClientSecret: enkash.Secret(c.ClientSecret.Reveal()),
		Username: c.Username, Password: enkash.Secret(c.Password.Reveal()), PartnerID: c.PartnerID,
		CompanyID: c.CompanyID, CardAccountID: c.CardAccountID,
		Encrypt: !o.Plain, ReferenceField: enkash.RefNumber,
		Timeout: enkash.DefaultTimeout, MaxConnsPerHost: enkash.DefaultMaxConnsPerHost,
	}
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
