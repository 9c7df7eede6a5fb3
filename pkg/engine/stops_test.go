package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

func TestAPanicIsAFatalStopThatReportsEveryRow(t *testing.T) {
	t.Parallel()
	env := newFakeEnv(true, []enginetest.Send{enginetest.SendOK, enginetest.SendPanic}, nil)
	c, rep := env.run(t, engine.Config{Workers: 1, NoRemoteCheck: true}, rows(20))
	require.Error(t, rep.Fatal)
	assert.Contains(t, rep.Fatal.Error(), "internal error")
	st := c.statuses()
	assert.Equal(t, 1, st[reward.StatusMatched])
	assert.Equal(t, 1, st[reward.StatusUnknown], "the row being sent when it panicked may have been applied")
	assert.Equal(t, 18, st[reward.StatusNotSent])
	e, _ := env.journal.Entry("R3")
	assert.Equal(t, "UNKNOWN", e.State, "the ledger keeps it unsettled")
}

func TestALongRetryAfterStopsDispatching(t *testing.T) {
	t.Parallel()
	// The fake's 429s ask for 1 s; --max-pause 500ms refuses that.
	env := newFakeEnv(false, []enginetest.Send{enginetest.SendOK, enginetest.Send429}, nil)
	c, rep := env.run(t, engine.Config{Workers: 1, MaxPause: 500 * time.Millisecond}, rows(10))
	assert.Contains(t, rep.Stopped, "longer than --max-pause")
	assert.Nil(t, rep.Fatal)
	st := c.statuses()
	assert.Equal(t, 1, st[reward.StatusMatched])
	assert.Equal(t, 9, st[reward.StatusNotSent])
	assert.Len(t, env.api.Credits(), 1)
}

func TestFailureThreshold(t *testing.T) {
	t.Parallel()
	never := repeat(enginetest.SendNoConnection, 100)
	tests := []struct {
		name    string
		ratio   float64
		stopped bool
	}{
		{"half of the window failed: stop", 0.5, true},
		{"default ratio", 0, true},
		{"negative: never stop", -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newFakeEnv(false, never, nil)
			c, rep := env.run(t, engine.Config{Workers: 1, MaxAttempts: 1, FailWindow: 10, FailRatio: tt.ratio}, rows(40))
			st := c.statuses()
			if !tt.stopped {
				assert.Empty(t, rep.Stopped)
				assert.Equal(t, 40, st[reward.StatusFailed])
				return
			}
			assert.Contains(t, rep.Stopped, "of the last 10 requests failed")
			assert.Equal(t, 10, st[reward.StatusFailed], "the window fills, then nothing more is sent")
			assert.Equal(t, 30, st[reward.StatusNotSent])
		})
	}
}

func TestTheLedgerFailingMidRunStillReportsEveryRow(t *testing.T) {
	t.Parallel()
	env := newFakeEnv(true, nil, nil)
	env.journal.FailAfter = 3 // a begin and two records, then the disk is full
	c, rep := env.run(t, engine.Config{Workers: 1, NoRemoteCheck: true}, rows(200))
	require.ErrorIs(t, rep.Fatal, enginetest.ErrJournal)
	assert.Contains(t, rep.Stopped, "recording the run")
	st := c.statuses()
	assert.Equal(t, 200, st[reward.StatusMatched]+st[reward.StatusNotSent])
	assert.Positive(t, st[reward.StatusNotSent])
	assert.Equal(t, st[reward.StatusMatched], len(env.api.Credits()), "every credit is reported MATCHED")
}

// heldLookups is a script whose lookups wait until released.
type heldLookups struct {
	enginetest.Queue
	release chan struct{}
}

func (h *heldLookups) Look() enginetest.Look {
	<-h.release
	return h.Queue.Look()
}

func TestAParkedRowDoesNotHoldTheReportBack(t *testing.T) {
	t.Parallel()
	// The first row's answer is lost, and its lookups cannot answer until
	// the other 50 rows have reached the report, through a reorder window
	// of 2: a parked row must not hold them back.
	script := &heldLookups{Queue: enginetest.Queue{Sends: []enginetest.Send{enginetest.Send5xxApplied}}, release: make(chan struct{})}
	clock := enginetest.NewClock()
	c := &collector{}
	sink := func(o *reward.Outcome) error {
		if err := c.sink(o); err != nil {
			return err
		}
		if len(c.out) == 50 {
			close(script.release)
		}
		return nil
	}
	rep, err := engine.New(engine.Config{Workers: 1, ReorderLimit: 2, Rate: 1e9, Clock: clock}, enginetest.NewAPI(script, clock), nil, nil).
		Run(context.Background(), source(rows(51)), sink)
	require.NoError(t, err)
	assert.Empty(t, rep.Stopped)
	require.Len(t, c.out, 51)
	for i, o := range c.out[:50] {
		assert.Equal(t, i+1, o.Seq)
	}
	assert.Equal(t, 0, c.out[50].Seq)
	assert.Equal(t, reward.StatusMatched, c.out[50].Status)
}

// TestAStopNeverMarksARowInDoubtNotSent: a row an earlier run sent
// without learning its fate, resent by this run and throttled past
// --max-pause, ends UNKNOWN when the run stops, never NOT_SENT: the
// earlier attempt may have been applied.
func TestAStopNeverMarksARowInDoubtNotSent(t *testing.T) {
	t.Parallel()
	env := newFakeEnv(true, []enginetest.Send{enginetest.Send429}, nil)
	env.script.Bulks = []enginetest.Bulk{{Call: enginetest.Send5xxNotApplied}}
	its := []*reward.Item{row(2, "")}
	c, _ := env.run(t, bulkCfg(50), its)
	require.Equal(t, reward.StatusUnknown, c.out[0].Status)
	env.clock.Advance(20 * time.Minute) // past --resend-after: the next run may resend
	cfg := bulkCfg(50)
	cfg.MaxPause = 500 * time.Millisecond // the fake's 429 asks for 1 s
	c, rep := env.run(t, cfg, its)
	assert.Contains(t, rep.Stopped, "longer than --max-pause")
	assert.Equal(t, 1, env.api.CallsTo(enkash.PathCreateAllocate), "resent once, and throttled")
	assert.Equal(t, reward.StatusUnknown, c.out[0].Status, c.out[0].ErrorMessage)
	assert.Equal(t, reward.CodeAmbiguous, c.out[0].ErrorCode)
	assert.Contains(t, c.out[0].ErrorMessage, "an earlier run's attempt may have been applied")
}
