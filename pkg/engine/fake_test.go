package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// row returns a valid top-up (card set) or allocation (card empty) row.
func row(line int, card string) *reward.Item {
	op := reward.OpTopUp
	if card == "" {
		op = reward.OpAllocate
	}
	amt, _ := money.Parse("250.50")
	return &reward.Item{Line: line, Valid: true, Allocation: reward.Allocation{Operation: op, Reference: fmt.Sprintf("R%d", line),
		EnkashCardID: card, Email: fmt.Sprintf("p%d@example.com", line), Mobile: "9876543210", Amount: amt}}
}

func rows(n int) []*reward.Item {
	out := make([]*reward.Item, n)
	for i := range out {
		out[i] = row(i+2, fmt.Sprintf("CARD%d", i))
	}
	return out
}

// fakeEnv is a fake EnKash, a fake clock and an in-memory journal, shared
// by the runs of one test.
type fakeEnv struct {
	clock   *enginetest.Clock
	api     *enginetest.API
	journal *enginetest.MemJournal // nil: runs without a journal
	script  *enginetest.Queue
}

func newFakeEnv(withJournal bool, sends []enginetest.Send, looks []enginetest.Look) *fakeEnv {
	e := &fakeEnv{clock: enginetest.NewClock(), script: &enginetest.Queue{Sends: sends, Looks: looks}}
	e.api = enginetest.NewAPI(e.script, e.clock)
	if withJournal {
		e.journal = enginetest.NewJournal()
	}
	return e
}

func (e *fakeEnv) config(cfg engine.Config) engine.Config {
	cfg.Clock, cfg.Rate = e.clock, 1e9
	return cfg
}

// run runs the engine over its and checks that every row has exactly one
// outcome.
func (e *fakeEnv) run(t *testing.T, cfg engine.Config, its []*reward.Item) (*collector, engine.Report) {
	t.Helper()
	var j engine.Journal
	if e.journal != nil {
		j = e.journal
	}
	c := &collector{}
	rep, err := engine.New(e.config(cfg), e.api, j, nil).Run(context.Background(), source(its), c.sink)
	require.NoError(t, err)
	require.Len(t, c.out, len(its), "every row has a line")
	seen := map[int]bool{}
	for _, o := range c.out {
		require.False(t, seen[o.Seq], "row %d reported twice", o.Seq)
		seen[o.Seq] = true
	}
	return c, rep
}

// creditsOf counts the fake's credits of a reference.
func (e *fakeEnv) creditsOf(ref string) int {
	n := 0
	for _, c := range e.api.Credits() {
		if c.Reference == ref {
			n++
		}
	}
	return n
}

