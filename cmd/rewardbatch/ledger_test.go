package main

import (
	"errors"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// killInCommit starts a run and SIGKILLs it after some group commits of
// the ledger (each changes the database file's modification time), as
// soon as the next commit's rollback journal fills (between commits it is
// empty: the ledger truncates it).
func (w *world) killInCommit(t *testing.T, commits int) {
	t.Helper()
	cmd, _ := w.start(t, "--workers", "4")
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	var last time.Time
	for commits > 0 {
		select {
		case <-done:
			t.Logf("the run finished before the kill: %d transactions", len(w.sb.Transactions()))
			return
		case <-time.After(100 * time.Microsecond):
		}
		if st, err := os.Stat(w.state); err == nil && !st.ModTime().Equal(last) {
			last = st.ModTime()
			commits--
		}
	}
	inCommit := false
	for deadline := time.Now().Add(2 * time.Second); !inCommit && time.Now().Before(deadline); time.Sleep(50 * time.Microsecond) {
		st, err := os.Stat(w.state + "-journal")
		inCommit = err == nil && st.Size() > 0
	}
	// The run may end on its own between the last look and the signal.
	err := cmd.Process.Signal(syscall.SIGKILL)
	if errors.Is(err, os.ErrProcessDone) {
		<-done
		t.Logf("the run finished before the kill: %d transactions", len(w.sb.Transactions()))
		return
	}
	require.NoError(t, err)
	<-done
	t.Logf("killed (journal present: %v): %d transactions so far", inCommit, len(w.sb.Transactions()))
}

// TestJournalDeletedAfterAKillNeverPaysTwice kills runs in the middle of
// a group commit and deletes what SQLite left beside the ledger (its hot
// journal, and a -wal or -shm if any), as someone tidying up would. The
// ledger keeps every committed row in its own file, so a rerun either
// refuses the ledger as damaged, clearly, or finishes with every
// reference applied exactly once.
func TestJournalDeletedAfterAKillNeverPaysTwice(t *testing.T) {
	w := newWorld(t, 1500, sandbox.Options{Duplicates: sandbox.DuplicateApplyAgain, Faults: sandbox.Faults{
		Seed: 5, ApplyThenFail: 0.02, FailMode: sandbox.Fail502, FirstAttemptOnly: true}})
	for i, commits := range []int{8, 25} {
		w.killInCommit(t, commits)
		for _, side := range []string{"-journal", "-wal", "-shm"} {
			_ = os.Remove(w.state + side)
		}
		t.Logf("kill %d: side files deleted", i+1)
	}
	for i := 0; ; i++ {
		require.Less(t, i, 8, "the file never finished")
		cmd, out := w.start(t)
		code := exitCode(cmd.Wait()) // Wait also ends the output copying
		logs := w.logs.String()
		if code == exitcode.OK {
			w.assertExactlyOnce(t, out)
			return
		}
		if code == exitcode.Fatal {
			b, err := os.ReadFile(w.state)
			require.NoError(t, err)
			require.NotEmpty(t, b)
			require.True(t, strings.Contains(logs, "the ledger is damaged"), "a fatal rerun must say why: %s", logs)
			for ref, n := range w.perReference(t) {
				assert.Equal(t, 1, n, "reference %s applied %d times", ref, n)
			}
			t.Log("the damaged ledger was refused")
			return
		}
		require.Contains(t, []int{exitcode.RowsFailed, exitcode.Incomplete}, code)
	}
}

// perReference counts the sandbox's transactions per reference.
func (w *world) perReference(t *testing.T) map[string]int {
	t.Helper()
	per := map[string]int{}
	for _, tx := range w.sb.Transactions() {
		per[tx.PGReferenceNumber]++
	}
	return per
}

// TestLostLedgerNeverPaysTwice runs a file, deletes the ledger, and runs
// the file again, against servers that list users in each page style the
// sandbox serves (10 a page) and credit a repeated reference again. The
// second run checks every reference at EnKash before its first send,
// through a listing of the account's users where the listing proves it
// is whole (records, spring) and a search per row where it does not (bare
// pages without counts, a server that ignores paging, or a listing that
// changes between its pages and so skips users), and sends nothing again:
// every reference is applied once, by the sandbox's own record (GET
// /__sandbox/transactions).
func TestLostLedgerNeverPaysTwice(t *testing.T) {
	for _, tt := range []struct {
		name  string
		style string
		drift bool
	}{
		{sandbox.PageRecords, sandbox.PageRecords, false},
		{sandbox.PageSpring, sandbox.PageSpring, false},
		{sandbox.PageArray, sandbox.PageArray, false},
		{sandbox.PageFirst, sandbox.PageFirst, false},
		{"records, drifting between pages", sandbox.PageRecords, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, 300, sandbox.Options{Duplicates: sandbox.DuplicateApplyAgain, PageSize: 10, PageStyle: tt.style,
				ListDrift: tt.drift})
			w.finish(t)
			for _, f := range []string{"", "-journal", "-wal", "-shm"} {
				_ = os.Remove(w.state + f)
			}
			last := w.finish(t)
			w.assertExactlyOnce(t, last)
			rows := readCSV(t, last+"/results.csv")
			status := slices.Index(rows[0], "status")
			for _, r := range rows[1:] {
				assert.Equal(t, "SKIPPED", r[status], "every row was found at EnKash")
			}
		})
	}
}

