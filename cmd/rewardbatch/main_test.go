package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/ledger/pgtest"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/samplegen"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// binary is the rewardbatch built for these tests: they run the real
// program, kill it, and run it again.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rewardbatch-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "rewardbatch")
	if out, err := exec.Command("go", buildArgs(binary)...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building rewardbatch: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	pgtest.StopShared()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// buildArgs are the arguments of the go command that builds the binary.
// Under `go test -cover` the binary is built with coverage too: go test
// sets GOCOVERDIR for the tests' children, the binary writes its counters
// there, and go test counts them with its own.
func buildArgs(binary string) []string {
	args := []string{"build", "-o", binary}
	if mode := testing.CoverMode(); mode != "" && os.Getenv("GOCOVERDIR") != "" {
		args = append(args, "-cover", "-covermode="+mode, "-coverpkg=github.com/rewardbatch/rewardbatch/...")
	}
	return append(args, ".")
}

// world is a sandbox on loopback, a generated file and a ledger.
type world struct {
	sb     *sandbox.Running
	file   string
	state  string
	dir    string
	rows   int
	runs   int
	refs   []string
	amount map[string]string
	logs   *strings.Builder // the output of the last run started
	mode   []string         // the flags of the sending mode under test
}

// sendMode is a sending mode the crash and fault tests run in.
type sendMode struct {
	name string
	args []string
}

// bulkSize is the bulk calls' size in these tests: small, so that a file
// makes many calls and the faults, drawn per call, land on some.
const bulkSize = 10

// sendModes are the modes the crash and fault tests run in: every row on
// its own call, and the create-and-allocate rows in bulk calls.
var sendModes = []sendMode{{"single", nil}, {"bulk", []string{"--mode", "bulk", "--bulk-size", fmt.Sprint(bulkSize)}}}

func newWorld(t *testing.T, rows int, opts sandbox.Options) *world {
	t.Helper()
	opts.Cards = sandbox.DemoCards()
	opts.Balance = money.FromHundredths(1e13)
	sb, err := sandbox.New(opts).Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	w := &world{sb: sb, dir: t.TempDir(), rows: rows, amount: map[string]string{}}
	w.file = filepath.Join(w.dir, "allocations.csv")
	w.state = filepath.Join(w.dir, "state", "ledger.db")
	f, err := os.Create(w.file)
	require.NoError(t, err)
	require.NoError(t, samplegen.Write(f, samplegen.Options{Rows: rows, Seed: 42, Batch: "CRASH", TopUps: 20, Debits: 10}))
	require.NoError(t, f.Close())
	recs := readCSV(t, w.file)
	for _, r := range recs[1:] {
		w.refs = append(w.refs, r[3])
		w.amount[r[3]] = r[9]
	}
	return w
}

func (w *world) env() []string {
	c := w.sb.Options().Credentials
	return append(os.Environ(),
		enkash.EnvBaseURL+"="+w.sb.URL, enkash.EnvClientID+"="+c.ClientID, enkash.EnvClientSecret+"="+c.ClientSecret.Reveal(),
		enkash.EnvUsername+"="+c.Username, enkash.EnvPassword+"="+c.Password.Reveal(), enkash.EnvPartnerID+"="+c.PartnerID,
		enkash.EnvCompanyID+"="+c.CompanyID, enkash.EnvCardAccountID+"="+c.CardAccountID)
}

// start runs `rewardbatch run` on the file into a new run folder.
func (w *world) start(t *testing.T, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	w.runs++
	out := filepath.Join(w.dir, fmt.Sprintf("run-%02d", w.runs))
	// The sandbox runs in this process and applies a request as it
	// arrives, so a killed run's requests are settled within a second: the
	// settle window and the resend rule can be far shorter than in
	// production (3m, 15m).
	args := append([]string{"run", "--state", w.state, "--out", out, "--rate", "5000", "--workers", "8",
		"--lookup-grace", "5ms", "--settle-window", "500ms", "--resend-after", "1s",
		"--log-level", "warn", "--log-format", "json", "--no-progress"}, slices.Concat(w.mode, extra)...)
	cmd := exec.Command(binary, append(args, w.file)...)
	cmd.Env = w.env()
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	w.logs = &logs
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("output of run %s:\n%s", out, logs.String())
		}
	})
	require.NoError(t, cmd.Start())
	return cmd, out
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -int(ws.Signal())
		}
		return ee.ExitCode()
	}
	if err != nil {
		return -1000
	}
	return 0
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(bufio.NewReader(f)).ReadAll()
	require.NoError(t, err)
	return rows
}

