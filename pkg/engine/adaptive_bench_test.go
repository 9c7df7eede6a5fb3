package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// BenchmarkAutoRate runs the engine with --rate auto (64 workers, the AES
// envelope on) against the in-process sandbox limited to N requests per
// second (--server-rate N, 429 with Retry-After: 1 above it), for 20 s per
// N, and reports the share of N the run sustained after its first 10 s,
// the share of requests answered 429, and the first second in which the
// accepted rate reached 90% of N:
//
//	go test -run '^$' -bench AutoRate -benchtime 1x ./pkg/engine
//
// With LOAD the server's latency also grows with load (--load-latency 50ms).
func BenchmarkAutoRate(b *testing.B) {
	for _, load := range []time.Duration{0, 50 * time.Millisecond} {
		for _, n := range []float64{50, 200, 1000} {
			b.Run(fmt.Sprintf("N=%.0f/load-latency=%v", n, load), func(b *testing.B) {
				for b.Loop() {
					r := autoRateRun(b, n, load, 20*time.Second)
					b.ReportMetric(100*r.steady, "%-of-N")
					b.ReportMetric(100*r.throttled, "%-429")
					b.ReportMetric(r.converged.Seconds(), "s-to-90%")
				}
			})
		}
	}
}

type autoRateResult struct {
	steady, throttled float64
	converged         time.Duration
}

func autoRateRun(b *testing.B, n float64, load, d time.Duration) autoRateResult {
	rows := int(n*d.Seconds()*1.2) + 100
	its := enginetest.Items(b, rows)
	env := sandboxtest.Start(b, sandbox.Options{Balance: money.FromHundredths(1e13), Cards: sandbox.DemoCards(),
		ServerRate: n, LoadLatency: load})
	client := env.Client(b, func(c *enkash.Config) { c.MaxConnsPerHost = 66 })
	if err := client.Login(context.Background()); err != nil {
		b.Fatal(err)
	}
	log := zap.NewNop()
	if os.Getenv("BENCH_LOG") != "" { // BENCH_LOG=1: every change of the rate, on stderr
		log = zaptest.NewLogger(b, zaptest.Level(zap.DebugLevel))
	}
	eng := engine.New(engine.Config{Workers: 64, Adaptive: true, MaxAttempts: 50, FailRatio: -1}, client, nil, log.With(zap.Float64("N", n)))
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	if _, err := eng.Run(ctx, enginetest.Source(its), func(*reward.Outcome) error { return nil }); err != nil {
		b.Fatal(err)
	}
	return measureRequests(env.Requests(), start, n, d)
}

// measureRequests reads the sandbox's request log: accepted allocations
// per second after the first half, 429s among all calls, and the first
// second at 90% of n.
func measureRequests(reqs []sandbox.Request, start time.Time, n float64, d time.Duration) autoRateResult {
	var r autoRateResult
	perSecond := make([]int, int(d.Seconds())+2)
	total, late := 0, 0
	for _, q := range reqs {
		total++
		if q.Status == http.StatusTooManyRequests {
			r.throttled++
			continue
		}
		at := q.At.Sub(start)
		if s := int(at.Seconds()); s >= 0 && s < len(perSecond) {
			perSecond[s]++
		}
		if at >= d/2 && at < d {
			late++
		}
	}
	r.throttled /= float64(max(total, 1))
	r.steady = float64(late) / (n * (d / 2).Seconds())
	r.converged = -time.Second
	for s, c := range perSecond {
		if float64(c) >= 0.9*n {
			r.converged = time.Duration(s+1) * time.Second
			break
		}
	}
	return r
}
