package ledger_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
)

// withLedger gives each iteration a fresh ledger file (synchronous=FULL).
func withLedger(b *testing.B) (engine.Journal, func() error) {
	l, err := ledger.Open(context.Background(), filepath.Join(b.TempDir(), ledger.FileName))
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
func BenchmarkLedgerOffNoLatency(b *testing.B)          { enginetest.Bench(b, 4000, 8, 0, nil) }
func BenchmarkLedgerOnNoLatency(b *testing.B)           { enginetest.Bench(b, 4000, 8, 0, withLedger) }
func BenchmarkLedgerOffNoLatency64Workers(b *testing.B) { enginetest.Bench(b, 4000, 64, 0, nil) }
func BenchmarkLedgerOnNoLatency64Workers(b *testing.B)  { enginetest.Bench(b, 4000, 64, 0, withLedger) }
