package engine_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// bulkCfg is the bulk mode with a linger no test waits for: a batch goes
// when full, or at the end of the rows.
// One worker hands the rows over in input order, so that a script's items
// are the rows in order.
func bulkCfg(k int) engine.Config {
	return engine.Config{Workers: 1, Mode: engine.ModeBulk, BulkSize: k, BulkLinger: time.Hour}
}

func allocations(n int) []*reward.Item {
	out := make([]*reward.Item, n)
	for i := range out {
		out[i] = row(i+2, "")
	}
	return out
}

// want is one row's expected end.
type want struct {
	status   reward.Status
	code     string
	attempts int
	credits  int
}

var (
	matched1 = want{reward.StatusMatched, "", 1, 1}
	unknown0 = want{reward.StatusUnknown, reward.CodeAmbiguous, 1, 0}
)

func TestBulkRowsAgainstScriptedAnswers(t *testing.T) {
	t.Parallel()
	ok, refuse, dup := enginetest.SendOK, enginetest.SendRefuse, enginetest.SendDuplicate
	appliedOut, notAppliedOut := enginetest.Send5xxApplied, enginetest.Send5xxNotApplied
	nc := enginetest.SendNoConnection
	tests := []struct {
		name  string
		bulks []enginetest.Bulk
		want  []want // one per row (3 rows)
		calls int
	}{
		{"both lists, every row applied", nil, []want{matched1, matched1, matched1}, 1},
		{"a row in the failure list is refused", []enginetest.Bulk{{Items: []enginetest.Send{ok, refuse, ok}}},
			[]want{matched1, {reward.StatusFailed, reward.CodeRejected, 1, 0}, matched1}, 1},
		{"a duplicate of a reference this ledger never sent", []enginetest.Bulk{{Items: []enginetest.Send{dup}}},
			[]want{{reward.StatusFailed, reward.CodeDuplicateRef, 1, 0}, matched1, matched1}, 1},
		{"success list only: a refused row left out is looked up, never resent", []enginetest.Bulk{{Shape: enginetest.ShapeSuccessOnly,
			Items: []enginetest.Send{ok, refuse, ok}}}, []want{matched1, unknown0, matched1}, 1},
		{"counts only: every row is settled by lookups", []enginetest.Bulk{{Shape: enginetest.ShapeCounts, Items: []enginetest.Send{ok, notAppliedOut}}},
			[]want{matched1, unknown0, matched1}, 1},
		{"no reference echo: never matched by name or amount", []enginetest.Bulk{{Shape: enginetest.ShapeNoEcho}},
			[]want{matched1, matched1, matched1}, 1},
		{"items missing from the answer", []enginetest.Bulk{{Items: []enginetest.Send{appliedOut, notAppliedOut, ok}}},
			[]want{matched1, unknown0, matched1}, 1},
		{"503 after applying", []enginetest.Bulk{{Call: enginetest.Send5xxApplied}}, []want{matched1, matched1, matched1}, 1},
		{"timeout after applying", []enginetest.Bulk{{Call: enginetest.SendTimeoutApplied}}, []want{matched1, matched1, matched1}, 1},
		{"502 before applying: absent is not proof", []enginetest.Bulk{{Call: enginetest.Send5xxNotApplied}}, []want{unknown0, unknown0, unknown0}, 1},
		{"reset after the write", []enginetest.Bulk{{Call: enginetest.SendResetNotApplied}}, []want{unknown0, unknown0, unknown0}, 1},
		{"429 then success: the batch is sent again", []enginetest.Bulk{{Call: enginetest.Send429}},
			[]want{{reward.StatusMatched, "", 2, 1}, {reward.StatusMatched, "", 2, 1}, {reward.StatusMatched, "", 2, 1}}, 2},
		{"never connects", []enginetest.Bulk{{Call: nc}, {Call: nc}, {Call: nc}, {Call: nc}},
			[]want{{reward.StatusFailed, reward.CodeRetriesExhausted, 4, 0}, {reward.StatusFailed, reward.CodeRetriesExhausted, 4, 0},
				{reward.StatusFailed, reward.CodeRetriesExhausted, 4, 0}}, 4},
		{"a failed token call is not an attempt", []enginetest.Bulk{{Call: enginetest.SendLoginFails}}, []want{matched1, matched1, matched1}, 2},
		{"a whole-call refusal (422) fails every row", []enginetest.Bulk{{Call: refuse}},
			[]want{{reward.StatusFailed, reward.CodeRejected, 1, 0}, {reward.StatusFailed, reward.CodeRejected, 1, 0}, {reward.StatusFailed, reward.CodeRejected, 1, 0}}, 1},
		{"a whole-call duplicate (409) is looked up", []enginetest.Bulk{{Call: dup}}, []want{unknown0, unknown0, unknown0}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newFakeEnv(true, nil, nil)
			env.script.Bulks = tt.bulks
			its := allocations(3)
			c, rep := env.run(t, bulkCfg(50), its)
			assert.Empty(t, rep.Stopped)
			assert.Len(t, env.api.BulkCalls(), tt.calls)
			for i, o := range c.out {
				w := tt.want[o.Seq]
				assert.Equal(t, w.status, o.Status, "row %d: %s", i, o.ErrorMessage)
				assert.Equal(t, w.code, o.ErrorCode, "row %d: %s", i, o.ErrorMessage)
				assert.Equal(t, w.attempts, o.Attempts, "row %d", i)
				assert.Equal(t, w.credits, env.creditsOf(o.Item.Allocation.Reference), "row %d", i)
				e, ok := env.journal.Entry(o.Item.Allocation.Reference)
				assert.True(t, ok, "the journal recorded the row")
				if w.status == reward.StatusMatched {
					assert.Equal(t, "CONFIRMED", e.State)
				}
			}
		})
	}
}

