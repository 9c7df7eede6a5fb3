package enkash_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func allocation(t testing.TB, ref string) reward.Allocation {
	t.Helper()
	a, err := money.Parse("250.50")
	require.NoError(t, err)
	return reward.Allocation{Operation: reward.OpAllocate, Reference: ref, FirstName: "Aarav", Title: "Mr", Gender: "M",
		Email: "aarav@example.com", Mobile: "9876500001", Amount: a}
}

func TestAllocateOnTheWire(t *testing.T) {
	t.Parallel()
	for _, encrypt := range []bool{false, true} {
		key := enkash.DeriveKey("client-secret-value")
		f := serve(t, func(w http.ResponseWriter, r *http.Request) {
			assert.Equal(t, "P1", r.Header.Get("partnerId"))
			assert.Equal(t, "Bearer tok-1", r.Header.Get("Authorization"))
			body, _ := io.ReadAll(r.Body)
			plain, sealed, err := enkash.OpenJSON(key, body)
			assert.NoError(t, err)
			assert.Equal(t, encrypt, sealed)
			assert.Contains(t, string(plain), `"uniqueReferenceNumber":"REF1"`)
			assert.Contains(t, string(plain), `"loadAmount":250.50`)
			out := []byte(`{"code":0,"message":"Success","payload":{"enKashCardId":"EKC1","enkashCardTxnId":"T1","pgReferenceNumber":"REF1","otbBalance":2.505E2}}`)
			if encrypt {
				out = enkash.SealJSON(key, out)
			}
			_, _ = w.Write(out)
		})
		cfg := config(f.URL)
		cfg.Encrypt = encrypt
		res, err := newClient(t, cfg).Allocate(context.Background(), allocation(t, "REF1"))
		require.NoError(t, err)
		assert.Equal(t, "REF1", res.PGReferenceNumber)
		assert.Equal(t, "T1", res.EnkashCardTxnID)
		assert.Equal(t, "250.5", res.OTBBalance.String(), "a Jackson double read exactly")
	}
}

func TestTokenIsSharedAndRenewed(t *testing.T) {
	t.Parallel()
	f := serve(t, func(w http.ResponseWriter, _ *http.Request) { reply(w, 200, okAccount) })
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	c := newClient(t, config(f.URL), enkash.WithClock(func() time.Time { return time.Unix(0, now.Load()) }))

	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			_, err := c.Account(context.Background())
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, 1, c.Logins(), "sixteen concurrent calls share one login")
	assert.Equal(t, int64(1), f.logins.Load())

	now.Add(int64(55 * time.Second)) // within the renewal margin of a 60 s token
	_, err := c.Account(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, c.Logins(), "the token is renewed before it expires")
}

func TestUnauthorisedCallLogsInAgainOnce(t *testing.T) {
	t.Parallel()
	f := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			reply(w, 401, `{"error":"invalid_token"}`)
			return
		}
		reply(w, 200, okAccount)
	})
	c := newClient(t, config(f.URL))
	_, err := c.Account(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, c.Logins())
}

func TestPersistent401IsFatal(t *testing.T) {
	t.Parallel()
	f := serve(t, func(w http.ResponseWriter, _ *http.Request) { reply(w, 401, `{"error":"unauthorized"}`) })
	c := newClient(t, config(f.URL))
	_, err := c.Allocate(context.Background(), allocation(t, "R401"))
	var ae *enkash.AuthError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, enkash.SafetyFatal, enkash.Classify(err), "the credentials do not open the API: stop the batch")
	assert.Equal(t, 3, c.Logins(), "two fresh logins and repeats, then the error")
}

// errKind is the error type an answer must give.
type errKind int

const (
	rejected errKind = iota
	duplicate
	notApplied
	ambiguous
)

// answerCase is one scripted answer to an allocation and its class.
type answerCase struct {
	name       string
	status     int
	header     map[string]string
	body       string
	kind       errKind
	retryAfter time.Duration // at least this much, at most 7 s more (a date is read later than it was written)
	message    string
}

