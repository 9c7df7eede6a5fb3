package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// The soak's knobs. `make test` runs the default seeds; `make soak` runs
// SOAK_SEEDS seeds (1..N), or the seeds listed in SOAK_SEED ("7,19").
const (
	envSoakSeeds = "SOAK_SEEDS"
	envSoakSeed  = "SOAK_SEED"
	soakRows     = 300
)

// defaultSoakSeeds are the seeds of `make test`: one that credits a
// repeated reference again (any double send shows) and one that refuses
// it (the duplicate refusals).
var defaultSoakSeeds = []uint64{1, 7}

// TestSoak is issue 9's randomised soak: for each seed, a sandbox with a
// seeded mix of every behaviour the settlement protocol must survive, the
// real binary killed with SIGKILL at seeded moments, then reruns and
// `rewardbatch reconcile` until a run exits 0. The sandbox's own record
// must then hold every reference of the file exactly once, and every
// results.csv written must have a line for every row.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("the soak runs the real binary for tens of seconds")
	}
	for _, seed := range soakSeeds(t) {
		for _, m := range sendModes {
			t.Run(fmt.Sprintf("seed=%d,mode=%s", seed, m.name), func(t *testing.T) { soak(t, seed, m) })
		}
	}
}

func soakSeeds(t *testing.T) []uint64 {
	t.Helper()
	if list := os.Getenv(envSoakSeed); list != "" {
		var seeds []uint64
		for _, s := range strings.Split(list, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
			require.NoError(t, err, "%s=%q: give seeds separated by commas", envSoakSeed, list)
			seeds = append(seeds, n)
		}
		return seeds
	}
	if v := os.Getenv(envSoakSeeds); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "%s=%q: give a number of seeds", envSoakSeeds, v)
		seeds := make([]uint64, n)
		for i := range seeds {
			seeds[i] = uint64(i + 1)
		}
		return seeds
	}
	return defaultSoakSeeds
}

// soakRun is one process of the soak: a run (killed or not) or a reconcile.
type soakRun struct {
	kind   string // "run" or "reconcile"
	out    string // the run folder
	code   int    // exit code; negative: the signal that ended it
	killed bool
	ledger map[string]string // each reference's ledger record just after
	result map[string]string // each reference's results.csv line just after
}

// add records a process, with the ledger as it left it.
func (s *soaker) add(t *testing.T, r soakRun) {
	t.Helper()
	r.ledger, r.result = ledgerRecords(t, s.w.state), map[string]string{}
	if _, err := os.Stat(filepath.Join(r.out, "results.csv")); err == nil {
		rows := readCSV(t, filepath.Join(r.out, "results.csv"))
		first := slices.Index(rows[0], "row")
		for _, line := range rows[1:] {
			r.result[line[3]] = strings.Join(line[first:], " | ")
		}
	}
	s.runs = append(s.runs, r)
}

// soaker drives one seed.
type soaker struct {
	w    *world
	mix  *soakMix
	runs []soakRun
	bulk bool // the runs send create-and-allocate rows in bulk calls
}

func soak(t *testing.T, seed uint64, m sendMode) {
	mix := newSoakMix(seed)
	if m.args != nil {
		mix.bulkShapes()
	}
	w := newWorld(t, soakRows, mix.opts)
	w.mode = m.args
	s := &soaker{w: w, mix: mix, bulk: m.args != nil}
	t.Logf("seed %d, %s mode: %s", seed, m.name, mix)
	for i := 0; i < mix.kills; i++ {
		s.killedRun(t, i)
	}
	done := s.finish(t)
	s.waitFinal(t)
	s.assertNoDoubleCredit(t)
	s.assertEveryResultComplete(t)
	st := w.sb.Stats()
	t.Logf("seed %d: %s; %d processes; faults: %s", seed, map[bool]string{true: "finished", false: "NOT finished"}[done],
		len(s.runs), soakFaultCounts(st))
	require.True(t, done, "the file never finished: no run exited 0")
}

