package enkash_test

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clock is a fake clock for token expiry.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestTokenEndpointFailingMidRunIsRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fail func(w http.ResponseWriter, r *http.Request)
	}{
		{"500", func(w http.ResponseWriter, _ *http.Request) { reply(w, 500, `{"error":"server_error"}`) }},
		{"503 from a gateway", func(w http.ResponseWriter, _ *http.Request) {
			reply(w, 503, `upstream connect error or disconnect/reset before headers. reset reason: connection termination`)
		}},
		{"429 with Retry-After", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "1")
			reply(w, 429, ``)
		}},
		{"hang past the timeout", func(_ http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // after the body, the server notices the client leave
			<-r.Context().Done()
		}},
		{"an answer without JSON", func(w http.ResponseWriter, _ *http.Request) { reply(w, 200, `<html>maintenance</html>`) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const failing = 3 // token calls 2, 3 and 4 fail; 5 succeeds
			f := serveWithToken(t, func(n int64, w http.ResponseWriter, r *http.Request) {
				if n >= 2 && n < 2+failing {
					tt.fail(w, r)
					return
				}
				issue(w, n)
			}, func(w http.ResponseWriter, _ *http.Request) { reply(w, 200, okAccount) })
			cfg := config(f.URL)
			cfg.Timeout = 300 * time.Millisecond
			clk := newClock()
			c := newClient(t, cfg, enkash.WithClock(clk.now))
			_, err := c.Account(context.Background())
			require.NoError(t, err)

			clk.advance(time.Hour) // the token expired mid-run
			_, err = c.Account(context.Background())
			require.NoError(t, err, "the client waits out a failing token endpoint")
			assert.Equal(t, int64(2+failing), f.logins.Load())
		})
	}
}

func TestTokenEndpointDownGivesUp(t *testing.T) {
	t.Parallel()
	f := serveWithToken(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			issue(w, n)
			return
		}
		reply(w, 503, ``)
	}, func(w http.ResponseWriter, _ *http.Request) { reply(w, 200, okAccount) })
	clk := newClock()
	c := newClient(t, config(f.URL), enkash.WithClock(clk.now),
		enkash.WithLoginRetry(enkash.LoginRetry{Base: 10 * time.Millisecond, Max: 20 * time.Millisecond, GiveUpAfter: 200 * time.Millisecond}))
	_, err := c.Account(context.Background())
	require.NoError(t, err)
	clk.advance(time.Hour)

	_, err = c.Allocate(context.Background(), allocation(t, "DOWN1"))
	var le *enkash.LoginError
	require.ErrorAs(t, err, &le)
	assert.True(t, le.GaveUp)
	assert.Equal(t, 503, le.HTTPStatus)
	assert.Equal(t, enkash.SafetyFatal, enkash.Classify(err), "the batch stops, with its reports")
	tried := f.logins.Load()
	assert.Greater(t, tried, int64(3), "retried before giving up")

	_, err = c.Allocate(context.Background(), allocation(t, "DOWN2"))
	assert.Equal(t, enkash.SafetyFatal, enkash.Classify(err))
	assert.Equal(t, tried, f.logins.Load(), "no login after giving up")
}

func TestTokenFailureWhileTheCallerLeavesIsNotApplied(t *testing.T) {
	t.Parallel()
	failing := make(chan struct{})
	f := serveWithToken(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			issue(w, n)
			return
		}
		if n == 2 {
			close(failing)
		}
		reply(w, 500, ``)
	}, func(w http.ResponseWriter, _ *http.Request) { reply(w, 200, okAccount) })
	clk := newClock()
	c := newClient(t, config(f.URL), enkash.WithClock(clk.now), enkash.WithLoginRetry(enkash.LoginRetry{Base: time.Hour, Max: time.Hour, GiveUpAfter: 2 * time.Hour}))
	_, err := c.Account(context.Background())
	require.NoError(t, err)
	clk.advance(time.Hour)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Allocate(ctx, allocation(t, "LEFT1"))
		done <- err
	}()
	<-failing
	cancel()
	err = <-done
	require.Error(t, err)
	assert.Equal(t, enkash.SafetyNotApplied, enkash.Classify(err), "the allocation never left: %v", err)
	assert.Equal(t, int64(2), f.logins.Load(), "the hour-long pause holds the next login back")
}

