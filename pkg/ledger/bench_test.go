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
)

// withLedger gives each iteration a fresh ledger file (synchronous=EXTRA).
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

func journalAt(b *testing.B, loc string) (engine.Journal, func() error) {
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

// The pairs compare the engine with and without the ledger:
//
//	go test -run '^$' -bench Ledger -benchtime 3x ./pkg/ledger
func BenchmarkLedgerOff50ms64Workers(b *testing.B) {
	enginetest.Bench(b, 64*100, 64, 50*time.Millisecond, nil)
}
func BenchmarkLedgerOn50ms64Workers(b *testing.B) {
	enginetest.Bench(b, 64*100, 64, 50*time.Millisecond, withLedger)
}
func BenchmarkLedgerPostgres50ms64Workers(b *testing.B) {
	enginetest.Bench(b, 64*100, 64, 50*time.Millisecond, withPostgres)
}
func BenchmarkLedgerPostgresNoLatency64Workers(b *testing.B) {
	enginetest.Bench(b, 4000, 64, 0, withPostgres)
}
func BenchmarkLedgerOffNoLatency(b *testing.B)          { enginetest.Bench(b, 4000, 8, 0, nil) }
func BenchmarkLedgerOnNoLatency(b *testing.B)           { enginetest.Bench(b, 4000, 8, 0, withLedger) }
func BenchmarkLedgerOffNoLatency64Workers(b *testing.B) { enginetest.Bench(b, 4000, 64, 0, nil) }
func BenchmarkLedgerOnNoLatency64Workers(b *testing.B)  { enginetest.Bench(b, 4000, 64, 0, withLedger) }
