package sandbox_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// account calls cardAccount/get, the cheapest API call.
func (r *raw) account() answer {
	r.t.Helper()
	c := r.srv.Options().Credentials
	return r.post(sandbox.PathAccount, map[string]any{"companyId": c.CompanyID, "cardAccountId": c.CardAccountID})
}

func TestServerBurstDefault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rate        float64
		burst, want int
	}{
		{0, 0, 0}, {0, 5, 0}, {1, 0, 1}, {5, 0, 1}, {25, 0, 2}, {200, 0, 20}, {1000, 0, 100}, {50, 7, 7},
	}
	for _, tt := range tests {
		got := sandbox.New(sandbox.Options{ServerRate: tt.rate, ServerBurst: tt.burst}).Options().ServerBurst
		assert.Equal(t, tt.want, got, "rate %v burst %d", tt.rate, tt.burst)
	}
}

func TestServerRateLimit(t *testing.T) {
	t.Parallel()
	// 5 a second, a bucket of 3; the clock stands still between steps, and
	// the login of startRaw took the first token.
	steps := []struct {
		advance time.Duration
		call    string // allocate (with the step's reference), token or account
		status  int
	}{
		{0, "allocate", http.StatusOK},
		{0, "allocate", http.StatusOK},
		{0, "allocate", http.StatusTooManyRequests}, // the bucket is empty: nothing applied
		{0, "token", http.StatusTooManyRequests},    // the token endpoint counts too
		{199 * time.Millisecond, "account", http.StatusTooManyRequests},
		{time.Millisecond, "allocate", http.StatusOK}, // 200 ms make one token
		{time.Hour, "account", http.StatusOK},         // the bucket holds 3, however long it waits
		{0, "token", http.StatusOK},
		{0, "allocate", http.StatusOK},
		{0, "account", http.StatusTooManyRequests},
	}
	for _, style := range []string{sandbox.RetryAfterSeconds, sandbox.RetryAfterDate} {
		t.Run(style, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			r := startRaw(t, sandbox.Options{Now: clk.Now, ServerRate: 5, ServerBurst: 3,
				Faults: sandbox.Faults{RetryAfter: 2 * time.Second, RetryAfterStyle: style}})
			applied := 0
			for i, st := range steps {
				clk.Advance(st.advance)
				var a answer
				switch st.call {
				case "allocate":
					a = r.allocate(fmt.Sprintf("RL%d", i), fmt.Sprintf("98765009%02d", i), "1")
				case "token":
					a = r.login()
				default:
					a = r.account()
				}
				require.Equal(t, st.status, a.Status, "step %d (%s): %s", i, st.call, a.Body)
				if st.status == http.StatusOK && st.call == "allocate" {
					applied++
				}
				if st.status != http.StatusTooManyRequests {
					continue
				}
				want := "2"
				if style == sandbox.RetryAfterDate {
					want = clk.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)
				}
				assert.Equal(t, want, a.Header.Get("Retry-After"), "step %d", i)
				if st.call != "token" {
					assert.Equal(t, 1, a.code(), "the API's own envelope: %s", a.Body)
				}
			}
			assert.Len(t, r.ground(), applied, "a call above the limit applies nothing")
			st := r.srv.Stats()
			assert.EqualValues(t, 4, st.Count("throttled 429"))
			assert.EqualValues(t, 4, st.Count("applied"))
		})
	}
}