// killedRun starts a run in weather i and kills it with SIGKILL after a
// seeded number of allocation calls (a condition, not a clock), in the
// middle of the sends, then reconciles
// the killed run when the seed says so.
func (s *soaker) killedRun(t *testing.T, i int) {
	t.Helper()
	s.w.sb.SetFaults(s.mix.weather(i, s.w.sb.Stats()))
	target := soakSends(s.w.sb.Stats()) + int64(5+s.mix.rng.IntN(soakRows/3))
	begin := time.Now()
	cmd, out := s.w.start(t, s.mix.runArgs()...)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	r := soakRun{kind: "run", out: out}
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for r.code = 1; ; {
		select {
		case err := <-exited:
			r.code = exitCode(err)
			t.Logf("run %s ended by itself before its kill: exit %d after %v", filepath.Base(out), r.code, since(begin))
		case <-tick.C:
			if soakSends(s.w.sb.Stats()) < target {
				continue
			}
			err := cmd.Process.Signal(syscall.SIGKILL)
			if errors.Is(err, os.ErrProcessDone) {
				continue // it ended by itself just now: the exited case reports it
			}
			require.NoError(t, err)
			r.code, r.killed = exitCode(<-exited), true
			t.Logf("killed %s at the %dth allocation call, after %v: %d transactions so far", filepath.Base(out), target, since(begin), len(s.w.sb.Transactions()))
		}
		break
	}
	s.add(t, r)
	if s.mix.rng.IntN(2) == 0 {
		s.reconcile(t, out)
	}
}

// finish reruns the file, reconciling each run that does not exit 0, until
// one does; after a few reruns the storm passes (only the sandbox's
// options stay: lag, pending statuses, paging, the lookup that needs the
// card). It reports whether a run exited 0.
func (s *soaker) finish(t *testing.T) bool {
	t.Helper()
	// At least 10 reruns, and more while they are quick, for up to
	// soakPatience: the resend rule needs time to pass, not processes.
	// In bulk mode with an answer that does not settle every row, every
	// row goes through the lookups, which see each transaction EnKash
	// fails later (PendingFail) and leave it to a resend after
	// --resend-after, perhaps twice: the reruns may take longer, and
	// quick ones must not run out before that time.
	reruns, patience := 40, soakPatience
	if s.bulk {
		reruns, patience = 200, 2*soakPatience
	}
	for i, start := 0, time.Now(); i < 10 || (i < reruns && time.Since(start) < patience); i++ {
		f := s.mix.weather(s.mix.kills+i, s.w.sb.Stats())
		if i >= s.mix.calmAfter {
			f = sandbox.Faults{Seed: f.Seed, Latency: time.Millisecond}
		}
		s.w.sb.SetFaults(f)
		begin := time.Now()
		cmd, out := s.w.start(t, s.mix.runArgs()...)
		code := exitCode(cmd.Wait())
		s.add(t, soakRun{kind: "run", out: out, code: code})
		t.Logf("rerun %s: exit %d after %v", filepath.Base(out), code, since(begin))
		require.NotContains(t, []int{exitcode.InvalidInput}, code, "a rerun must not end as invalid input (a panic?)")
		require.GreaterOrEqual(t, code, 0, "a rerun died of a signal")
		if code == exitcode.OK {
			return true
		}
		s.reconcile(t, out)
	}
	return false
}

// reconcile runs `rewardbatch reconcile` on a run folder.
func (s *soaker) reconcile(t *testing.T, out string) {
	t.Helper()
	if _, err := os.Stat(out); err != nil {
		return // killed before it made its folder
	}
	args := append([]string{"reconcile", "--state", s.w.state, "--log-level", "warn", "--log-format", "json"}, s.mix.reconcileArgs()...)
	cmd := exec.Command(binary, append(args, out)...)
	cmd.Env = s.w.env()
	begin := time.Now()
	logs, err := cmd.CombinedOutput()
	code := exitCode(err)
	t.Logf("reconcile %s: exit %d after %v", filepath.Base(out), code, since(begin))
	if code < 0 || code == exitcode.InvalidInput {
		t.Errorf("reconcile %s ended with %d:\n%s", out, code, logs)
	}
	s.add(t, soakRun{kind: "reconcile", out: out, code: code})
}

