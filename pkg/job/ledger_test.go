package job_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// withLedger opens a ledger for the fixture's sandbox account.
func (f *fixture) withLedger(t *testing.T) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open(context.Background(), filepath.Join(t.TempDir(), ledger.FileName))
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

func (f *fixture) ledgerOptions(t *testing.T, l *ledger.Ledger, file string) job.RunOptions {
	o := f.options(t, file)
	o.Ledger = l
	o.Scope = ledger.Scope(f.env.URL, sandbox.DefaultCredentials.CompanyID, sandbox.DefaultCredentials.CardAccountID)
	return o
}

func (f *fixture) sends() int64 { return f.env.Stats().Count("requests " + enkash.PathCreateAllocate) }

func TestRerunOfAFinishedFileSendsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sandbox.Options{})
	l := f.withLedger(t)
	first := f.run(t, f.ledgerOptions(t, l, sample))
	require.Equal(t, exitcode.OK, first.Code)
	sent := f.sends()

	second := f.run(t, f.ledgerOptions(t, l, sample))
	require.Equal(t, exitcode.OK, second.Code, f.out.String())
	assert.Equal(t, 200, second.Summary.Statuses[reward.StatusSkipped])
	assert.Equal(t, sent, f.sends(), "nothing was sent again")
	assert.Len(t, f.env.Transactions(), 200)

	a, b := readCSV(t, filepath.Join(first.Dir, report.ResultsFile)), readCSV(t, filepath.Join(second.Dir, report.ResultsFile))
	assert.Equal(t, column(a, "enkashCardTxnId"), column(b, "enkashCardTxnId"), "skipped rows carry the earlier ids")
	assert.Equal(t, column(a, "pgReferenceNumber"), column(b, "pgReferenceNumber"))
}

func TestRerunOfFailedRowsWithTheLedger(t *testing.T) {
	t.Parallel()
	// 429s without Retry-After: provably not applied, FAILED after one attempt
	f := newFixture(t, sandbox.Options{Faults: sandbox.Faults{Seed: 8, FailBefore: 0.25, FailBeforeStatus: 429}})
	l := f.withLedger(t)
	o := f.ledgerOptions(t, l, sample)
	o.Engine.MaxAttempts, o.Engine.FailRatio = 1, -1
	first := f.run(t, o)
	require.Equal(t, exitcode.RowsFailed, first.Code)
	failed := first.Summary.Statuses[reward.StatusFailed]
	before := f.sends()

	f.env.SetFaults(sandbox.Faults{})
	second := f.run(t, f.ledgerOptions(t, l, filepath.Join(first.Dir, report.FailedFile)))
	require.Equal(t, exitcode.OK, second.Code, f.out.String())
	assert.Equal(t, failed, second.Summary.Statuses[reward.StatusMatched])
	assert.Equal(t, int64(failed), f.sends()-before)

	third := f.run(t, f.ledgerOptions(t, l, sample))
	require.Equal(t, exitcode.OK, third.Code)
	assert.Equal(t, 200, third.Summary.Statuses[reward.StatusSkipped], "the whole file is now done")
	assert.Len(t, f.env.Transactions(), 200)
}

func TestEditedFileWithAReusedReferenceConflicts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sandbox.Options{})
	l := f.withLedger(t)
	require.Equal(t, exitcode.OK, f.run(t, f.ledgerOptions(t, l, sample)).Code)
	b, err := os.ReadFile(sample)
	require.NoError(t, err)
	lines := strings.Split(string(b), "\n")
	cells := strings.Split(lines[40], ",") // a new allocation; change its amount
	require.Equal(t, "allocate", cells[2])
	ref := cells[3]
	cells[9] = "99999"
	lines[40] = strings.Join(cells, ",")
	edited := filepath.Join(t.TempDir(), "edited.csv")
	require.NoError(t, os.WriteFile(edited, []byte(strings.Join(lines, "\n")), 0o600))
	before := f.sends()

	res := f.run(t, f.ledgerOptions(t, l, edited))
	assert.Equal(t, exitcode.RowsFailed, res.Code)
	assert.Equal(t, 199, res.Summary.Statuses[reward.StatusSkipped])
	assert.Equal(t, 1, res.Summary.Statuses[reward.StatusFailed])
	assert.Equal(t, before, f.sends(), "the conflicting row was not sent")
	rows := readCSV(t, filepath.Join(res.Dir, report.FailedFile))
	require.Len(t, rows, 2)
	reason := rows[1][len(rows[1])-1]
	assert.Contains(t, reason, "CONFLICT: the reference "+ref+" was used by run")
	assert.Contains(t, reason, "this row asks for allocate 99999: not sent. If this is a new payment, give it a new reference")
}

