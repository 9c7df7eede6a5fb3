package cli

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/samplegen"
)

// BenchmarkValidateMillionRows runs `rewardbatch validate` on a generated
// 1,000,000-row file (about 114 MB) and reports rows per second and the
// process's peak resident memory. Run it alone, so that the peak is this
// benchmark's:
//
//	go test -run '^$' -bench ValidateMillionRows -benchtime 3x ./pkg/cli
func BenchmarkValidateMillionRows(b *testing.B) {
	const rows = 1_000_000
	path := filepath.Join(b.TempDir(), "million.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := samplegen.Write(w, samplegen.Options{Rows: rows, Seed: 1, Batch: "M", TopUps: 20, Debits: 10}); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	_ = f.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := filepath.Join(b.TempDir(), "run")
		code := Execute(context.Background(), []string{"validate", "--log-level", "error", "--out", out, path},
			io.Discard, io.Discard, func(string) (string, bool) { return "", false })
		if code != exitcode.OK {
			b.Fatalf("validate exited %d", code)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	}
}