func TestOneRowAgainstScriptedAnswers(t *testing.T) {
	t.Parallel()
	pending := make([]enginetest.Look, 30)
	for i := range pending {
		pending[i] = enginetest.LookPending
	}
	tests := []struct {
		name     string
		card     string // "" for an allocation
		sends    []enginetest.Send
		looks    []enginetest.Look
		status   reward.Status
		code     string
		attempts int
		credits  int
	}{
		{"success", "C1", nil, nil, reward.StatusMatched, "", 1, 1},
		{"429s then success", "C1", []enginetest.Send{enginetest.Send429, enginetest.Send429}, nil, reward.StatusMatched, "", 3, 1},
		{"never connects", "C1", []enginetest.Send{enginetest.SendNoConnection, enginetest.SendNoConnection, enginetest.SendNoConnection,
			enginetest.SendNoConnection}, nil, reward.StatusFailed, reward.CodeRetriesExhausted, 4, 0},
		{"failed token call is not an attempt", "C1", []enginetest.Send{enginetest.SendLoginFails}, nil, reward.StatusMatched, "", 1, 1},
		{"refused", "C1", []enginetest.Send{enginetest.SendRefuse}, nil, reward.StatusFailed, reward.CodeRejected, 1, 0},
		{"duplicate of a reference never sent", "C1", []enginetest.Send{enginetest.SendDuplicate}, nil, reward.StatusFailed, reward.CodeDuplicateRef, 1, 0},
		{"5xx after applying, lagging lookup", "C1", []enginetest.Send{enginetest.Send5xxApplied},
			[]enginetest.Look{enginetest.LookLagging, enginetest.LookFails, enginetest.LookLagging}, reward.StatusMatched, "", 1, 1},
		{"5xx before applying: absent is not proof", "C1", []enginetest.Send{enginetest.Send5xxNotApplied}, nil,
			reward.StatusUnknown, reward.CodeAmbiguous, 1, 0},
		{"timeout after applying, pending status", "C1", []enginetest.Send{enginetest.SendTimeoutApplied}, pending,
			reward.StatusUnknown, reward.CodePending, 1, 1},
		{"reset, lookup without a card", "C1", []enginetest.Send{enginetest.SendResetNotApplied}, []enginetest.Look{enginetest.LookNoCard},
			reward.StatusUnknown, reward.CodeAmbiguous, 1, 0},
		{"allocation: card found by e-mail", "", []enginetest.Send{enginetest.Send5xxApplied}, nil, reward.StatusMatched, "", 1, 1},
		{"allocation: no such user yet, absent is not proof in the run", "", []enginetest.Send{enginetest.Send5xxNotApplied}, nil, reward.StatusUnknown, reward.CodeAmbiguous, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newFakeEnv(false, tt.sends, tt.looks)
			it := row(2, tt.card)
			c, rep := env.run(t, engine.Config{}, []*reward.Item{it})
			o := c.out[0]
			assert.Equal(t, tt.status, o.Status, o.ErrorMessage)
			assert.Equal(t, tt.code, o.ErrorCode, o.ErrorMessage)
			assert.Equal(t, tt.attempts, o.Attempts)
			assert.Equal(t, tt.credits, env.creditsOf(it.Allocation.Reference))
			assert.Empty(t, rep.Stopped)
			if o.Status == reward.StatusUnknown && o.ErrorCode == reward.CodeAmbiguous && tt.card != "" {
				assert.GreaterOrEqual(t, o.Evidence.AbsentLookups, 0)
				assert.False(t, o.Evidence.LastAttemptAt.IsZero(), "the attempt time is kept for the resend rule")
			}
		})
	}
}

func TestBackoffAndPauseUseTheClock(t *testing.T) {
	t.Parallel()
	env := newFakeEnv(false, []enginetest.Send{enginetest.Send429, enginetest.SendNoConnection}, nil)
	c, _ := env.run(t, engine.Config{BackoffBase: time.Second, BackoffMax: 8 * time.Second}, []*reward.Item{row(2, "C")})
	assert.Equal(t, reward.StatusMatched, c.out[0].Status)
	slept, _ := env.clock.Slept()
	// the 429's Retry-After (1 s, which covers the first backoff of 0.5 to
	// 1 s), then the second backoff, 1 to 2 s
	assert.GreaterOrEqual(t, slept, 2*time.Second)
	assert.LessOrEqual(t, slept, 3*time.Second)
}

func TestSettleWindowLooksUpWithGrowingPauses(t *testing.T) {
	t.Parallel()
	env := newFakeEnv(false, []enginetest.Send{enginetest.Send5xxNotApplied}, nil)
	c, _ := env.run(t, engine.Config{LookupGrace: 2 * time.Second, SettleWindow: time.Minute}, []*reward.Item{row(2, "C")})
	o := c.out[0]
	require.Equal(t, reward.StatusUnknown, o.Status)
	// 2 s, then 4, 8, 16, 30 (the rest of the window): 5 lookups at 2, 6, 14, 30, 60 s
	assert.Equal(t, 5, o.Evidence.AbsentLookups)
	assert.Equal(t, time.Minute, o.Evidence.LastAbsentAt.Sub(o.Evidence.LastAttemptAt))
	assert.Contains(t, o.ErrorMessage, "Do not send it again by hand")
}