func TestUnsettledReferencesAreLookedUpBeforeAnyResend(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sandbox.Options{Duplicates: sandbox.DuplicateApplyAgain})
	l := f.withLedger(t)
	o := f.ledgerOptions(t, l, sample)
	ctx := context.Background()

	// A run that died: every row was recorded as about to be sent, the
	// first half reached EnKash, and no outcome was recorded.
	var its []*reward.Item
	src, err := os.Open(sample)
	require.NoError(t, err)
	_, err = validate.Stream(ctx, sample, src, o.Validate, nil, func(it *reward.Item) error { its = append(its, it); return nil })
	src.Close()
	require.NoError(t, err)
	j, err := l.StartRun(ctx, ledger.RunInfo{ID: "crashed", Input: sample, Scope: o.Scope, StartedAt: time.Now()})
	require.NoError(t, err)
	_, err = j.Begin(ctx, its)
	require.NoError(t, err)
	for i, it := range its {
		if i < 100 {
			_, err := f.client.Allocate(ctx, it.Allocation)
			require.NoError(t, err)
		}
	}
	require.NoError(t, j.Close())

	// A rerun at once finds the half that arrived; the other half may
	// still be in flight, so it is not sent again yet: UNKNOWN.
	clock := enginetest.NewClock()
	o.Engine.Clock = clock
	res := f.run(t, o)
	require.Equal(t, exitcode.Incomplete, res.Code, f.out.String())
	assert.Equal(t, 100, res.Summary.Statuses[reward.StatusMatched])
	assert.Equal(t, 100, res.Summary.Statuses[reward.StatusUnknown])
	assert.Equal(t, int64(100), f.sends(), "nothing resent while it may be in flight")

	// Past --resend-after, still absent in a second lookup: sent again,
	// with the same reference.
	clock.Advance(engine.DefaultResendAfter + time.Minute)
	o = f.ledgerOptions(t, l, sample)
	o.Engine.Clock = clock
	res = f.run(t, o)
	require.Equal(t, exitcode.OK, res.Code, f.out.String())
	assert.Equal(t, 100, res.Summary.Statuses[reward.StatusMatched])
	assert.Equal(t, 100, res.Summary.Statuses[reward.StatusSkipped])
	assert.Equal(t, int64(200), f.sends(), "100 sent by the dead run, 100 by the last rerun: none twice")

	per := map[string]int{}
	for _, tx := range f.env.Transactions() {
		per[tx.PGReferenceNumber]++
	}
	assert.Len(t, per, 200)
	for ref, n := range per {
		assert.Equal(t, 1, n, ref)
	}
}