// soakPatience is how long the reruns may go on: several times the
// resend rule's wait.
const soakPatience = 20 * time.Second

func since(t time.Time) time.Duration { return time.Since(t).Round(10 * time.Millisecond) }

// soakSends counts the rows sent in the allocation calls the sandbox has
// seen (a bulk call counts as its size).
func soakSends(st sandbox.Stats) int64 {
	return st.Count("requests "+enkash.PathCreateAllocate) + bulkSize*st.Count("requests "+enkash.PathBulkAllocate)
}

// soakFaultCounts lists the faults injected, for the seed's report line.
func soakFaultCounts(st sandbox.Stats) string {
	var parts []string
	for k, v := range st.Counters {
		if strings.HasPrefix(k, "faults ") || k == "duplicates" || k == "lookups without card" {
			parts = append(parts, fmt.Sprintf("%s=%d", strings.TrimPrefix(k, "faults "), v))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// sandboxTransactions reads the sandbox's own record over HTTP, as an
// outside observer would.
func (s *soaker) sandboxTransactions(t *testing.T) []sandbox.Transaction {
	t.Helper()
	resp, err := http.Get(s.w.sb.URL + "/__sandbox/transactions")
	require.NoError(t, err)
	defer resp.Body.Close()
	var txns []sandbox.Transaction
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&txns))
	return txns
}

// waitFinal waits until no transaction of the sandbox shows a status that
// is not final, so that the count sees the reversals of PendingFail.
func (s *soaker) waitFinal(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(s.mix.opts.PendingFor + 10*time.Second)
	for {
		pending := 0
		for _, tx := range s.sandboxTransactions(t) {
			if tx.Status != "SUCCESS" && tx.Status != "FAILED" {
				pending++
			}
		}
		if pending == 0 {
			return
		}
		require.True(t, time.Now().Before(deadline), "%d transactions never reached a final status", pending)
		time.Sleep(20 * time.Millisecond)
	}
}

// assertNoDoubleCredit checks the sandbox's own record: no reference
// outside the file, the file's amounts, and every reference credited (or
// debited) exactly once, leaving out transactions that ended FAILED (their
// points were given back). A reference with no live credit passes only
// when EnKash answered a send of it with success and reversed that very
// transaction later, the one the last results.csv names (PendingFail
// after a direct answer: the tool saw a success and cannot know better);
// each problem prints the reference's whole history.
func (s *soaker) assertNoDoubleCredit(t *testing.T) {
	t.Helper()
	live, all := map[string]int{}, map[string][]sandbox.Transaction{}
	for _, tx := range s.sandboxTransactions(t) {
		all[tx.PGReferenceNumber] = append(all[tx.PGReferenceNumber], tx)
		if tx.Status != "FAILED" {
			live[tx.PGReferenceNumber]++
		}
		if s.w.amount[tx.PGReferenceNumber] == "" {
			t.Errorf("transaction %s has reference %q, which is not in the file", tx.EnKashTransactionID, tx.PGReferenceNumber)
		} else if s.w.amount[tx.PGReferenceNumber] != tx.Amount.String() {
			t.Errorf("reference %s applied as %s, the file says %s", tx.PGReferenceNumber, tx.Amount, s.w.amount[tx.PGReferenceNumber])
		}
	}
	answered, claimed := s.successAnswers(), s.finalTxnIDs(t)
	var doubles, lost, reversed []string
	for _, ref := range s.w.refs {
		switch n := live[ref]; {
		case n > 1:
			doubles = append(doubles, ref)
		case n == 0 && answered[ref] && slices.ContainsFunc(all[ref], func(tx sandbox.Transaction) bool {
			return tx.EnKashTransactionID == claimed[ref]
		}):
			reversed = append(reversed, ref)
		case n == 0:
			lost = append(lost, ref)
		}
	}
	s.report(t, "DOUBLE CREDIT", doubles, all)
	s.report(t, "LOST ROW (never credited)", lost, all)
	if len(reversed) > 0 {
		t.Logf("%d references were answered with success, then reversed by EnKash (PendingFail), which the tool cannot see: %v", len(reversed), reversed)
	}
}

// report fails the test for refs, with the history of the first few.
func (s *soaker) report(t *testing.T, what string, refs []string, all map[string][]sandbox.Transaction) {
	t.Helper()
	if len(refs) == 0 {
		return
	}
	t.Errorf("seed %d: %s: %d references: %v", s.mix.seed, what, len(refs), refs)
	for _, ref := range refs[:min(len(refs), 5)] {
		t.Logf("history of %s (%s):\n%s", ref, what, s.history(t, ref, all[ref]))
	}
}

// finalTxnIDs maps each reference that the last results.csv written
// reports as paid (MATCHED or SKIPPED) to the enkashCardTxnId it names.
func (s *soaker) finalTxnIDs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i := len(s.runs) - 1; i >= 0; i-- {
		path := filepath.Join(s.runs[i].out, "results.csv")
		if _, err := os.Stat(path); err != nil {
			continue
		}
		rows := readCSV(t, path)
		ref, txn, status := slices.Index(rows[0], "pgReferenceNumber"), slices.Index(rows[0], "enkashCardTxnId"), slices.Index(rows[0], "status")
		for _, line := range rows[1:] {
			if line[status] == "MATCHED" || line[status] == "SKIPPED" {
				out[line[ref]] = line[txn]
			}
		}
		break
	}
	return out
}