func answerCases() []answerCase {
	envoy := "upstream connect error or disconnect/reset before headers. reset reason: connection termination"
	return []answerCase{
		{"business failure", 200, nil, `{"code":1,"message":"Insufficient balance in card account","payload":"Insufficient balance in card account"}`, rejected, 0, "Insufficient balance in card account"},
		{"response_code failure", 200, nil, `{"response_code":1,"response_message":"Card not found","payload":"Card not found"}`, rejected, 0, "Card not found"},
		{"bad request", 400, nil, `{"code":1,"message":"Invalid request"}`, rejected, 0, "Invalid request"},
		{"unprocessable", 422, nil, `{"code":1,"message":"Invalid encrypted request"}`, rejected, 0, "Invalid encrypted request"},
		{"not found, not JSON", 404, nil, `not json`, rejected, 0, "not json"},
		{"duplicate as code 1", 200, nil, `{"code":1,"message":"Duplicate reference number","payload":"Duplicate reference number"}`, duplicate, 0, "Duplicate reference number"},
		{"duplicate in the payload", 200, nil, `{"code":1,"message":"Failure","payload":"uniqueReferenceNumber already exists"}`, duplicate, 0, "already exists"},
		{"duplicate as 409", 409, nil, `{"code":409,"message":"Transaction ID already exists"}`, duplicate, 0, "Transaction ID already exists"},
		{"409 without a body", 409, nil, ``, duplicate, 0, "empty answer"},
		{"duplicate as 400", 400, nil, `{"code":1,"message":"Duplicate uniqueReferenceNumber"}`, duplicate, 0, "Duplicate"},
		{"throttled", 429, map[string]string{"Retry-After": "7"}, `{}`, notApplied, 7 * time.Second, ""},
		{"throttled until a date", 429, map[string]string{"Retry-After": time.Now().Add(61 * time.Second).UTC().Format(http.TimeFormat)}, ``, notApplied, 54 * time.Second, ""},
		{"503 from a gateway after applying", 503, nil, envoy, ambiguous, 0, "upstream connect error"},
		{"503 with Retry-After", 503, map[string]string{"Retry-After": "5"}, ``, ambiguous, 5 * time.Second, ""},
		{"internal error", 500, nil, `oops`, ambiguous, 0, "oops"},
		{"bad gateway", 502, nil, `<html>`, ambiguous, 0, ""},
		{"gateway timeout", 504, nil, envoy, ambiguous, 0, "upstream"},
		{"forbidden may be an unencrypted answer", 403, nil, ``, ambiguous, 0, ""},
		{"request timeout", 408, nil, ``, ambiguous, 0, ""},
		{"a redirect nobody follows", 302, nil, ``, ambiguous, 0, "unexpected HTTP status 302"},
		{"success that is not JSON", 200, nil, `<html>`, ambiguous, 0, "not JSON"},
		{"success without a code", 200, nil, `{"status":"ok"}`, ambiguous, 0, "neither code nor response_code"},
		{"success with an unreadable payload", 200, nil, `{"code":0,"payload":"done"}`, ambiguous, 0, "unreadable payload"},
		{"success with a rounded balance", 200, nil, `{"code":0,"payload":{"pgReferenceNumber":"E1","otbBalance":0.125}}`, ambiguous, 0, "otbBalance"},
		{"an envelope that does not open", 200, nil, `{"request":"bm90IGEgcmVhbCBjaXBoZXJ0ZXh0"}`, ambiguous, 0, "cannot decrypt"},
	}
}

func TestErrorClasses(t *testing.T) {
	t.Parallel()
	for _, tt := range answerCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := serve(t, func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				reply(w, tt.status, tt.body)
			})
			_, err := newClient(t, config(f.URL)).Allocate(context.Background(), allocation(t, "E1"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.message)
			retryAfter := assertKind(t, err, tt.kind)
			if tt.retryAfter == 0 {
				assert.Zero(t, retryAfter)
				return
			}
			assert.GreaterOrEqual(t, retryAfter, tt.retryAfter)
			assert.LessOrEqual(t, retryAfter, tt.retryAfter+7*time.Second)
		})
	}
}

// assertKind checks the type and class of err, and returns its RetryAfter.
func assertKind(t *testing.T, err error, kind errKind) time.Duration {
	t.Helper()
	var (
		rej *enkash.RejectedError
		dup *enkash.DuplicateError
		na  *enkash.NotAppliedError
		amb *enkash.AmbiguousError
	)
	switch kind {
	case rejected:
		require.ErrorAs(t, err, &rej)
		assert.Equal(t, enkash.SafetyRejected, enkash.Classify(err))
	case duplicate:
		require.ErrorAs(t, err, &dup)
		assert.Equal(t, enkash.SafetyDuplicate, enkash.Classify(err))
	case notApplied:
		require.ErrorAs(t, err, &na)
		assert.Equal(t, enkash.SafetyNotApplied, enkash.Classify(err))
		return na.RetryAfter
	case ambiguous:
		require.ErrorAs(t, err, &amb)
		assert.Equal(t, enkash.SafetyAmbiguous, enkash.Classify(err))
		return amb.RetryAfter
	}
	return 0
}

// hijack takes the connection of r over; the server then neither answers
// nor closes it unless the test does.
func hijack(t *testing.T, w http.ResponseWriter) net.Conn {
	conn, _, err := w.(http.Hijacker).Hijack()
	require.NoError(t, err)
	return conn
}

// silentAddr is a loopback address that accepts connections and never
// says a word, so a TLS handshake with it never ends.
func silentAddr(t *testing.T) string {
	t.Helper()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = silent.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return silent.Addr().String()
}

func TestNetworkFailureClasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		base   string // API host; empty: the scripted one
		api    http.HandlerFunc
		safety enkash.Safety
	}{
		{"connection refused", "http://" + closedAddr(t), nil, enkash.SafetyNotApplied},
		{"TLS handshake never answered: the request was never written", "https://" + silentAddr(t), nil, enkash.SafetyNotApplied},
		{"timeout after the request was written", "", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		}, enkash.SafetyAmbiguous},
		{"reset after the request was written", "", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			conn := hijack(t, w)
			_ = conn.(*net.TCPConn).SetLinger(0)
			_ = conn.Close()
		}, enkash.SafetyAmbiguous},
		{"answer cut short", "", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			conn := hijack(t, w)
			_, _ = conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"code\":0,"))
			_ = conn.Close()
		}, enkash.SafetyAmbiguous},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := serve(t, tt.api)
			cfg := config(f.URL)
			cfg.Timeout = 300 * time.Millisecond
			if tt.base != "" {
				cfg.BaseURL, cfg.TokenURL = tt.base, f.URL
			}
			_, err := newClient(t, cfg).Allocate(context.Background(), allocation(t, "NET1"))
			require.Error(t, err)
			assert.Equal(t, tt.safety, enkash.Classify(err), "%v", err)
		})
	}
}

func TestAccountRetriesThrottleWithinRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		first   func(w http.ResponseWriter)
		bound   time.Duration
		ok      bool
		calls   int64
		atLeast time.Duration
	}{
		{"429 with Retry-After in seconds", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "1")
			reply(w, 429, `{"message":"Too Many Requests"}`)
		}, time.Minute, true, 2, 900 * time.Millisecond},
		{"503 with Retry-After as an HTTP date", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
			reply(w, 503, `upstream connect error or disconnect/reset before headers`)
		}, time.Minute, true, 2, 900 * time.Millisecond},
		{"502 without Retry-After", func(w http.ResponseWriter) { reply(w, 502, ``) }, time.Minute, true, 2, 900 * time.Millisecond},
		{"a Retry-After beyond the bound is not waited for", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "120")
			reply(w, 429, ``)
		}, 5 * time.Second, false, 1, 0},
		{"a 500 is not retried", func(w http.ResponseWriter) { reply(w, 500, `oops`) }, time.Minute, false, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int64
			f := serve(t, func(w http.ResponseWriter, _ *http.Request) {
				if calls.Add(1) == 1 {
					tt.first(w)
					return
				}
				reply(w, 200, okAccount)
			})
			start := time.Now()
			acc, err := newClient(t, config(f.URL), enkash.WithAccountRetryFor(tt.bound)).Account(context.Background())
			assert.Equal(t, tt.calls, calls.Load())
			assert.GreaterOrEqual(t, time.Since(start), tt.atLeast)
			if !tt.ok {
				assert.Error(t, err)
				assert.Less(t, time.Since(start), 2*time.Second, "no wait that cannot succeed")
				return
			}
			require.NoError(t, err)
			bal, err := acc.Balance()
			require.NoError(t, err)
			assert.Equal(t, "25000000", bal.String())
		})
	}
}

func TestAccountRetryEndsWithTheContext(t *testing.T) {
	t.Parallel()
	f := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "30")
		reply(w, 429, ``)
	})
	waiting := make(chan struct{}, 1) // the client says it waits, at warn
	core, _ := observer.New(zap.WarnLevel)
	log := zap.New(core, zap.Hooks(func(zapcore.Entry) error {
		waiting <- struct{}{}
		return nil
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := newClient(t, config(f.URL), enkash.WithLogger(log)).Account(ctx)
		done <- err
	}()
	<-waiting
	cancel() // during the 30-second wait
	err := <-done
	var na *enkash.NotAppliedError
	require.ErrorAs(t, err, &na)
	assert.Equal(t, 429, na.HTTPStatus, "the caller gets the answer it was waiting out")
}

func TestRequestCarriesBothPagingStyles(t *testing.T) {
	t.Parallel()
	got := make(chan map[string]any, 1)
	f := serve(t, func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		got <- m
		reply(w, 200, `{"code":0,"payload":null}`)
	})
	lk, err := newClient(t, config(f.URL)).FindTransactions(context.Background(), "R1", "EKC1")
	require.NoError(t, err)
	assert.True(t, lk.Conclusive)
	m := <-got
	for k, v := range map[string]any{"pageNumber": 1.0, "pageSize": 100.0, "page": 0.0, "size": 100.0, "pgReferenceNumber": "R1",
		"enKashCardId": "EKC1", "companyId": "C1", "cardAccountId": "A1"} {
		assert.Equal(t, v, m[k], k)
	}
	assert.Equal(t, []any{"R1"}, m["pgReferenceNumbers"])
	assert.False(t, strings.Contains(f.URL, "?"))
}
