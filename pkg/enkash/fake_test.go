package enkash_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/stretchr/testify/require"
)

// fakeAPI is a scripted EnKash: its token endpoint issues tok-1, tok-2, ...
// (living a minute) unless token is set, and every other path goes to api.
type fakeAPI struct {
	*httptest.Server
	logins atomic.Int64
}

func serve(t *testing.T, api http.HandlerFunc) *fakeAPI {
	t.Helper()
	return serveWithToken(t, nil, api)
}

// serveWithToken lets token answer the n-th token call (from 1); nil
// issues a token.
func serveWithToken(t *testing.T, token func(n int64, w http.ResponseWriter, r *http.Request), api http.HandlerFunc) *fakeAPI {
	t.Helper()
	f := &fakeAPI{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != enkash.PathToken {
			api(w, r)
			return
		}
		n := f.logins.Add(1)
		if token != nil {
			token(n, w, r)
			return
		}
		issue(w, n)
	}))
	t.Cleanup(f.Close)
	return f
}

// issue answers a token call with tok-n, living a minute.
func issue(w http.ResponseWriter, n int64) {
	fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"bearer","expires_in":60,"scope":"read write trust"}`, n)
}

// reply writes status and body.
func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// config is a plain (unencrypted) client configuration for url.
func config(url string) enkash.Config {
	return enkash.Config{
		BaseURL: url, ClientID: "CID", ClientSecret: "client-secret-value", Username: "9000000001",
		Password: "pass-word-value", PartnerID: "P1", CompanyID: "C1", CardAccountID: "A1",
		ReferenceField: enkash.RefNumber, Timeout: 2 * time.Second, MaxConnsPerHost: 4,
	}
}

// newClient is a client of url with quick login retries.
func newClient(t *testing.T, cfg enkash.Config, opts ...enkash.Option) *enkash.Client {
	t.Helper()
	opts = append([]enkash.Option{enkash.WithLoginRetry(enkash.LoginRetry{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond})}, opts...)
	c, err := enkash.New(cfg, opts...)
	require.NoError(t, err)
	return c
}

// closedAddr is a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

const okAccount = `{"response_code":0,"response_message":"Success","payload":{"cardAccountId":"A1","availableBalance":2.5E7}}`
