// Package enginetest holds what the engine's tests and benchmarks share
// with the ledger's: generated rows, a source over them, and the
// throughput benchmark against an in-process sandbox.
package enginetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/samplegen"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// Items validates a generated file of n rows, with top-ups and debits of
// the sandbox's demo cards when n is large enough.
func Items(tb testing.TB, n int) []*reward.Item {
	tb.Helper()
	var buf bytes.Buffer
	if err := samplegen.Write(&buf, samplegen.Options{Rows: n, Seed: 3, Batch: "T", TopUps: min(n/8, 20), Debits: min(n/20, 10)}); err != nil {
		tb.Fatal(err)
	}
	var out []*reward.Item
	opts := validate.Options{CompanyID: sandbox.DefaultCredentials.CompanyID, CardAccountID: sandbox.DefaultCredentials.CardAccountID}
	if _, err := validate.Stream(context.Background(), "gen.csv", &buf, opts, nil, func(it *reward.Item) error {
		out = append(out, it)
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

// Source emits its in order.
func Source(its []*reward.Item) engine.Source {
	return func(_ context.Context, emit func(*reward.Item) error) error {
		for _, it := range its {
			if err := emit(it); err != nil {
				return err
			}
		}
		return nil
	}
}

// Journal makes the journal of one benchmark iteration, and a function
// that closes it; nil runs without one.
type Journal func(b *testing.B) (engine.Journal, func() error)

// Bench sends rows through the engine to a fresh in-process sandbox per
// iteration (AES envelope on, as in production) and reports rows/s; with
// latency, also the share of the ideal workers/latency. Each of configure
// adjusts the engine's configuration (NoRemoteCheck, for example).
func Bench(b *testing.B, rows, workers int, latency time.Duration, journal Journal, configure ...func(*engine.Config)) {
	its := Items(b, rows)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		env := sandboxtest.Start(b, sandbox.Options{Balance: money.FromHundredths(1e13), Cards: sandbox.DemoCards(),
			Faults: sandbox.Faults{Latency: latency}})
		client := env.Client(b, func(c *enkash.Config) { c.MaxConnsPerHost = workers + 2 })
		if err := client.Login(context.Background()); err != nil {
			b.Fatal(err)
		}
		var (
			j            engine.Journal
			closeJournal = func() error { return nil }
		)
		if journal != nil {
			j, closeJournal = journal(b)
		}
		cfg := engine.Config{Workers: workers, Rate: 1e6}
		for _, f := range configure {
			f(&cfg)
		}
		eng := engine.New(cfg, client, j, nil)
		matched := 0
		b.StartTimer()
		start := time.Now()
		rep, err := eng.Run(context.Background(), Source(its), func(o *reward.Outcome) error {
			if o.Status == reward.StatusMatched {
				matched++
			}
			return nil
		})
		if err == nil {
			err = rep.Fatal
		}
		if cerr := closeJournal(); err == nil { // the last group commit belongs to the run
			err = cerr
		}
		total += time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if matched != rows {
			b.Fatalf("%d of %d rows matched", matched, rows)
		}
		b.StartTimer()
	}
	rate := float64(rows*b.N) / total.Seconds()
	b.ReportMetric(rate, "rows/s")
	if latency > 0 {
		b.ReportMetric(100*rate/(float64(workers)/latency.Seconds()), "%-of-ideal")
	}
}
