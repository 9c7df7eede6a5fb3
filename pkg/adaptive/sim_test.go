package adaptive

import (
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"golang.org/x/time/rate"
)

// simResult is what one simulated run measured.
type simResult struct {
	steady    float64       // accepted requests per second after the convergence deadline, as a share of the limit
	throttled float64       // share of all requests answered 429
	converged time.Duration // first moment a one-second window accepted at least 90% of the limit
}

// simulate runs workers against a server that accepts limit requests per
// second (a token bucket, as gateways do) for d of simulated time, in 1 ms
// steps: no wall clock, so the result is the same on any machine.
func simulate(limit float64, workers int, latency, d time.Duration) simResult {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	l := New(Config{Now: func() time.Time { return now }})
	server := rate.NewLimiter(rate.Limit(limit), max(1, int(limit/10)))
	type pending struct {
		at  time.Time
		sig Signal
		lat time.Duration
	}
	var inflight []pending
	var okAt []time.Duration // when each accepted request was answered
	total, throttled := 0, 0
	const step = time.Millisecond
	for ; now.Sub(t0) < d; now = now.Add(step) {
		kept := inflight[:0]
		for _, p := range inflight {
			if p.at.After(now) {
				kept = append(kept, p)
				continue
			}
			l.Observe(p.lat, p.sig)
			if p.sig == OK {
				okAt = append(okAt, now.Sub(t0))
			}
		}
		inflight = kept
		for len(inflight) < workers && l.tryAt(now) {
			total++
			if server.AllowN(now, 1) {
				inflight = append(inflight, pending{at: now.Add(latency), sig: OK, lat: latency})
			} else {
				throttled++
				inflight = append(inflight, pending{at: now.Add(step), sig: Throttled, lat: step})
			}
		}
	}
	return measure(okAt, limit, d, float64(throttled)/float64(total))
}

func measure(okAt []time.Duration, limit float64, d time.Duration, throttled float64) simResult {
	const deadline = 10 * time.Second
	r := simResult{throttled: throttled, converged: -1}
	after := len(okAt) - sort.Search(len(okAt), func(i int) bool { return okAt[i] >= deadline })
	r.steady = float64(after) / (d - deadline).Seconds() / limit
	for i, j := 0, 0; j < len(okAt); j++ { // sliding one-second window
		for okAt[j]-okAt[i] > time.Second {
			i++
		}
		if float64(j-i+1) >= 0.9*limit && okAt[j] >= time.Second {
			r.converged = okAt[j]
			break
		}
	}
	return r
}

// TestFindsTheServersLimit is the target in simulation: against a
// server limited to N requests per second the limiter sustains at least 90%
// of N, with at most 2% of requests answered 429, and gets there within
// 10 s.
func TestFindsTheServersLimit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		limit   float64
		workers int
		latency time.Duration
	}{
		{"50/s", 50, 64, 20 * time.Millisecond},
		{"200/s", 200, 64, 20 * time.Millisecond},
		{"1000/s", 1000, 64, 20 * time.Millisecond},
		{"1000/s, slow server", 1000, 128, 80 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := simulate(tc.limit, tc.workers, tc.latency, 40*time.Second)
			t.Logf("steady %.1f%% of the limit, %.2f%% throttled, converged after %v", 100*r.steady, 100*r.throttled, r.converged)
			assert.GreaterOrEqual(t, r.steady, 0.90)
			assert.LessOrEqual(t, r.throttled, 0.02)
			assert.Positive(t, r.converged)
			assert.LessOrEqual(t, r.converged, 10*time.Second)
		})
	}
}
