package job_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// lostAnswersRun runs the sample against a sandbox that loses a fifth of
// the answers and whose lookups lag a minute behind its own clock, so the
// run ends with UNKNOWN rows; then the sandbox's clock moves on, and
// lookups see them.
func lostAnswersRun(t *testing.T) (*fixture, *ledger.Ledger, job.RunOptions, job.Result) {
	t.Helper()
	now := enginetest.NewClock()
	f := newFixture(t, sandbox.Options{LookupLag: time.Minute, Now: now.Now, Duplicates: sandbox.DuplicateApplyAgain,
		Faults: sandbox.Faults{Seed: 6, ApplyThenFail: 0.2, FirstAttemptOnly: true}})
	l := f.withLedger(t)
	o := f.ledgerOptions(t, l, sample)
	o.Engine.FailRatio = -1
	first := f.run(t, o)
	require.Equal(t, exitcode.Incomplete, first.Code, "lost answers cannot be found yet")
	require.Positive(t, first.Summary.Statuses[reward.StatusUnknown])
	now.Advance(2 * time.Minute) // the replica caught up
	return f, l, o, first
}

// TestReconcileIsRepairedByRunningItAgain breaks the reports, then the
// ledger, under reconcile: each time it fails, and the next reconcile
// finishes the job.
func TestReconcileIsRepairedByRunningItAgain(t *testing.T) {
	t.Parallel()
	f, l, o, first := lostAnswersRun(t)
	unknown := first.Summary.Statuses[reward.StatusUnknown]
	ctx := context.Background()
	ropts := job.ReconcileOptions{Run: first.Dir, Ledger: l, Scope: o.Scope, Engine: o.Engine}
	open := func() int {
		refs, err := l.RefsOfRun(ctx, filepath.Base(first.Dir), ledger.StateUnknown)
		require.NoError(t, err)
		return len(refs)
	}
	require.Equal(t, unknown, open())

	// The reports cannot be rewritten: the ledger is left as it was.
	summary := filepath.Join(first.Dir, report.SummaryFile)
	saved, err := os.ReadFile(summary)
	require.NoError(t, err)
	require.NoError(t, os.Remove(summary))
	require.NoError(t, os.Mkdir(summary, 0o700))
	code, err := job.Reconcile(ctx, ropts, f.client)
	require.Error(t, err)
	assert.Equal(t, exitcode.Fatal, code)
	assert.Contains(t, err.Error(), "the ledger is unchanged")
	assert.Equal(t, unknown, open())
	require.NoError(t, os.Remove(summary))
	require.NoError(t, os.WriteFile(summary, saved, 0o600))

	// The ledger cannot be written: the reports are, and say so.
	ro, err := ledger.OpenReadOnly(ctx, l.Path())
	require.NoError(t, err)
	defer ro.Close()
	roOpts := ropts
	roOpts.Ledger = ro
	code, err = job.Reconcile(ctx, roOpts, f.client)
	require.Error(t, err)
	assert.Equal(t, exitcode.Fatal, code)
	assert.Contains(t, err.Error(), "run reconcile again")
	assert.Equal(t, unknown, open())
	rows := readCSV(t, filepath.Join(first.Dir, report.ResultsFile))
	assert.NotContains(t, strings.Join(column(rows, "status"), ","), "UNKNOWN", "the reports were rewritten first")

	// Again, with everything working: the ledger catches up.
	var out strings.Builder
	ropts.Stdout = &out
	code, err = job.Reconcile(ctx, ropts, f.client)
	require.NoError(t, err)
	assert.Equal(t, exitcode.OK, code, out.String())
	assert.Zero(t, open())
	again := f.run(t, f.ledgerOptions(t, l, sample))
	assert.Equal(t, 200, again.Summary.Statuses[reward.StatusSkipped], "reconciled rows are never sent again")
	assert.Len(t, f.env.Transactions(), 200)
}
