package ledger

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// firstRun opens a ledger and begins every row of file in run1.
func firstRun(t *testing.T) (*Ledger, []*reward.Item, *Journal) {
	t.Helper()
	l, _ := open(t)
	its := items(t, file)
	j := start(t, l, "run1")
	priors, err := j.Begin(context.Background(), its)
	require.NoError(t, err)
	for _, p := range priors {
		require.Equal(t, reward.PriorNew, p.Kind)
	}
	return l, its, j
}

func TestARefusedRowMayBeCorrected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, its, j := firstRun(t)
	refused := func(it *reward.Item) *reward.Outcome {
		return &reward.Outcome{Item: it, Status: reward.StatusFailed, ErrorCode: reward.CodeRejected,
			ErrorMessage: "EnKash refused: Invalid card", Attempts: 1}
	}
	require.NoError(t, j.Record(refused(its[0])))
	require.NoError(t, j.Record(refused(its[1])))
	// its[2] was refused, but an earlier attempt of it had lost its answer.
	require.NoError(t, j.Record(&reward.Outcome{Item: its[2], Status: reward.StatusFailed, ErrorCode: reward.CodeRejected,
		Attempts: 2, Evidence: reward.Evidence{LastAttemptAt: time.Now()}}))
	require.NoError(t, j.Close())

	corrected := items(t, strings.NewReplacer("aarav@example.com", "aarav.k@example.com",
		"9876500003,300", "9876500003,350").Replace(file))
	j2 := start(t, l, "run2")
	p, err := j2.Begin(ctx, corrected)
	require.NoError(t, err)
	assert.Equal(t, reward.PriorRefused, p[0].Kind, "refused every time, and corrected: send it")
	assert.Equal(t, reward.PriorRejected, p[1].Kind, "refused, and unchanged: do not send it again")
	assert.Equal(t, "EnKash refused this reference in run run1 (EnKash refused: Invalid card); the row is unchanged, "+
		"so it is not sent again: correct the row (keeping its reference) and feed it back", p[1].Message)
	assert.Equal(t, reward.PriorConflict, p[2].Kind, "an ambiguous attempt forbids a change")
	assert.Contains(t, p[2].Message, `What differs: amount was "300", now "350"`)
	// The repeated refusal is reported, not recorded over the first one.
	require.NoError(t, j2.Record(&reward.Outcome{Item: corrected[1], Status: reward.StatusFailed, ErrorCode: reward.CodeRejected,
		ErrorMessage: p[1].Message}))
	require.NoError(t, j2.Record(&reward.Outcome{Item: corrected[0], Status: reward.StatusMatched, Attempts: 1}))
	require.NoError(t, j2.Close())

	j3 := start(t, l, "run3")
	p, err = j3.Begin(ctx, append(corrected[:2:2], its[0]))
	require.NoError(t, err)
	assert.Equal(t, reward.PriorDone, p[0].Kind, "the corrected row's fingerprint was recorded")
	assert.Equal(t, reward.PriorRejected, p[1].Kind)
	assert.Contains(t, p[1].Message, "(EnKash refused: Invalid card)", "the earlier reason, not wrapped again")
	assert.Equal(t, reward.PriorConflict, p[2].Kind, "the original row now conflicts with the corrected, paid one")
	assert.Contains(t, p[2].Message, `What differs: email was "aa***@example.com", now "aa***@example.com"`)
	require.NoError(t, j3.Close())
}

func TestEvidenceIsKeptForUnsettledReferences(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, its, j := firstRun(t)
	ev := reward.Evidence{LastAttemptAt: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC), AbsentLookups: 2,
		FirstAbsentAt: time.Date(2026, 11, 26, 8, 0, 3, 0, time.UTC), LastAbsentAt: time.Date(2026, 11, 26, 8, 0, 9, 5, time.UTC)}
	require.NoError(t, j.Record(&reward.Outcome{Item: its[0], Status: reward.StatusUnknown, ErrorCode: reward.CodeAmbiguous,
		Attempts: 1, Evidence: ev}))
	// its[1] is left SENDING: the process died before its outcome.
	require.NoError(t, j.Record(&reward.Outcome{Item: its[2], Status: reward.StatusFailed, ErrorCode: reward.CodeRetriesExhausted,
		Attempts: 3}))
	require.NoError(t, j.Close())

	j2 := start(t, l, "run2")
	p, err := j2.Begin(ctx, its)
	require.NoError(t, err)
	assert.Equal(t, reward.PriorUnsettled, p[0].Kind)
	assert.Equal(t, ev, p[0].Evidence, "the evidence of run1's lookups, exactly")
	assert.Equal(t, reward.PriorUnsettled, p[1].Kind)
	assert.Equal(t, reward.Evidence{}, p[1].Evidence, "a crash left it SENDING: the attempt time is unknown")
	assert.Equal(t, reward.PriorNew, p[2].Kind, "provably never reached EnKash: send it")
	require.NoError(t, j2.Close())

	// A crash again: the reference run1 left SENDING stays ambiguous, and so
	// can never pass for a refused one.
	refs, err := l.RefsOfRun(ctx, "run2", StateSending)
	require.NoError(t, err)
	require.Len(t, refs, 3)
	for _, r := range refs {
		assert.Equal(t, r.Reference != "R3", r.Ambiguous, r.Reference)
	}

	r := refs[0]
	r.State, r.Evidence = StateNotApplied, reward.Evidence{AbsentLookups: 1, LastAbsentAt: time.Now().UTC()}
	require.NoError(t, l.Settle(ctx, r))
	j3 := start(t, l, "run3")
	p3 := begin1(t, j3, its[0])
	assert.Equal(t, reward.PriorUnsettled, p3.Kind, "absent once after an ambiguous attempt: the evidence rule decides")
	assert.Equal(t, 1, p3.Evidence.AbsentLookups)
	require.NoError(t, j3.Close())
}

func TestARefusedRunIsInHistory(t *testing.T) {
	t.Parallel()
	l, _ := open(t)
	ctx := context.Background()
	id, err := l.RecordRun(ctx, RunInfo{ID: "r", Input: "f.csv", Folder: "/tmp/r", Scope: "S", StartedAt: time.Now()},
		time.Now(), 2, `{"rows":3}`)
	require.NoError(t, err)
	id2, err := l.RecordRun(ctx, RunInfo{ID: "r", Input: "f.csv", Folder: "/tmp/r", Scope: "S", StartedAt: time.Now()},
		time.Now(), 2, `{}`)
	require.NoError(t, err)
	assert.Equal(t, []string{"r", "r-2"}, []string{id, id2})
	runs, err := l.Runs(ctx, 5)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, 2, runs[1].ExitCode)
	assert.Equal(t, `{"rows":3}`, runs[1].Summary)
}

func TestNoFullPersonalDataInTheLedger(t *testing.T) {
	t.Parallel()
	l, _, j := firstRun(t)
	require.NoError(t, j.Close())
	require.NoError(t, l.Close())
	b, err := os.ReadFile(l.Path())
	require.NoError(t, err)
	for _, v := range []string{"aarav@example.com", "9876500001", "kabir@example.com", "9876500003"} {
		assert.NotContains(t, string(b), v)
	}
	assert.Contains(t, string(b), "aa***@example.com#", "the masked form and a hash")
}
