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
func BenchmarkValidateMillionRows(b *testing.B) { benchValidate(b, 1_000_000) }

// BenchmarkValidateThreeMillionRows is the memory bound of the validator:
// a 3,000,000-row file (about 345 MB) must validate in at most 150 MB of
// peak resident memory (peak-RSS-MB, read from VmHWM, the kernel's record
// of this process's peak). Run it alone, in a fresh process:
//
//	go test -run '^$' -bench ValidateThreeMillionRows -benchtime 1x ./pkg/cli
func BenchmarkValidateThreeMillionRows(b *testing.B) { benchValidate(b, 3_000_000) }

func benchValidate(b *testing.B, rows int) {
	path := filepath.Join(b.TempDir(), "rows.csv")
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
	if mb, ok := peakRSSMB(); ok {
		b.ReportMetric(mb, "peak-RSS-MB")
	}
}

// peakRSSMB returns the process's peak resident memory in MiB, from
// getrusage's maxrss (kilobytes on Linux).
func peakRSSMB() (float64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return float64(ru.Maxrss) / 1024, true
}