func TestBulkBatchesOnlyAllocationsAndKeepsTheReportOrder(t *testing.T) {
	t.Parallel()
	its := allocations(120)
	for i := range 7 { // top-ups keep the single call
		its = append(its, row(len(its)+2, fmt.Sprintf("CARD%d", i)))
	}
	env := newFakeEnv(true, nil, nil)
	c, rep := env.run(t, engine.Config{Workers: 4, Mode: engine.ModeBulk, BulkSize: 50, BulkLinger: time.Hour}, its)
	assert.Empty(t, rep.Stopped)
	calls := env.api.BulkCalls()
	slices.Sort(calls)
	assert.Equal(t, []int{20, 50, 50}, calls)
	// a search for each new user and a lookup for each top-up before the
	// first send, then one call per batch and per top-up
	assert.Equal(t, 120+7+3+7, env.api.Calls())
	for i, o := range c.out {
		require.Equal(t, i, o.Seq, "outcomes come in input order")
		assert.Equal(t, reward.StatusMatched, o.Status, o.ErrorMessage)
		assert.Equal(t, 1, env.creditsOf(o.Item.Allocation.Reference))
	}
}

// slowSource emits a row only after the sink has the one before: with no
// linger the first batch would wait for rows that never come.
type slowSource struct {
	its  []*reward.Item
	seen chan struct{}
}

