package enkash_test

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func amount(t testing.TB, s string) money.Amount {
	t.Helper()
	a, err := money.Parse(s)
	require.NoError(t, err)
	return a
}

func newUser(t testing.TB, ref string) reward.Allocation {
	return reward.Allocation{
		Operation: reward.OpAllocate, Reference: ref, FirstName: "Aarav", Title: "Mr", Gender: "M",
		Email: "aarav." + strings.ToLower(ref) + "@example.com", Mobile: fmt.Sprintf("9%09d", crc32.ChecksumIEEE([]byte(ref))%1e9),
		Amount: amount(t, "250.50"),
	}
}

func TestAllocateMatchesReference(t *testing.T) {
	t.Parallel()
	for _, plain := range []bool{false, true} {
		env := sandboxtest.Start(t, sandbox.Options{Plain: plain})
		c := env.Client(t, nil)
		res, err := c.Allocate(context.Background(), newUser(t, "REF00001"))
		require.NoError(t, err)
		assert.Equal(t, "REF00001", res.PGReferenceNumber)
		assert.True(t, strings.HasPrefix(res.EnKashCardID, "EKC"))
		assert.Equal(t, "250.50", res.OTBBalance.String())
		assert.Regexp(t, `^XXXX XXXX XXXX \d{4}$`, res.MaskedNumber)
	}
}

func TestTokenIsSharedAndRenewed(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{TokenTTL: time.Minute})
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	c := env.Client(t, nil, enkash.WithClock(clock))

	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Allocate(context.Background(), newUser(t, "TOK0000"+string(rune('A'+i))))
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, c.Logins(), "sixteen concurrent calls share one login")

	now.Add(int64(55 * time.Second)) // within the renewal margin of a 60 s token
	_, err := c.Account(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, c.Logins(), "the token is renewed before it expires")
}

func TestUnauthorisedCallLogsInAgainOnce(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{Faults: sandbox.Faults{ExpireTokensEvery: 3}})
	c := env.Client(t, nil)
	for i := range 5 {
		_, err := c.Account(context.Background())
		require.NoError(t, err, "call %d", i)
	}
	assert.Equal(t, 3, c.Logins())
	assert.Equal(t, int64(2), env.Stats().Count("unauthorised"))
}

func TestPersistent401IsAnAuthError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == enkash.PathToken {
			_, _ = w.Write([]byte(`{"access_token":"t","expires_in":300}`))
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, false)
	_, err := c.Account(context.Background())
	var ae *enkash.AuthError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, enkash.SafetyNotApplied, enkash.Classify(err), "a 401 was not processed")
	assert.Equal(t, 2, c.Logins(), "one fresh login, one repeat, then the error")
}

func TestRejectedLoginIsNeverRetried(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{})
	c := env.Client(t, func(cfg *enkash.Config) { cfg.Password = "wrong-password" })
	for range 5 {
		_, err := c.Account(context.Background())
		var le *enkash.LoginError
		require.ErrorAs(t, err, &le)
		assert.True(t, le.Rejected)
		assert.Equal(t, enkash.SafetyFatal, enkash.Classify(err))
		assert.Contains(t, err.Error(), "three failed logins lock the EnKash account")
		assert.NotContains(t, err.Error(), "wrong-password")
	}
	assert.Equal(t, int64(1), env.Stats().Count("login failures"), "one rejected login, then no more attempts")
	assert.Empty(t, env.Stats().LockedUsers)
}

func TestSandboxLocksAfterThreeFailedLogins(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{})
	for range 3 {
		c := env.Client(t, func(cfg *enkash.Config) { cfg.Password = "wrong" })
		_, err := c.Account(context.Background())
		require.Error(t, err)
	}
	good := env.Client(t, nil)
	_, err := good.Account(context.Background())
	var le *enkash.LoginError
	require.ErrorAs(t, err, &le)
	assert.Contains(t, le.Message, "locked")
	assert.Equal(t, []string{sandbox.DefaultCredentials.Username}, env.Stats().LockedUsers)
}

func TestUnreachableLoginGivesUpAfterTwo(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	c := newClient(t, "http://"+addr, false)
	_, err = c.Account(context.Background())
	assert.Equal(t, enkash.SafetyNotApplied, enkash.Classify(err), "a refused connection is not a failed login: %v", err)
	_, err = c.Account(context.Background())
	assert.Equal(t, enkash.SafetyFatal, enkash.Classify(err), "but the client stops before a third try: %v", err)
	_, err = c.Account(context.Background())
	assert.Equal(t, enkash.SafetyFatal, enkash.Classify(err))
	assert.Equal(t, 2, c.Logins())
}

func TestTokenAnswerStyles(t *testing.T) {
	t.Parallel()
	for _, style := range []string{"snake", "camel"} {
		env := sandboxtest.Start(t, sandbox.Options{TokenStyle: style})
		_, err := env.Client(t, nil).Account(context.Background())
		assert.NoError(t, err, style)
	}
}

