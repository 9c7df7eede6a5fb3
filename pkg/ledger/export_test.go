package ledger

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/ledger/pgtest"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// history records run1: R1 confirmed, R2 refused, R3 sent without an
// outcome.
func history(t *testing.T, l *Ledger) []*reward.Item {
	t.Helper()
	its := items(t, file)
	j := start(t, l, "run1")
	_, err := j.Begin(context.Background(), its)
	require.NoError(t, err)
	require.NoError(t, j.Record(&reward.Outcome{Item: its[0], Status: reward.StatusMatched, Attempts: 1,
		Receipt: reward.Receipt{PGReferenceNumber: "R1", EnKashCardID: "EKC1", EnkashCardTxnID: "T1"}}))
	require.NoError(t, j.Record(&reward.Outcome{Item: its[1], Status: reward.StatusFailed, ErrorCode: reward.CodeRejected,
		ErrorMessage: "Invalid card", Attempts: 1}))
	require.NoError(t, j.Finish(context.Background(), time.Now(), 4, `{"rows":3}`))
	return its
}

// remembers checks that a ledger knows what history recorded.
func remembers(t *testing.T, l *Ledger, its []*reward.Item, run string) {
	t.Helper()
	j := start(t, l, run)
	ps, err := j.Begin(context.Background(), its)
	require.NoError(t, err)
	assert.Equal(t, []reward.PriorKind{reward.PriorDone, reward.PriorRejected, reward.PriorUnsettled},
		[]reward.PriorKind{ps[0].Kind, ps[1].Kind, ps[2].Kind})
	assert.Equal(t, "T1", ps[0].EnkashCardTxnID)
	require.NoError(t, j.Close())
}

func exportOf(t *testing.T, l *Ledger) []byte {
	t.Helper()
	var buf bytes.Buffer
	st, err := l.Export(context.Background(), &buf)
	require.NoError(t, err)
	assert.Equal(t, 3, st.Rows["refs"])
	return buf.Bytes()
}

func TestExportAndImportMoveAHistoryBetweenBackEnds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := openAt(t, backends[0].location(t))
	its := history(t, src)
	dump := exportOf(t, src)
	assert.Contains(t, string(dump), `"format":"rewardbatch-ledger","schema_version":2,"from":"sqlite"`)

	pg := openAt(t, pgtest.Database(t))
	st, err := pg.Import(ctx, bytes.NewReader(dump))
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"runs": 1, "refs": 3}, st.Rows)
	runs, err := pg.Runs(ctx, 5)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, `{"rows":3}`, runs[0].Summary)
	back := exportOf(t, pg)
	remembers(t, pg, its, "run2")

	// And back: PostgreSQL to a new SQLite ledger.
	lite := openAt(t, backends[0].location(t))
	_, err = lite.Import(ctx, bytes.NewReader(back))
	require.NoError(t, err)
	remembers(t, lite, its, "run2")
}

func TestImportNeverWeakensWhatALedgerKnows(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		l := openAt(t, loc)
		its := history(t, l)
		dump := exportOf(t, l)
		st, err := l.Import(ctx, bytes.NewReader(dump))
		require.NoError(t, err)
		assert.Equal(t, 3, st.Kept, "importing a ledger into itself changes nothing")

		// An export where R3 is confirmed (from the ledger of another
		// host) strengthens R3; one where R1 is refused does not weaken R1.
		edited := strings.Replace(string(dump), `"state":"SENDING"`, `"state":"CONFIRMED"`, 1)
		edited = strings.Replace(edited, `"reference":"R1","run_id":"run1","scope":"S","state":"CONFIRMED"`,
			`"reference":"R1","run_id":"run1","scope":"S","state":"REJECTED"`, 1)
		st, err = l.Import(ctx, strings.NewReader(edited))
		require.NoError(t, err)
		assert.Equal(t, 1, st.Replaced)
		j := start(t, l, "run2")
		ps, err := j.Begin(ctx, its)
		require.NoError(t, err)
		assert.Equal(t, []reward.PriorKind{reward.PriorDone, reward.PriorRejected, reward.PriorDone},
			[]reward.PriorKind{ps[0].Kind, ps[1].Kind, ps[2].Kind})
		require.NoError(t, j.Close())

		_, err = l.Import(ctx, strings.NewReader("id,name\n1,x\n"))
		require.True(t, errors.Is(err, ErrNotAnExport), "%v", err)
		_, err = l.Import(ctx, strings.NewReader(`{"format":"rewardbatch-ledger","schema_version":9}`+"\n"))
		require.True(t, errors.Is(err, ErrNewerSchema), "%v", err)
	})
}

func TestReadsForReconcileAndBalance(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		l := openAt(t, loc)
		history(t, l)
		r, err := l.Run(ctx, "run1")
		require.NoError(t, err)
		assert.Equal(t, 4, r.ExitCode)
		r, err = l.Run(ctx, "/tmp/run1")
		require.NoError(t, err, "found by its folder")
		assert.Equal(t, "run1", r.ID)
		_, err = l.Run(ctx, "nope")
		require.True(t, errors.Is(err, ErrNoRun), "%v", err)
		done, err := l.ConfirmedAmounts(ctx, "S", []string{"R1", "R2", "R3", "R9"})
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"R1": "100"}, done)
		open, err := l.RefsOfRun(ctx, "run1", StateSending)
		require.NoError(t, err)
		require.Len(t, open, 1)
		assert.Equal(t, "R3", open[0].Reference)
	})
}