func TestFirstLoginGivesUpAfterTwo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		token func(t *testing.T) (url string, logins func() int64)
	}{
		{"unreachable", func(t *testing.T) (string, func() int64) {
			return "http://" + closedAddr(t), nil
		}},
		{"500", func(t *testing.T) (string, func() int64) {
			f := serveWithToken(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { reply(w, 500, ``) }, nil)
			return f.URL, f.logins.Load
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := serve(t, func(w http.ResponseWriter, _ *http.Request) { reply(w, 200, okAccount) })
			cfg := config(api.URL)
			var logins func() int64
			cfg.TokenURL, logins = tt.token(t)
			c := newClient(t, cfg)
			for range 3 {
				_, err := c.Account(context.Background())
				assert.Equal(t, enkash.SafetyFatal, enkash.Classify(err),
					"credentials that never worked are not tried a third time (three failed logins lock the account): %v", err)
			}
			assert.Equal(t, 2, c.Logins())
			if logins != nil {
				assert.Equal(t, int64(2), logins())
			}
		})
	}
}

func TestThrottledFirstLoginIsRetried(t *testing.T) {
	t.Parallel()
	// A 429 never reached the credential check, so it does not count
	// towards the lockout, even before the credentials have worked.
	f := serveWithToken(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
		if n <= 3 {
			reply(w, 429, `{"message":"Too Many Requests"}`)
			return
		}
		issue(w, n)
	}, func(w http.ResponseWriter, _ *http.Request) { reply(w, 200, okAccount) })
	c := newClient(t, config(f.URL))
	_, err := c.Account(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(4), f.logins.Load())
}

func TestRefusedLoginIsNeverRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"401 bad credentials", 401, `{"error":"invalid_grant","error_description":"Bad credentials"}`},
		{"400", 400, `{"error":"invalid_request"}`},
		{"403", 403, ``},
		{"200 with an error", 200, `{"error":"invalid_grant","error_description":"User account is locked"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := serveWithToken(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { reply(w, tt.status, tt.body) },
				func(w http.ResponseWriter, _ *http.Request) { reply(w, 200, okAccount) })
			c := newClient(t, config(f.URL))
			for range 5 {
				_, err := c.Account(context.Background())
				var le *enkash.LoginError
				require.ErrorAs(t, err, &le)
				assert.True(t, le.Rejected)
				assert.Equal(t, enkash.SafetyFatal, enkash.Classify(err))
				assert.Contains(t, err.Error(), "three failed logins lock the EnKash account")
				assert.NotContains(t, err.Error(), "pass-word-value")
				assert.NotContains(t, err.Error(), "client-secret-value")
			}
			assert.Equal(t, int64(1), f.logins.Load(), "one refused login, then no more attempts")
		})
	}
}

func TestTokenAnswerStyles(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"snake":   `{"access_token":"tok","token_type":"bearer","expires_in":86399}`,
		"camel":   `{"accessToken":"tok","tokenType":"bearer","expiresIn":"300"}`,
		"wrapped": `{"code":0,"payload":{"access_token":"tok"}}`,
	} {
		f := serveWithToken(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { reply(w, 200, body) },
			func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, "Bearer tok", r.Header.Get("Authorization"), name)
				reply(w, 200, okAccount)
			})
		_, err := newClient(t, config(f.URL)).Account(context.Background())
		assert.NoError(t, err, name)
	}
}

func TestLoginRetryNeverShiftsNegatively(t *testing.T) {
	t.Parallel()
	// A zero or negative base must not panic or spin: the cap applies.
	f := serveWithToken(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			reply(w, 503, ``)
			return
		}
		issue(w, n)
	}, func(w http.ResponseWriter, _ *http.Request) { reply(w, 200, okAccount) })
	c := newClient(t, config(f.URL), enkash.WithLoginRetry(enkash.LoginRetry{Base: -time.Second, Max: 10 * time.Millisecond}))
	_, err := c.Account(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(2), f.logins.Load())
}