func (s *slowSource) source(ctx context.Context, emit func(*reward.Item) error) error {
	for i, it := range s.its {
		if i > 0 {
			select {
			case <-s.seen:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := emit(it); err != nil {
			return err
		}
	}
	return nil
}

func TestBulkLingerSendsAPartBatchOfASlowFile(t *testing.T) {
	t.Parallel()
	env := newFakeEnv(true, nil, nil)
	s := &slowSource{its: allocations(3), seen: make(chan struct{}, 3)}
	c := &collector{}
	cfg := env.config(engine.Config{Mode: engine.ModeBulk, BulkSize: 50, BulkLinger: time.Millisecond})
	rep, err := engine.New(cfg, env.api, env.journal, nil).Run(context.Background(), s.source, func(o *reward.Outcome) error {
		s.seen <- struct{}{}
		return c.sink(o)
	})
	require.NoError(t, err)
	assert.Empty(t, rep.Stopped)
	assert.Equal(t, []int{1, 1, 1}, env.api.BulkCalls())
	assert.Equal(t, map[reward.Status]int{reward.StatusMatched: 3}, c.statuses())
}

func TestBulkAfterAStopSendsNothing(t *testing.T) {
	t.Parallel()
	env := newFakeEnv(true, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &collector{}
	rep, err := engine.New(env.config(bulkCfg(50)), env.api, env.journal, nil).Run(ctx, source(allocations(5)), c.sink)
	require.NoError(t, err)
	assert.Equal(t, "interrupted", rep.Stopped)
	assert.Equal(t, map[reward.Status]int{reward.StatusNotSent: 5}, c.statuses())
	assert.Empty(t, env.api.Credits())
}

func TestBulkPanicEndsTheBatchWithoutClaims(t *testing.T) {
	t.Parallel()
	env := newFakeEnv(true, nil, nil)
	env.script.Bulks = []enginetest.Bulk{{Call: enginetest.SendPanic}}
	c, rep := env.run(t, bulkCfg(50), allocations(3))
	require.Error(t, rep.Fatal)
	for _, o := range c.out {
		assert.Equal(t, reward.StatusUnknown, o.Status, "the call may have left: never NOT_SENT")
	}
}

// TestBulkAfterAnEarlierRunsLostAnswer: a row an earlier run sent in a
// bulk call without learning its fate is sent again, when the evidence
// rule permits, on the single endpoint, whose answer is per row.
func TestBulkAfterAnEarlierRunsLostAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		second []enginetest.Send
		status reward.Status
		code   string
	}{
		{"refused: looked up, UNKNOWN, not FAILED", []enginetest.Send{enginetest.SendRefuse}, reward.StatusUnknown, reward.CodeAmbiguous},
		{"duplicate: looked up, never FAILED", []enginetest.Send{enginetest.SendDuplicate}, reward.StatusUnknown, reward.CodeDuplicateRef},
		{"throttled on every resend: looked up, never FAILED", []enginetest.Send{enginetest.Send429, enginetest.Send429,
			enginetest.Send429, enginetest.Send429}, reward.StatusUnknown, reward.CodeAmbiguous},
		{"applied by the resend", []enginetest.Send{enginetest.SendOK}, reward.StatusMatched, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newFakeEnv(true, tt.second, nil)
			env.script.Bulks = []enginetest.Bulk{{Call: enginetest.Send5xxNotApplied}}
			its := []*reward.Item{row(2, "")}
			c, _ := env.run(t, bulkCfg(50), its)
			require.Equal(t, reward.StatusUnknown, c.out[0].Status)
			env.clock.Advance(20 * time.Minute) // past --resend-after: the next run may resend
			c, _ = env.run(t, bulkCfg(50), its)
			assert.Equal(t, tt.status, c.out[0].Status, c.out[0].ErrorMessage)
			assert.Equal(t, tt.code, c.out[0].ErrorCode)
			assert.LessOrEqual(t, env.creditsOf("R2"), 1)
			assert.Equal(t, []int{1}, env.api.BulkCalls(), "the resend is no bulk call")
			assert.Equal(t, len(tt.second), env.api.CallsTo(enkash.PathCreateAllocate), "the resends are single calls")
		})
	}
}

// TestBulkRowsInDoubtAreResentSingly: the rows of a bulk call whose
// answer named none of them (so they were looked up, and left UNKNOWN)
// never go in a bulk call again; the next run sends them singly, beside
// its new rows, which still go in bulk calls. Without that, a batch whose
// refusal names a bad row would be looked up and resent in the same shape
// on every run.
func TestBulkRowsInDoubtAreResentSingly(t *testing.T) {
	t.Parallel()
	env := newFakeEnv(true, nil, nil)
	env.script.Bulks = []enginetest.Bulk{{Call: enginetest.Send5xxNotApplied}}
	old := allocations(4)
	c, _ := env.run(t, bulkCfg(4), old)
	assert.Equal(t, map[reward.Status]int{reward.StatusUnknown: 4}, c.statuses())
	env.clock.Advance(20 * time.Minute) // past --resend-after: the next run may resend
	its := append(append([]*reward.Item(nil), old...), row(10, ""), row(11, ""))
	c, _ = env.run(t, bulkCfg(4), its)
	assert.Equal(t, map[reward.Status]int{reward.StatusMatched: 6}, c.statuses())
	assert.Equal(t, []int{4, 2}, env.api.BulkCalls(), "only the new rows went in a bulk call")
	assert.Equal(t, 4, env.api.CallsTo(enkash.PathCreateAllocate), "each row in doubt was sent on its own")
	for _, it := range its {
		assert.Equal(t, 1, env.creditsOf(it.Allocation.Reference), it.Allocation.Reference)
	}
}