// scripted answers every API call with the given status and body.
func scripted(t *testing.T, status int, header map[string]string, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == enkash.PathToken {
			_, _ = w.Write([]byte(`{"access_token":"t","token_type":"bearer","expires_in":86399}`))
			return
		}
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func newClient(t *testing.T, url string, encrypt bool) *enkash.Client {
	t.Helper()
	cfg := sandboxtest.ClientConfig(sandbox.New(sandbox.Options{}), url)
	cfg.Encrypt = encrypt
	cfg.Timeout = 2 * time.Second
	c, err := enkash.New(cfg)
	require.NoError(t, err)
	return c
}

func TestErrorClasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		safety     enkash.Safety
		retryAfter time.Duration
		message    string
	}{
		{"business failure", 200, nil, `{"code":1,"message":"Insufficient balance in card account","payload":"Insufficient balance in card account"}`,
			enkash.SafetyRejected, 0, "Insufficient balance in card account"},
		{"response_code failure", 200, nil, `{"response_code":1,"response_message":"Card not found","payload":"Card not found"}`,
			enkash.SafetyRejected, 0, "Card not found"},
		{"bad request", 400, nil, `{"code":1,"message":"Invalid request"}`, enkash.SafetyRejected, 0, "Invalid request"},
		{"unprocessable", 422, nil, `{"code":1,"message":"Invalid encrypted request"}`, enkash.SafetyRejected, 0, "Invalid encrypted request"},
		{"not found", 404, nil, `not json`, enkash.SafetyRejected, 0, "not json"},
		{"throttled", 429, map[string]string{"Retry-After": "7"}, `{}`, enkash.SafetyNotApplied, 7 * time.Second, ""},
		{"unavailable", 503, nil, ``, enkash.SafetyNotApplied, 0, ""},
		{"internal error", 500, nil, `oops`, enkash.SafetyAmbiguous, 0, "oops"},
		{"bad gateway", 502, nil, `<html>`, enkash.SafetyAmbiguous, 0, ""},
		{"gateway timeout", 504, nil, ``, enkash.SafetyAmbiguous, 0, ""},
		{"forbidden may be an unencrypted answer", 403, nil, ``, enkash.SafetyAmbiguous, 0, ""},
		{"success that is not JSON", 200, nil, `<html>`, enkash.SafetyAmbiguous, 0, "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, scripted(t, tt.status, tt.header, tt.body), false)
			_, err := c.Allocate(context.Background(), newUser(t, "ERR00001"))
			require.Error(t, err)
			assert.Equal(t, tt.safety, enkash.Classify(err), "%v", err)
			var na *enkash.NotAppliedError
			if errors.As(err, &na) {
				assert.Equal(t, tt.retryAfter, na.RetryAfter)
			}
			assert.Contains(t, err.Error(), tt.message)
		})
	}
}

func TestNetworkFailureClasses(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refused := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())

	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == enkash.PathToken {
			_, _ = w.Write([]byte(`{"access_token":"t"}`))
			return
		}
		_, _ = io.Copy(io.Discard, r.Body) // after the body, the server notices the client leave
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(hang.Close)

	c := newClient(t, refused, false)
	_, err = c.Allocate(context.Background(), newUser(t, "NET00001"))
	assert.Equal(t, enkash.SafetyNotApplied, enkash.Classify(err), "connection refused: %v", err)

	c = newClient(t, hang.URL, false)
	_, err = c.Allocate(context.Background(), newUser(t, "NET00002"))
	assert.Equal(t, enkash.SafetyAmbiguous, enkash.Classify(err), "timeout after the request was written: %v", err)
}

func TestSandboxFaultsAsTheClientSeesThem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		faults  sandbox.Faults
		safety  enkash.Safety
		applied int
	}{
		{"5xx before applying", sandbox.Faults{FailBefore: 1}, enkash.SafetyNotApplied, 0},
		{"5xx before applying, as a 500", sandbox.Faults{FailBefore: 1, FailBeforeStatus: 500}, enkash.SafetyAmbiguous, 0},
		{"429", sandbox.Faults{Throttle: 1, RetryAfter: 2 * time.Second}, enkash.SafetyNotApplied, 0},
		{"apply then 502", sandbox.Faults{ApplyThenFail: 1, FailMode: sandbox.Fail502}, enkash.SafetyAmbiguous, 1},
		{"apply then drop", sandbox.Faults{ApplyThenFail: 1, FailMode: sandbox.FailDrop}, enkash.SafetyAmbiguous, 1},
		{"apply then hang past the timeout", sandbox.Faults{ApplyThenFail: 1, FailMode: sandbox.FailHang}, enkash.SafetyAmbiguous, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := sandboxtest.Start(t, sandbox.Options{Faults: tt.faults})
			c := env.Client(t, func(cfg *enkash.Config) { cfg.Timeout = time.Second })
			_, err := c.Allocate(context.Background(), newUser(t, "FLT00001"))
			assert.Equal(t, tt.safety, enkash.Classify(err), "%v", err)
			assert.Len(t, env.Transactions(), tt.applied)
			var na *enkash.NotAppliedError
			if tt.faults.Throttle > 0 && assert.ErrorAs(t, err, &na) {
				assert.Equal(t, 2*time.Second, na.RetryAfter)
			}
		})
	}
}

func TestFaultsAreSeededPerReference(t *testing.T) {
	t.Parallel()
	run := func() []string {
		env := sandboxtest.Start(t, sandbox.Options{Faults: sandbox.Faults{Seed: 42, FailBefore: 0.3}})
		c := env.Client(t, nil)
		var failed []string
		for i := range 40 {
			ref := "SEED" + string(rune('A'+i/10)) + string(rune('0'+i%10)) + "000"
			if _, err := c.Allocate(context.Background(), newUser(t, ref)); err != nil {
				failed = append(failed, ref)
			}
		}
		return failed
	}
	first := run()
	assert.NotEmpty(t, first)
	assert.Less(t, len(first), 40)
	assert.Equal(t, first, run(), "the same seed fails the same references")
}
