package cli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// e2eRows and e2eWorkers size one iteration of the end-to-end benchmark:
// large enough that the start (validation of the plan, login, the balance
// check, opening the ledger) is small against the sending.
const (
	e2eRows    = 10_000
	e2eWorkers = 64
)

// BenchmarkRunEndToEnd is issue 15's end-to-end figure: the whole `run`
// command (reading and validating the file, the balance check, the engine,
// the SQLite ledger (rollback journal in TRUNCATE mode, synchronous=FULL), results.csv, failed.csv and the
// summaries) against an in-process sandbox on loopback with the AES
// envelope on and no added latency, 64 workers, no rate limit. Each
// iteration starts a fresh sandbox and ledger. The target is 10,000 rows/s
// on two cores.
//
// remote-check is the default: the ledger has never seen any reference, so
// each row is looked up at EnKash (search, then transaction/all) before
// its first send. no-remote-check is the same with --no-remote-check.
//
// Besides rows/s it reports cpu-us/row, the process's CPU time (client and
// sandbox together) per row, which moves far less than rows/s when other
// processes share the machine:
//
//	go test -run '^$' -bench RunEndToEnd -benchtime 3x ./pkg/cli
func BenchmarkRunEndToEnd(b *testing.B) {
	file := writeRows(b, e2eRows)
	for _, v := range []struct {
		name  string
		flags []string
	}{
		{"remote-check", nil},
		{"no-remote-check", []string{"--no-remote-check"}},
	} {
		b.Run(v.name, func(b *testing.B) { benchRun(b, file, e2eRows, v.flags) })
	}
}

// benchRun runs `rewardbatch run` on file b.N times, each against a fresh
// sandbox and ledger, and reports rows/s and CPU time per row.
func benchRun(b *testing.B, file string, rows int, flags []string) {
	var wall, cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		sb, err := sandbox.New(sandbox.Options{Balance: money.FromHundredths(1e15), Cards: sandbox.DemoCards()}).Start("127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		env := map[string]string{}
		for _, kv := range sandboxEnv(sb) {
			env[kv[0]] = kv[1]
		}
		args := append([]string{"run", "--log-level", "error", "--no-progress",
			"--workers", strconv.Itoa(e2eWorkers), "--rate", "1000000",
			"--state", filepath.Join(dir, ledger.FileName), "--out", filepath.Join(dir, "run")}, flags...)
		args = append(args, file)
		cpu0 := processCPU()
		start := time.Now()
		b.StartTimer()
		code := Execute(context.Background(), args, io.Discard, io.Discard, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		b.StopTimer()
		wall += time.Since(start)
		cpu += processCPU() - cpu0
		applied := sb.Stats().Count("applied")
		_ = sb.Close(context.Background())
		if code != exitcode.OK {
			b.Fatalf("run exited %d", code)
		}
		checkSummary(b, filepath.Join(dir, "run"), rows, applied)
		b.StartTimer()
	}
	b.ReportMetric(float64(rows*b.N)/wall.Seconds(), "rows/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(rows*b.N), "cpu-us/row")
}

// checkSummary fails the benchmark unless every row of the run is MATCHED
// and the sandbox applied each exactly once.
func checkSummary(b *testing.B, dir string, rows int, applied int64) {
	raw, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		b.Fatal(err)
	}
	var s struct {
		Statuses map[string]int `json:"statuses"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		b.Fatal(err)
	}
	if s.Statuses["MATCHED"] != rows || applied != int64(rows) {
		b.Fatalf("%d of %d rows MATCHED, %d applied by the sandbox: want every row once", s.Statuses["MATCHED"], rows, applied)
	}
}

// processCPU returns the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