// finish reruns the file until it exits 0, and returns the last run folder.
func (w *world) finish(t *testing.T) string {
	t.Helper()
	for i := 0; i < 8; i++ {
		cmd, out := w.start(t)
		code := exitCode(cmd.Wait())
		t.Logf("rerun %d: exit %d", i+1, code)
		if code == exitcode.OK {
			return out
		}
		require.Contains(t, []int{exitcode.RowsFailed, exitcode.Incomplete}, code, "a rerun must not fail fatally")
	}
	t.Fatal("the file never finished")
	return ""
}

// assertExactlyOnce checks through the sandbox's own record
// (GET /__sandbox/transactions) that every reference of the file was
// credited or debited exactly once, and that the last results.csv has
// every row MATCHED or SKIPPED.
func (w *world) assertExactlyOnce(t *testing.T, last string) {
	t.Helper()
	resp, err := http.Get(w.sb.URL + "/__sandbox/transactions")
	require.NoError(t, err)
	defer resp.Body.Close()
	var txns []sandbox.Transaction
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&txns))
	per := map[string]int{}
	for _, tx := range txns {
		per[tx.PGReferenceNumber]++
		assert.Equal(t, w.amount[tx.PGReferenceNumber], tx.Amount.String(), "amount of %s", tx.PGReferenceNumber)
	}
	for _, ref := range w.refs {
		assert.Equal(t, 1, per[ref], "reference %s applied %d times", ref, per[ref])
	}
	assert.Len(t, per, len(w.refs), "no transaction outside the file")
	rows := readCSV(t, filepath.Join(last, "results.csv"))
	require.Len(t, rows, w.rows+1)
	status := -1
	for i, h := range rows[0] {
		if h == "status" {
			status = i
		}
	}
	for _, r := range rows[1:] {
		assert.Contains(t, []string{"MATCHED", "SKIPPED"}, r[status])
	}
}

// TestKilledRunsNeverPayTwice kills the run with SIGKILL at several seeded
// random moments, against a sandbox that credits a repeated reference again
// and loses some answers after applying them, then reruns until the file
// is done.
func TestKilledRunsNeverPayTwice(t *testing.T) {
	for _, m := range sendModes {
		t.Run("mode="+m.name, func(t *testing.T) { killedRunsNeverPayTwice(t, m) })
	}
}

func killedRunsNeverPayTwice(t *testing.T, m sendMode) {
	w := newWorld(t, 2000, sandbox.Options{Duplicates: sandbox.DuplicateApplyAgain, Faults: sandbox.Faults{
		Seed: 7, Latency: 10 * time.Millisecond, ApplyThenFail: 0.03, FailMode: sandbox.FailDrop, FirstAttemptOnly: true}})
	w.mode = m.args
	rng := rand.New(rand.NewPCG(2026, 11))
	for kill := 0; kill < 5; kill++ {
		cmd, _ := w.start(t, "--workers", "4")
		w.waitForCredits(t, len(w.sb.Transactions())+1+rng.IntN(300)) // a seeded moment in the middle of the work
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		t.Logf("kill %d: exit %d, %d transactions so far", kill+1, exitCode(cmd.Wait()), len(w.sb.Transactions()))
	}
	require.Positive(t, len(w.sb.Transactions()))
	require.Less(t, len(w.sb.Transactions()), w.rows, "the kills landed in the middle of the work")
	last := w.finish(t)
	w.assertExactlyOnce(t, last)
	st := w.sb.Stats()
	assert.Positive(t, st.Count("faults apply-then-fail"), "answers were lost after the credit")
	assert.Positive(t, st.Count("requests "+enkash.PathTransactions), "reruns looked references up before resending")
}

// TestKilledDuringLedgerWritesNeverPaysTwice watches the ledger's
// rollback journal and kills the run while it exists: in the middle of a
// group commit.
func TestKilledDuringLedgerWritesNeverPaysTwice(t *testing.T) {
	for _, m := range sendModes {
		t.Run("mode="+m.name, func(t *testing.T) { killedDuringLedgerWritesNeverPaysTwice(t, m) })
	}
}