// successAnswers are the references whose allocation call the sandbox
// answered with success (HTTP 200 and no refusal message). The sandbox's
// log names no reference for a bulk call: in bulk mode every reference
// counts as answered, and the transaction the last results.csv names
// must still be the one EnKash reversed.
func (s *soaker) successAnswers() map[string]bool {
	out := map[string]bool{}
	if s.bulk {
		for _, ref := range s.w.refs {
			out[ref] = true
		}
	}
	for _, r := range s.w.sb.Requests() {
		if r.Reference != "" && r.Status == http.StatusOK && r.Message == "" {
			out[r.Reference] = true
		}
	}
	return out
}

// assertEveryResultComplete checks every results.csv the soak's processes
// left: one line per row of the file, each reference once. A run that
// ended by itself, other than by a fatal stop, must have written one (a
// reconcile of a killed run may have none to rewrite).
func (s *soaker) assertEveryResultComplete(t *testing.T) {
	t.Helper()
	for _, r := range s.runs {
		path := filepath.Join(r.out, "results.csv")
		if _, err := os.Stat(path); err != nil {
			if r.kind == "run" && !r.killed && r.code != exitcode.Fatal {
				t.Errorf("%s %s exited %d without results.csv", r.kind, filepath.Base(r.out), r.code)
			}
			continue
		}
		rows := readCSV(t, path)
		seen := map[string]int{}
		for _, line := range rows[1:] {
			seen[line[3]]++
		}
		for _, ref := range s.w.refs {
			if seen[ref] != 1 {
				t.Errorf("%s of %s %s has %d lines for reference %s", path, r.kind, filepath.Base(r.out), seen[ref], ref)
			}
		}
		if len(rows) != len(s.w.refs)+1 {
			t.Errorf("%s has %d lines for %d rows", path, len(rows)-1, len(s.w.refs))
		}
	}
}

// history is everything the soak knows of one reference: each results.csv
// line, the sandbox's transactions and the API calls that named it.
func (s *soaker) history(t *testing.T, ref string, txns []sandbox.Transaction) string {
	t.Helper()
	var b strings.Builder
	for _, r := range s.runs {
		fmt.Fprintf(&b, "  %s %s (exit %d, killed %v): %s\n      ledger after: %s\n",
			r.kind, filepath.Base(r.out), r.code, r.killed, r.result[ref], r.ledger[ref])
	}
	for _, tx := range txns {
		fmt.Fprintf(&b, "  sandbox: %s %s %s %s at %s\n", tx.EnKashTransactionID, tx.TransactionType, tx.Amount, tx.Status, tx.Time.Format("15:04:05.000"))
	}
	for _, r := range s.w.sb.Requests() {
		if r.Reference == ref {
			fmt.Fprintf(&b, "  call: %s %s -> %d %s\n", r.At.Format("15:04:05.000"), r.Path, r.Status, r.Message)
		}
	}
	return b.String()
}