// TestBulkCallsLargerThanTheServerTakes runs --mode bulk --bulk-size 10
// against a server that refuses with HTTP 400 an array of more than 4
// (nothing applied) and credits a repeated reference again: the calls are
// halved, and every reference is applied once, by GET /__sandbox/transactions.
func TestBulkCallsLargerThanTheServerTakes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 300, sandbox.Options{Duplicates: sandbox.DuplicateApplyAgain, BulkMax: 4})
	w.mode = sendModes[1].args
	w.assertExactlyOnce(t, w.finish(t))
	assert.Positive(t, w.sb.Stats().Count("bulk too large"))
}

// TestBulkPartial400NeverPaysTwice runs --mode bulk against a server that,
// for every bulk call carrying one reference, applies the items before it
// and then refuses the whole call with HTTP 400, listing what it applied
// (or, as a gateway would, in an HTML page that names nothing), and that
// credits a repeated reference again. The rows of that call the
// answer does not settle are looked up, never split and resent; a later
// run sends them singly (a row once in doubt never goes in a bulk call
// again), so the bad reference, refused only in bulk calls, is applied
// too. The runs go on until every row is done: every reference is
// credited exactly once, by the sandbox's own record (GET
// /__sandbox/transactions), and the call with the bad row went once.
//
// The same holds against --bulk-bad-ref: a 400 that applies nothing but
// names the bad reference is no proof, so that call's rows are looked up
// and sent singly by the next run.
func TestBulkPartial400NeverPaysTwice(t *testing.T) {
	for _, tt := range []struct {
		name   string
		faults func(bad string) sandbox.Faults
		fault  string // the sandbox's counter of the fault
	}{
		{"partial 400 listing what it applied", func(bad string) sandbox.Faults { return sandbox.Faults{BulkPartial400: bad} }, "faults bulk-partial-400"},
		{"partial 400 as a gateway page", func(bad string) sandbox.Faults {
			return sandbox.Faults{BulkPartial400: bad, BulkPartial400HTML: true}
		}, "faults bulk-partial-400"},
		{"400 naming the bad reference, nothing applied", func(bad string) sandbox.Faults { return sandbox.Faults{BulkBadRef: bad} }, "faults bulk-bad-ref"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bulkPartial400NeverPaysTwice(t, tt.faults, tt.fault)
		})
	}
}

func bulkPartial400NeverPaysTwice(t *testing.T, faults func(bad string) sandbox.Faults, fault string) {
	w := newWorld(t, 300, sandbox.Options{Duplicates: sandbox.DuplicateApplyAgain})
	w.mode = sendModes[1].args
	rows := readCSV(t, w.file)
	op := slices.Index(rows[0], "operation")
	var bad string
	for _, r := range rows[1+bulkSize/2:] { // an allocation in the middle of a bulk call
		if r[op] == "allocate" {
			bad = r[3]
			break
		}
	}
	require.NotEmpty(t, bad)
	w.sb.SetFaults(faults(bad))
	w.assertExactlyOnce(t, w.finish(t))
	assert.EqualValues(t, 1, w.sb.Stats().Count(fault), "the call with the bad row went once")
}
