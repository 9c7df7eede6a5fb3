package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// BenchmarkBulkVsSingle sends the same rows in single and in bulk mode
// (bulk calls of 50) against the same server: on loopback with no latency
// (the client's and the sandbox's CPU on one machine), with 20 ms per
// call, under the sandbox's own request limit of 200 calls a second (a
// bulk call counting as one; the client held at 180), and on loopback
// with a journal, whose lookup of each new reference before its first
// send (a search and a lookup a row) bulk mode does not batch. 8 workers,
// AES envelope on.
//
//	go test -run '^$' -bench BulkVsSingle -benchtime 3x ./pkg/engine
func BenchmarkBulkVsSingle(b *testing.B) {
	servers := []struct {
		name    string
		latency time.Duration
		limit   float64 // the server's request limit (0: none); the client stays at 90% of it
		journal bool
	}{{"loopback", 0, 0, false}, {"latency=20ms", 20 * time.Millisecond, 0, false}, {"server-limit=200/s", 0, 200, false},
		{"loopback+journal", 0, 0, true}}
	for _, srv := range servers {
		for _, mode := range []engine.Mode{engine.ModeSingle, engine.ModeBulk} {
			rows, rate := 4000, 1e6
			if srv.limit > 0 {
				rate = 0.9 * srv.limit
			}
			if mode == engine.ModeSingle && (srv.latency > 0 || srv.limit > 0) {
				rows = 800 // a few seconds a run at 400 or 180 rows/s
			}
			b.Run(fmt.Sprintf("%s/mode=%s", srv.name, mode), func(b *testing.B) {
				benchMode(b, rows, engine.Config{Workers: 8, Rate: rate, Mode: mode, BulkSize: 50, BulkLinger: 20 * time.Millisecond},
					sandbox.Options{ServerRate: srv.limit, Faults: sandbox.Faults{Latency: srv.latency}}, srv.journal)
			})
		}
	}
}

// benchMode runs rows through the engine with cfg against a fresh sandbox
// with opts per iteration, and reports rows/s. With journal, an in-memory
// journal makes the engine look each new reference up before its first
// send, as a run with a new ledger does.
func benchMode(b *testing.B, rows int, cfg engine.Config, opts sandbox.Options, journal bool) {
	its := items(b, rows)
	opts.Balance, opts.Cards = money.FromHundredths(1e13), sandbox.DemoCards()
	var total time.Duration
	for range b.N {
		b.StopTimer()
		env := sandboxtest.Start(b, opts)
		client := env.Client(b, func(c *enkash.Config) { c.MaxConnsPerHost = cfg.Workers + 2 })
		if err := client.Login(context.Background()); err != nil {
			b.Fatal(err)
		}
		matched := 0
		b.StartTimer()
		start := time.Now()
		var j engine.Journal
		if journal {
			j = enginetest.NewJournal()
		}
		_, err := engine.New(cfg, client, j, nil).Run(context.Background(), source(its), func(o *reward.Outcome) error {
			if o.Status == reward.StatusMatched {
				matched++
			}
			return nil
		})
		total += time.Since(start)
		b.StopTimer()
		if err != nil || matched != rows {
			b.Fatalf("%d of %d rows matched (%v)", matched, rows, err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(rows*b.N)/total.Seconds(), "rows/s")
}
