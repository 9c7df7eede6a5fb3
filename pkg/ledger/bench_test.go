package ledger_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/samplegen"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

func benchItems(b *testing.B, n int) []*validate.Item {
	var buf bytes.Buffer
	if err := samplegen.Write(&buf, samplegen.Options{Rows: n, Seed: 3, Batch: "L", TopUps: 20, Debits: 10}); err != nil {
		b.Fatal(err)
	}
	var out []*validate.Item
	opts := validate.Options{CompanyID: sandbox.DefaultCredentials.CompanyID, CardAccountID: sandbox.DefaultCredentials.CardAccountID}
	if _, err := validate.Stream(context.Background(), "gen.csv", &buf, opts, nil, func(it *validate.Item) error {
		out = append(out, it)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	return out
}

// benchLedger sends rows through the engine, with the ledger (a fresh
// SQLite file per iteration, synchronous=FULL) or without, and reports
// rows/s.
func benchLedger(b *testing.B, rows, workers int, latency time.Duration, withLedger bool) {
	its := benchItems(b, rows)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		env := sandboxtest.Start(b, sandbox.Options{Balance: money.FromHundredths(1e13), Cards: sandbox.DemoCards(),
			Faults: sandbox.Faults{Latency: latency}})
		client := env.Client(b, func(c *enkash.Config) { c.MaxConnsPerHost = workers + 2 })
		if err := client.Login(context.Background()); err != nil {
			b.Fatal(err)
		}
		var journal engine.Journal
		var j *ledger.Journal
		if withLedger {
			l, err := ledger.Open(context.Background(), filepath.Join(b.TempDir(), ledger.FileName))
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			if j, err = l.StartRun(context.Background(), ledger.RunInfo{ID: "bench", Scope: "S", StartedAt: time.Now()}); err != nil {
				b.Fatal(err)
			}
			journal = j
		}
		eng := engine.New(engine.Config{Workers: workers, Rate: 1e6}, client, journal, nil)
		matched := 0
		src := func(ctx context.Context, emit func(*validate.Item) error) error {
			for _, it := range its {
				if err := emit(it); err != nil {
					return err
				}
			}
			return nil
		}
		b.StartTimer()
		start := time.Now()
		if _, err := eng.Run(context.Background(), src, func(o *engine.Outcome) error {
			if o.Status == engine.StatusMatched {
				matched++
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if j != nil {
			if err := j.Close(); err != nil { // the last group commit belongs to the run
				b.Fatal(err)
			}
		}
		total += time.Since(start)
		if matched != rows {
			b.Fatalf("%d of %d rows matched", matched, rows)
		}
	}
	b.ReportMetric(float64(rows*b.N)/total.Seconds(), "rows/s")
}

// The pairs below compare the engine with and without the ledger:
//
//	go test -run '^$' -bench Ledger -benchtime 3x ./pkg/ledger
func BenchmarkLedgerOff50ms64Workers(b *testing.B) {
	benchLedger(b, 64*100, 64, 50*time.Millisecond, false)
}
func BenchmarkLedgerOn50ms64Workers(b *testing.B) {
	benchLedger(b, 64*100, 64, 50*time.Millisecond, true)
}
func BenchmarkLedgerOffNoLatency(b *testing.B) { benchLedger(b, 4000, 8, 0, false) }
func BenchmarkLedgerOnNoLatency(b *testing.B)  { benchLedger(b, 4000, 8, 0, true) }

func BenchmarkLedgerOffNoLatency64Workers(b *testing.B) { benchLedger(b, 4000, 64, 0, false) }
func BenchmarkLedgerOnNoLatency64Workers(b *testing.B)  { benchLedger(b, 4000, 64, 0, true) }
