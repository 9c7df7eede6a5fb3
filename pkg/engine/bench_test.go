package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// benchEngine sends rows through the engine to a fresh in-process sandbox
// (AES envelope on, as in production) per iteration, and reports rows/s.
// With latency it also reports the share of the ideal workers/latency.
func benchEngine(b *testing.B, rows, workers int, latency time.Duration) {
	its := items(b, rows)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		env := sandboxtest.Start(b, sandbox.Options{Balance: money.FromHundredths(1e13), Cards: sandbox.DemoCards(),
			Faults: sandbox.Faults{Latency: latency}})
		client := env.Client(b, func(c *enkash.Config) { c.MaxConnsPerHost = workers + 2 })
		if err := client.Login(context.Background()); err != nil {
			b.Fatal(err)
		}
		eng := engine.New(engine.Config{Workers: workers, Rate: 1e6}, client, nil, nil)
		c := &collector{}
		b.StartTimer()
		start := time.Now()
		if _, err := eng.Run(context.Background(), source(its), c.sink); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		if st := c.statuses(); st[engine.StatusMatched] != rows {
			b.Fatalf("statuses %v", st)
		}
		b.StartTimer()
	}
	rate := float64(rows*b.N) / total.Seconds()
	b.ReportMetric(rate, "rows/s")
	if latency > 0 {
		ideal := float64(workers) / latency.Seconds()
		b.ReportMetric(100*rate/ideal, "%-of-ideal")
	}
}

// BenchmarkEngineNoLatency: the engine's own ceiling on this machine.
//
//	go test -run '^$' -bench Engine -benchtime 3x ./pkg/engine
func BenchmarkEngineNoLatency(b *testing.B) { benchEngine(b, 4000, 8, 0) }

// BenchmarkEngineNoLatency64Workers: the same with 64 workers.
func BenchmarkEngineNoLatency64Workers(b *testing.B) { benchEngine(b, 4000, 64, 0) }

// BenchmarkEngine50msLatency64Workers: the ideal is 64 / 0.05 s = 1,280
// rows/s; the target is at least 95% of it.
// 6,400 rows (100 per worker) keep the ramp at the start and the tail at
// the end small against the five seconds of the run.
func BenchmarkEngine50msLatency64Workers(b *testing.B) {
	benchEngine(b, 64*100, 64, 50*time.Millisecond)
}
