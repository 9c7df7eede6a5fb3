package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
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
// each row is checked at EnKash before its first send; the run lists the
// account's users once (search) and looks up on its card (transaction/all)
// only the row of a person listed there. known-persons is the same with
// every person of the file already a card holder at EnKash, so that every
// row is looked up on its card. no-remote-check is the first with
// --no-remote-check.
//
// Besides rows/s it reports cpu-us/row, the process's CPU time (client and
// sandbox together) per row, which moves far less than rows/s when other
// processes share the machine:
//
//	go test -run '^$' -bench RunEndToEnd -benchtime 3x ./pkg/cli
func BenchmarkRunEndToEnd(b *testing.B) {
	file := writeRows(b, e2eRows)
	demo := sandbox.DemoCards()
	for _, v := range []struct {
		name  string
		cards []sandbox.Card
		flags []string
	}{
		{"remote-check", demo, nil},
		{"known-persons", append(demo, cardsOf(b, file)...), nil},
		{"no-remote-check", demo, []string{"--no-remote-check"}},
	} {
		b.Run(v.name, func(b *testing.B) { benchRun(b, file, e2eRows, v.cards, v.flags) })
	}
}

// cardsOf returns a card for each person of file's rows that name no card.
func cardsOf(b *testing.B, file string) []sandbox.Card {
	f, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var cards []sandbox.Card
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		email := r[col["email"]]
		if r[col["enkashCardId"]] != "" || seen[email] {
			continue
		}
		seen[email] = true
		cards = append(cards, sandbox.Card{ID: fmt.Sprintf("EKK%07d", len(cards)+1), Email: email, Mobile: r[col["mobile"]],
			FirstName: "Known", Title: "Mr", Gender: "M", Balance: money.FromHundredths(0)})
	}
	return cards
}

// benchRun runs `rewardbatch run` on file b.N times, each against a fresh
// sandbox holding cards and a fresh ledger, and reports rows/s and CPU time per row.
func benchRun(b *testing.B, file string, rows int, cards []sandbox.Card, flags []string) {
	var wall, cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		// pages of 1,000, as a real server pages its lists: an unpaged
		// answer cannot prove the user listing whole
		sb, err := sandbox.New(sandbox.Options{Balance: money.FromHundredths(1e15), Cards: cards, PageSize: 1000}).Start("127.0.0.1:0")
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
