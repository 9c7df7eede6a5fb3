package ledger_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/ledger/pgtest"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// withLedger gives each iteration a fresh ledger file (its pragmas: see
// the ledger's dsnPragmas).
func withLedger(b *testing.B) (engine.Journal, func() error) {
	return journalAt(b, filepath.Join(b.TempDir(), ledger.FileName))
}

// withPostgres gives each iteration a fresh database on the test server,
// with fsync on: each group commit waits for the server's WAL flush.
func withPostgres(b *testing.B) (engine.Journal, func() error) {
	if err := pgtest.Shared(b).SetFsync(true); err != nil {
		b.Fatal(err)
	}
	return journalAt(b, pgtest.Database(b))
}

// setupCPU is the CPU time spent opening ledgers (creating their schema)
// during a benchmark, which its cpu-µs/row leaves out: a run opens its
// ledger once, whatever its size.
var setupCPU time.Duration

func journalAt(b *testing.B, loc string) (engine.Journal, func() error) {
	defer func(start time.Duration) { setupCPU += processCPU() - start }(processCPU())
	l, err := ledger.Open(context.Background(), loc)
	if err != nil {
		b.Fatal(err)
	}
	j, err := l.StartRun(context.Background(), ledger.RunInfo{ID: "bench", Scope: "S", StartedAt: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	return j, func() error {
		err := j.Close()
		if cerr := l.Close(); err == nil {
			err = cerr
		}
		return err
	}
}

// noRemoteCheck turns off the lookup of every reference the ledger has
// never seen: with it off, the difference between "off" and a ledger is
// the ledger's own cost.
func noRemoteCheck(c *engine.Config) { c.NoRemoteCheck = true }

// asARun gives the engine the user listing budget a run of rows gets.
func asARun(rows int) func(*engine.Config) {
	return func(c *engine.Config) { c.RosterPages = engine.RosterBudget(rows) }
}

// BenchmarkLedger runs the engine against the in-process sandbox in three
// shapes (rows, workers, added latency), each with these journals:
//
//   - off: no ledger (the engine's ceiling);
//   - sqlite, postgres: the ledger with the remote check off, so that the
//     gap to "off" is the ledger's own cost (its durable writes);
//   - sqlite+check: the ledger as a run uses it, with the check at EnKash
//     before each new reference's first send (one listing of the
//     account's users within a run's budget, a lookup per listed person):
//     the gap to "sqlite" is the remote check's cost, not the ledger's.
//
// postgres skips when no PostgreSQL server binaries are installed. Besides
// rows/s, each reports the process's CPU time per row (user and system,
// where the system tells; the sandbox's included, opening the ledger
// not), which other processes on the machine disturb less than the rate.
//
//	go test -run '^$' -bench Ledger -benchtime 3x ./pkg/ledger
//	go test -run '^$' -bench 'Ledger/NoLatency64Workers/sqlite$' -benchtime 3x -cpuprofile cpu.out ./pkg/ledger
func BenchmarkLedger(b *testing.B) {
	shapes := []struct {
		name          string
		rows, workers int
		latency       time.Duration
	}{
		{"NoLatency8Workers", 4000, 8, 0},
		{"NoLatency64Workers", 4000, 64, 0},
		// 100 rows per worker keep the ramp and the tail small against
		// the five seconds of the run; the ideal is 1,280 rows/s.
		{"50ms64Workers", 64 * 100, 64, 50 * time.Millisecond},
	}
	journals := []struct {
		name      string
		journal   enginetest.Journal
		configure []func(*engine.Config)
	}{
		{"off", nil, nil},
		{"sqlite", withLedger, []func(*engine.Config){noRemoteCheck}},
		{"sqlite+check", withLedger, nil},
		{"postgres", withPostgres, []func(*engine.Config){noRemoteCheck}},
	}
	for _, s := range shapes {
		for _, j := range journals {
			configure := j.configure
			if j.name == "sqlite+check" {
				configure = append(configure, asARun(s.rows))
			}
			b.Run(s.name+"/"+j.name, func(b *testing.B) {
				defer reportCPU(b, s.rows)()
				enginetest.Bench(b, s.rows, s.workers, s.latency, j.journal, configure...)
			})
		}
	}
}

// BenchmarkJournal is the ledger alone, without the engine or a server:
// batches of 64 rows begun as the engine begins them, each row's outcome
// recorded after its batch's Begin returned, every run a fresh ledger.
// rows/s is what one writer sustains; cpu-µs/row is the process's CPU
// time per row (opening the ledger left out). PostgreSQL's own CPU time
// is the server's, not counted.
//
//	go test -run '^$' -bench Journal -benchtime 10x -cpuprofile cpu.out ./pkg/ledger
func BenchmarkJournal(b *testing.B) {
	const rows, batch = 4096, 64
	its := enginetest.Items(b, rows)
	for _, backend := range []struct {
		name    string
		journal enginetest.Journal
	}{{"sqlite", withLedger}, {"postgres", withPostgres}} {
		b.Run(backend.name, func(b *testing.B) {
			defer reportCPU(b, rows)()
			var total time.Duration
			for range b.N {
				b.StopTimer()
				j, closeJournal := backend.journal(b)
				b.StartTimer()
				start := time.Now()
				for k := 0; k < rows; k += batch {
					beginAndRecord(b, j, its[k:min(k+batch, rows)])
				}
				if err := closeJournal(); err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(rows*b.N)/total.Seconds(), "rows/s")
		})
	}
}

// reportCPU starts measuring the process's CPU time; the function it
// returns reports it per row, without the time spent opening ledgers.
func reportCPU(b *testing.B, rows int) func() {
	start, setup := processCPU(), setupCPU
	return func() {
		if cpu := processCPU() - start - (setupCPU - setup); cpu > 0 {
			b.ReportMetric(float64(cpu.Microseconds())/float64(rows*b.N), "cpu-µs/row")
		}
	}
}

// beginAndRecord begins a batch and records each row as confirmed.
func beginAndRecord(b *testing.B, j engine.Journal, batch []*reward.Item) {
	priors, err := j.Begin(context.Background(), batch)
	if err != nil {
		b.Fatal(err)
	}
	for i, it := range batch {
		if priors[i].Kind != reward.PriorNew {
			b.Fatalf("row %d: prior %v", i, priors[i].Kind)
		}
		if err := j.Record(&reward.Outcome{Item: it, Status: reward.StatusMatched, Attempts: 1,
			Receipt: reward.Receipt{PGReferenceNumber: "PG" + it.Allocation.Reference, EnKashCardID: "EKC1",
				EnkashCardTxnID: "T" + it.Allocation.Reference, OTBBalance: "100.00"}}); err != nil {
			b.Fatal(err)
		}
	}
}
