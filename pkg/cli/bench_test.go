package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/samplegen"
)

// BenchmarkValidateMillionRows runs `rewardbatch validate` on a generated
// 1,000,000-row file (about 114 MB) and reports rows per second and the
// process's peak resident memory:
//
//	go test -run '^$' -bench ValidateMillionRows -benchtime 3x ./pkg/cli
func BenchmarkValidateMillionRows(b *testing.B) { benchValidate(b, 1_000_000, 0) }

// BenchmarkValidateThreeMillionRows is the memory bound of the validator:
// a 3,000,000-row file (about 347 MB) must validate in at most 150 MB of
// peak resident memory (peak-RSS-MB, read from VmHWM, the kernel's record
// of this process's peak, reset before the benchmark starts):
//
//	go test -run '^$' -bench ValidateThreeMillionRows -benchtime 1x ./pkg/cli
func BenchmarkValidateThreeMillionRows(b *testing.B) { benchValidate(b, 3_000_000, 150) }

// BenchmarkWorkbookMillionRows validates the same 1,000,000 rows as
// an .xlsx workbook (the mobiles and amounts stored as numbers), streamed
// row by row:
//
//	go test -run '^$' -bench WorkbookMillionRows -benchtime 1x ./pkg/cli
func BenchmarkWorkbookMillionRows(b *testing.B) {
	csvPath := writeRows(b, 1_000_000)
	path := filepath.Join(b.TempDir(), "rows.xlsx")
	if err := csvToXLSX(csvPath, path); err != nil {
		b.Fatal(err)
	}
	measureValidate(b, path, 1_000_000, 0)
}

// csvToXLSX writes the CSV file's rows into a workbook's first sheet, the
// cells that are numbers as numbers.
func csvToXLSX(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	r := csv.NewReader(bufio.NewReaderSize(in, 1<<20))
	for n := 1; ; n++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		cells := make([]any, len(rec))
		for i, c := range rec {
			cells[i] = c
			if v, err := strconv.ParseInt(c, 10, 64); err == nil && n > 1 && c[0] != '0' {
				cells[i] = v
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(to)
}

// writeRows writes a generated CSV file of the given rows.
func writeRows(b *testing.B, rows int) string {
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
	return path
}

// benchValidate validates a generated file of the given rows; a positive
// maxMB fails the benchmark when the peak resident memory exceeds it.
func benchValidate(b *testing.B, rows int, maxMB float64) {
	measureValidate(b, writeRows(b, rows), rows, maxMB)
}

// measureValidate runs validate on path b.N times and reports rows/s and
// the peak resident memory.
func measureValidate(b *testing.B, path string, rows int, maxMB float64) {
	// The collector's setting of the program (cmd/rewardbatch sets it
	// unless GOGC is set), so that the memory measured is the program's.
	if _, set := os.LookupEnv("GOGC"); !set {
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	resetPeakRSS()
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
		if maxMB > 0 && mb > maxMB {
			b.Errorf("validating %d rows took %.0f MB of peak resident memory; the bound is %.0f MB", rows, mb, maxMB)
		}
	}
}

// resetPeakRSS returns freed memory to the system and resets the
// kernel's record of the peak (VmHWM), so that a benchmark run after
// another one in the same process reports its own peak.
func resetPeakRSS() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSSMB returns the process's peak resident memory in MiB since the
// last resetPeakRSS: VmHWM from /proc/self/status, or getrusage's maxrss
// (the peak of the whole process) where /proc is missing.
func peakRSSMB() (float64, bool) {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				if kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64); err == nil {
					return kb / 1024, true
				}
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return float64(ru.Maxrss) / 1024, true
}