func killedDuringLedgerWritesNeverPaysTwice(t *testing.T, m sendMode) {
	w := newWorld(t, 2000, sandbox.Options{Duplicates: sandbox.DuplicateApplyAgain, Faults: sandbox.Faults{
		Seed: 9, ApplyThenFail: 0.02, FailMode: sandbox.Fail502, FirstAttemptOnly: true}})
	w.mode = m.args
	rng := rand.New(rand.NewPCG(7, 7))
	for kill := 0; kill < 4; kill++ {
		w.killInCommit(t, 3+rng.IntN(30))
	}
	last := w.finish(t)
	w.assertExactlyOnce(t, last)
}

// TestSIGTERMStopsGracefully sends SIGTERM in the middle of a slow run:
// every row still has a result, the run exits 4, and the rows sent are
// exactly the ones reported MATCHED.
func TestSIGTERMStopsGracefully(t *testing.T) {
	w := newWorld(t, 1000, sandbox.Options{Faults: sandbox.Faults{Latency: 20 * time.Millisecond}})
	cmd, out := w.start(t, "--workers", "4")
	w.waitForCredits(t, 50) // in the middle of the run
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.Equal(t, exitcode.Incomplete, exitCode(err))
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the run did not stop after SIGTERM")
	}
	rows := readCSV(t, filepath.Join(out, "results.csv"))
	require.Len(t, rows, w.rows+1, "every row has a result")
	counts := map[string]int{}
	for _, r := range rows[1:] {
		counts[r[len(r)-len(report.ResultColumns)+1]]++ // the status column
	}
	assert.Equal(t, w.rows, counts["MATCHED"]+counts["NOT_SENT"], "%v", counts)
	assert.Positive(t, counts["NOT_SENT"])
	assert.Equal(t, counts["MATCHED"], len(w.sb.Transactions()))
	summary, err := os.ReadFile(filepath.Join(out, "summary.json"))
	require.NoError(t, err)
	assert.Contains(t, string(summary), `"stopped": "interrupted"`)
	assert.Contains(t, string(summary), `"exitCode": 4`)

	last := w.finish(t) // the rerun resumes
	w.assertExactlyOnce(t, last)
}

// waitForCredits returns when the sandbox has recorded at least n
// transactions, and fails the test if that takes more than 20 s.
func (w *world) waitForCredits(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); len(w.sb.Transactions()) < n; time.Sleep(10 * time.Millisecond) {
		require.True(t, time.Now().Before(deadline), "the run never reached %d credits", n)
	}
}

// TestTwoRunsAtOnceOnOneLedger: the second exits 1 and names the first.
func TestTwoRunsAtOnceOnOneLedger(t *testing.T) {
	w := newWorld(t, 300, sandbox.Options{Faults: sandbox.Faults{Latency: 20 * time.Millisecond}})
	first, _ := w.start(t, "--workers", "1")
	defer func() { _ = first.Process.Kill(); _ = first.Wait() }() // Wait also ends the output copying
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if out, _ := exec.Command(binary, "history", "--state", w.state).CombinedOutput(); strings.Contains(string(out), "run-01") {
			break // the first run holds the ledger
		}
		require.True(t, time.Now().Before(deadline), "the first run never took the ledger")
	}
	second := exec.Command(binary, "run", "--state", w.state, "--out", filepath.Join(w.dir, "second"), "--log-level", "error", w.file)
	second.Env = w.env()
	out, err := second.CombinedOutput()
	assert.Equal(t, exitcode.Fatal, exitCode(err))
	assert.Contains(t, string(out), "the ledger is in use by another process: rewardbatch pid "+fmt.Sprint(first.Process.Pid))
	assert.True(t, strings.Contains(string(out), "one run at a time per ledger"))

	// history only reads, so it works while the run holds the ledger.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, err = exec.Command(binary, "history", "--state", w.state).CombinedOutput()
		require.NoError(t, err, "%s", out)
		if strings.Contains(string(out), "run-01") {
			break // the first run has started sending
		}
		require.True(t, time.Now().Before(deadline), "history never showed the run: %s", out)
	}
	assert.Contains(t, string(out), "running", "the run in progress shows as running, with no summary yet")
}
