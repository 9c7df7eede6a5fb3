package main

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/ledger/pgtest"
	"github.com/rewardbatch/rewardbatch/pkg/samplegen"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// TestKilledRunsNeverPayTwiceOnPostgres is TestKilledRunsNeverPayTwice
// with the ledger in PostgreSQL: the killed process's session ends with
// it, and so does its lock.
func TestKilledRunsNeverPayTwiceOnPostgres(t *testing.T) {
	w := newWorld(t, 1000, sandbox.Options{Duplicates: sandbox.DuplicateApplyAgain, Faults: sandbox.Faults{
		Seed: 11, Latency: 10 * time.Millisecond, ApplyThenFail: 0.03, FailMode: sandbox.FailDrop, FirstAttemptOnly: true}})
	w.state = pgtest.Database(t)
	rng := rand.New(rand.NewPCG(2026, 14))
	for kill := 0; kill < 4; kill++ {
		cmd, _ := w.start(t, "--workers", "4")
		w.waitForCredits(t, len(w.sb.Transactions())+1+rng.IntN(150)) // a seeded moment in the middle of the work
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		t.Logf("kill %d: exit %d, %d transactions so far", kill+1, exitCode(cmd.Wait()), len(w.sb.Transactions()))
	}
	require.Positive(t, len(w.sb.Transactions()))
	require.Less(t, len(w.sb.Transactions()), w.rows, "the kills landed in the middle of the work")
	last := w.finish(t)
	w.assertExactlyOnce(t, last)
}

// TestTwoHostsShareOneDatabaseAndOneAccount runs two files for the same
// reward account from two processes at once on one PostgreSQL ledger
// (two hosts of a CronJob), kills each at seeded moments, and reruns both
// until they finish: every reference of both files is credited once.
func TestTwoHostsShareOneDatabaseAndOneAccount(t *testing.T) {
	a := newWorld(t, 600, sandbox.Options{Duplicates: sandbox.DuplicateApplyAgain, Faults: sandbox.Faults{
		Seed: 5, Latency: 5 * time.Millisecond, ApplyThenFail: 0.03, FailMode: sandbox.FailDrop, FirstAttemptOnly: true}})
	a.state = pgtest.Database(t)
	b := a.secondFile(t, "HOSTB", 600)
	rng := rand.New(rand.NewPCG(14, 2))
	for kill := 0; kill < 3; kill++ {
		ca, _ := a.start(t, "--workers", "4", "--wait-lock", "1m")
		cb, _ := b.start(t, "--workers", "4", "--wait-lock", "1m")
		a.waitForCredits(t, len(a.sb.Transactions())+1+rng.IntN(150)) // both files share the sandbox
		for _, c := range []*os.Process{ca.Process, cb.Process} {
			require.NoError(t, c.Signal(syscall.SIGKILL))
		}
		t.Logf("kill %d: exits %d and %d, %d transactions so far", kill+1, exitCode(ca.Wait()), exitCode(cb.Wait()),
			len(a.sb.Transactions()))
	}
	var lastA, lastB string
	var wg sync.WaitGroup
	wg.Go(func() { lastA = a.finishWaiting(t) })
	wg.Go(func() { lastB = b.finishWaiting(t) })
	wg.Wait()
	both := &world{sb: a.sb, refs: append(append([]string{}, a.refs...), b.refs...), amount: map[string]string{}, rows: a.rows}
	for _, w := range []*world{a, b} {
		for k, v := range w.amount {
			both.amount[k] = v
		}
	}
	both.assertExactlyOnce(t, lastA)
	assert.FileExists(t, filepath.Join(lastB, "results.csv"))
	assert.Len(t, readCSV(t, filepath.Join(lastB, "results.csv")), b.rows+1)
}

// secondFile is another file for the same sandbox, account and ledger,
// with references of its own.
func (w *world) secondFile(t *testing.T, batch string, rows int) *world {
	t.Helper()
	o := &world{sb: w.sb, state: w.state, dir: t.TempDir(), rows: rows, amount: map[string]string{}}
	o.file = filepath.Join(o.dir, "allocations.csv")
	f, err := os.Create(o.file)
	require.NoError(t, err)
	require.NoError(t, samplegen.Write(f, samplegen.Options{Rows: rows, Seed: 43, Batch: batch, TopUps: 20, Debits: 10}))
	require.NoError(t, f.Close())
	for _, r := range readCSV(t, o.file)[1:] {
		o.refs = append(o.refs, r[3])
		o.amount[r[3]] = r[9]
	}
	return o
}

// finishWaiting is finish for runs that may wait for the other host's lock.
func (w *world) finishWaiting(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for i := 0; i < 8 && ctx.Err() == nil; i++ {
		cmd, out := w.start(t, "--wait-lock", "2m")
		code := exitCode(cmd.Wait())
		t.Logf("%s rerun %d: exit %d", filepath.Base(w.file), i+1, code)
		if code == 0 {
			return out
		}
		if code != 3 && code != 4 {
			t.Errorf("a rerun failed fatally (exit %d): %s", code, w.logs.String())
			return out
		}
	}
	t.Error("the file never finished")
	return ""
}

// TestALostDatabaseConnectionStopsTheRun cuts the run's sessions with
// PostgreSQL in the middle of the work: the run stops dispatching, writes
// every row's result, exits 1, and a rerun finishes with every reference
// credited once.
func TestALostDatabaseConnectionStopsTheRun(t *testing.T) {
	w := newWorld(t, 1000, sandbox.Options{Duplicates: sandbox.DuplicateApplyAgain,
		Faults: sandbox.Faults{Latency: 20 * time.Millisecond}})
	w.state = pgtest.Database(t)
	cmd, out := w.start(t, "--workers", "4")
	w.waitForCredits(t, 50)
	admin, err := sql.Open("pgx", w.state)
	require.NoError(t, err)
	defer admin.Close()
	_, err = admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'rewardbatch' AND pid <> pg_backend_pid()`)
	require.NoError(t, err)
	require.Equal(t, 1, exitCode(cmd.Wait()), "a run that lost its ledger exits 1")
	rows := readCSV(t, filepath.Join(out, "results.csv"))
	assert.Len(t, rows, w.rows+1, "every row has a result")
	assert.Less(t, len(w.sb.Transactions()), w.rows, "it stopped sending")
	last := w.finish(t)
	w.assertExactlyOnce(t, last)
}