func TestReconcileSettlesUnknownRows(t *testing.T) {
	t.Parallel()
	f, l, o, first := lostAnswersRun(t)
	matched := first.Summary.Statuses[reward.StatusMatched]
	var out strings.Builder
	code, err := job.Reconcile(context.Background(), job.ReconcileOptions{Run: first.Dir, Ledger: l, Scope: o.Scope, Stdout: &out}, f.client)
	require.NoError(t, err)
	assert.Equal(t, exitcode.OK, code, out.String())
	assert.Contains(t, out.String(), "settled")

	rows := readCSV(t, filepath.Join(first.Dir, report.ResultsFile))
	for i, st := range column(rows, "status") {
		assert.Equal(t, "MATCHED", st, "row %d", i+2)
	}
	assert.Equal(t, column(rows, "uniqueReferenceNumber"), column(rows, "pgReferenceNumber"))
	failed := readCSV(t, filepath.Join(first.Dir, report.FailedFile))
	assert.Len(t, failed, 1, "failed.csv keeps only its header")
	b, err := os.ReadFile(filepath.Join(first.Dir, report.SummaryFile))
	require.NoError(t, err)
	assert.Contains(t, string(b), `"MATCHED": 200`)
	assert.Contains(t, string(b), `"exitCode": 0`)
	_ = matched

	again := f.run(t, f.ledgerOptions(t, l, sample))
	assert.Equal(t, 200, again.Summary.Statuses[reward.StatusSkipped], "reconciled rows are never sent again")
	assert.Len(t, f.env.Transactions(), 200)
}

func TestBalanceCheckCountsWhatEarlierRunsDid(t *testing.T) {
	t.Parallel()
	balance, _ := money.Parse("400000") // the file credits 347510.00
	f := newFixture(t, sandbox.Options{Balance: balance})
	l := f.withLedger(t)
	o := f.ledgerOptions(t, l, sample)
	f.run(t, o)
	// The account now has 52490.00 left: a rerun of the whole file needs
	// nothing, because every row is done.
	res := f.run(t, f.ledgerOptions(t, l, sample))
	assert.Equal(t, exitcode.OK, res.Code, f.out.String())
	assert.Contains(t, f.out.String(), "Earlier runs already credited 347510.00 of it; 0.00 remain")
}

// TestDerivedReferencesSurviveFeedingBack: a file without references, run
// with --batch-id, pays one employee twice the same amount; the second row
// is invalid. Fixed and fed back through invalid.csv, it keeps its own
// reference (the second occurrence), so it is paid, not skipped as the
// first.
func TestDerivedReferencesSurviveFeedingBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sandbox.Options{})
	l := f.withLedger(t)
	file := filepath.Join(t.TempDir(), "no-refs.csv")
	require.NoError(t, os.WriteFile(file, []byte("firstName,title,gender,email,mobile,loadAmount\n"+
		"Aarav,Mr,M,aarav@example.com,9876500001,500\n"+
		"Aarav,Dr,M,aarav@example.com,9876500001,500\n"), 0o600))
	o := f.ledgerOptions(t, l, file)
	o.Validate.BatchID = "2026-11"
	o.SkipInvalid = true
	first := f.run(t, o)
	require.Equal(t, exitcode.RowsFailed, first.Code)

	invalid := readCSV(t, filepath.Join(first.Dir, report.InvalidFile))
	require.Len(t, invalid, 2)
	assert.Equal(t, []string{"firstName", "title", "gender", "email", "mobile", "loadAmount", "uniqueReferenceNumber", "error"}, invalid[0])
	results := readCSV(t, filepath.Join(first.Dir, report.ResultsFile))
	refs := column(results, "uniqueReferenceNumber")
	require.Len(t, refs, 2)
	assert.NotEqual(t, refs[0], refs[1])
	assert.Equal(t, refs[1], invalid[1][6], "invalid.csv carries the derived reference")

	invalid[1][1] = "Mr" // the fix
	fixed := filepath.Join(t.TempDir(), "fixed.csv")
	fh, err := os.Create(fixed)
	require.NoError(t, err)
	w := csv.NewWriter(fh)
	require.NoError(t, w.WriteAll(invalid))
	require.NoError(t, fh.Close())

	o2 := f.ledgerOptions(t, l, fixed)
	o2.Validate.BatchID = "2026-11"
	second := f.run(t, o2)
	require.Equal(t, exitcode.OK, second.Code, f.out.String())
	assert.Equal(t, 1, second.Summary.Statuses[reward.StatusMatched], "paid, not skipped as the first row")
	assert.Len(t, f.env.Transactions(), 2)
}