func TestBulkNeverPutsAReferenceTwiceInOneCall(t *testing.T) {
	t.Parallel()
	env := newFakeEnv(false, nil, nil)
	env.api.Deduplicates = true
	its := []*reward.Item{row(2, ""), row(2, ""), row(3, "")} // validation refuses this; the engine does not rely on it
	c, _ := env.run(t, bulkCfg(50), its)
	assert.Equal(t, []int{1, 2}, env.api.BulkCalls())
	assert.Equal(t, 1, env.creditsOf("R2"))
	st := c.statuses()
	assert.Equal(t, 2, st[reward.StatusMatched])
	assert.Equal(t, 1, st[reward.StatusFailed], "the repeat is refused as a duplicate of a reference this run never saw answered")
}

// TestBulkBadRowIsIsolatedBy400s: a row that makes EnKash refuse every
// call it is in with HTTP 400 is found by halving, ends FAILED alone, and
// does not cut the size of later batches (only a 400 that both halves
// escape is about the size).
func TestBulkBadRowIsIsolatedBy400s(t *testing.T) {
	t.Parallel()
	bad := enginetest.Bulk{Call: enginetest.SendBadRequest}
	env := newFakeEnv(true, nil, nil)
	// 12 rows in batches of 4; row 0 is bad: [0 1 2 3] 400, [0 1] 400,
	// [0] 400, [1], [2 3]; then [4..7] and [8..11] whole.
	env.script.Bulks = []enginetest.Bulk{bad, bad, bad}
	c, rep := env.run(t, bulkCfg(4), allocations(12))
	assert.Empty(t, rep.Stopped)
	assert.Equal(t, []int{4, 2, 1, 1, 2, 4, 4}, env.api.BulkCalls())
	for _, o := range c.out {
		if o.Seq == 0 {
			assert.Equal(t, reward.StatusFailed, o.Status)
			assert.Equal(t, reward.CodeRejected, o.ErrorCode)
			assert.Contains(t, o.ErrorMessage, "HTTP 400")
			assert.Equal(t, 3, o.Attempts, "in three calls, each refused whole")
			continue
		}
		assert.Equal(t, reward.StatusMatched, o.Status, "row %d: %s", o.Seq, o.ErrorMessage)
		assert.Equal(t, 1, env.creditsOf(o.Item.Allocation.Reference), "row %d", o.Seq)
	}
}

// TestBulkSplitsDoNotUseUpRetries: a row sent again in ever smaller calls
// after whole refusals still has its retries when a 429 meets it alone.
func TestBulkSplitsDoNotUseUpRetries(t *testing.T) {
	t.Parallel()
	bad := enginetest.Bulk{Call: enginetest.SendBadRequest}
	env := newFakeEnv(true, nil, nil)
	// 16 rows in one batch, row 0 bad: [0..15] [0..7] [0..3] [0 1] [0]
	// refused whole; then [1] meets a 429 and is tried again.
	env.script.Bulks = []enginetest.Bulk{bad, bad, bad, bad, bad, {Call: enginetest.Send429}}
	c, rep := env.run(t, bulkCfg(16), allocations(16))
	assert.Empty(t, rep.Stopped)
	assert.Equal(t, []int{16, 8, 4, 2, 1, 1, 1, 2, 4, 8}, env.api.BulkCalls())
	for _, o := range c.out {
		if o.Seq == 0 {
			assert.Equal(t, reward.CodeRejected, o.ErrorCode)
			continue
		}
		assert.Equal(t, reward.StatusMatched, o.Status, "row %d: %s", o.Seq, o.ErrorMessage)
		assert.Equal(t, 1, env.creditsOf(o.Item.Allocation.Reference), "row %d", o.Seq)
	}
}