func TestServerRateCountsConcurrentCalls(t *testing.T) {
	t.Parallel()
	// The clock stands still, so a burst of 40 admits exactly 40 of 100
	// calls sent at once, whatever their order.
	clk := newClock()
	r := startRaw(t, sandbox.Options{Now: clk.Now, ServerRate: 1, ServerBurst: 41})
	const calls = 100
	statuses := make(chan int, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			req := r.allocateRequest(fmt.Sprintf("C%d", i), fmt.Sprintf("98765010%02d", i), "1")
			resp, err := r.hc.Do(req)
			if !assert.NoError(t, err) {
				return
			}
			_ = resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	assert.Equal(t, map[int]int{http.StatusOK: 40, http.StatusTooManyRequests: 60}, count)
	assert.Len(t, r.ground(), 40)
	assert.EqualValues(t, 60, r.srv.Stats().Count("throttled 429"))
}

func TestSetServerRate(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := startRaw(t, sandbox.Options{Now: clk.Now})
	for range 20 {
		require.Equal(t, http.StatusOK, r.account().Status, "no limit by default")
	}
	r.srv.SetServerRate(2, 1)
	assert.Equal(t, http.StatusOK, r.account().Status)
	assert.Equal(t, http.StatusTooManyRequests, r.account().Status)
	clk.Advance(500 * time.Millisecond)
	assert.Equal(t, http.StatusOK, r.account().Status)
	r.srv.SetServerRate(0, 0)
	for range 20 {
		require.Equal(t, http.StatusOK, r.account().Status, "the limit is lifted")
	}
}

func TestLoadLatency(t *testing.T) {
	t.Parallel()
	// 10 a second and a load latency of 10 ms: each admitted call waits
	// 1 ms per call admitted in the last second, itself included.
	clk := newClock()
	r := startRaw(t, sandbox.Options{Now: clk.Now, ServerRate: 10, ServerBurst: 6, LoadLatency: 10 * time.Millisecond,
		Faults: sandbox.Faults{Latency: time.Millisecond}})
	steps := []struct {
		advance time.Duration
		status  int
		delay   time.Duration // fixed latency plus load latency
	}{
		{0, http.StatusOK, 2 * time.Millisecond},
		{0, http.StatusOK, 3 * time.Millisecond},
		{0, http.StatusOK, 4 * time.Millisecond},
		{0, http.StatusOK, 5 * time.Millisecond},
		{0, http.StatusOK, 6 * time.Millisecond},
		{0, http.StatusTooManyRequests, time.Millisecond}, // refused at the gate: no load, not counted
		{500 * time.Millisecond, http.StatusOK, 7 * time.Millisecond},
		{600 * time.Millisecond, http.StatusOK, 3 * time.Millisecond}, // the first five left the window
		{2 * time.Second, http.StatusOK, 2 * time.Millisecond},        // idle again
	}
	before := len(r.srv.Requests())
	for i, st := range steps {
		clk.Advance(st.advance)
		a := r.account()
		require.Equal(t, st.status, a.Status, "step %d: %s", i, a.Body)
		reqs := r.srv.Requests()
		require.Len(t, reqs, before+i+1)
		assert.Equal(t, st.delay, reqs[len(reqs)-1].Delay, "step %d", i)
	}
}

func TestLimitSettingsAreChecked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		opts sandbox.Options
		want string
	}{
		{sandbox.Options{ServerRate: -1}, "--server-rate"},
		{sandbox.Options{ServerRate: 10, ServerBurst: -1}, "--server-burst"},
		{sandbox.Options{LoadLatency: time.Second}, "needs --server-rate"},
		{sandbox.Options{ServerRate: 10, LoadLatency: -time.Second}, "--load-latency"},
		{sandbox.Options{BulkMax: -1}, "--bulk-max"},
		{sandbox.Options{BulkAnswer: "lists"}, "--bulk-answer"},
		{sandbox.Options{Faults: sandbox.Faults{BulkRefuse: "Try again later"}}, "--bulk-refuse"},
		{sandbox.Options{Faults: sandbox.Faults{BulkFail: 2}}, "--bulk-fail"},
	}
	for i, tt := range tests {
		assert.ErrorContains(t, tt.opts.Check(), tt.want, "case %d", i)
	}
	ok := sandbox.Options{ServerRate: 10, LoadLatency: time.Second, BulkMax: 100, BulkAnswer: sandbox.BulkAnswerCounts,
		Faults: sandbox.Faults{BulkRefuse: "kyc", BulkFail: 0.5}}
	assert.NoError(t, ok.Check())
}
