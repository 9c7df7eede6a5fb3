package engine_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// step is one run of a multi-run story: the answers queued for it, the
// time that passes before it, whether the process dies after the last
// call, and what the row must end as.
type step struct {
	wait    time.Duration
	sends   []enginetest.Send
	looks   []enginetest.Look
	cfg     engine.Config
	kill    int  // the process dies after this many calls (0: it does not)
	fresh   bool // the run uses a new, empty ledger
	status  reward.Status
	code    string
	credits int
}

func TestRunsAfterALostAnswer(t *testing.T) {
	t.Parallel()
	S := enginetest.Send5xxNotApplied
	tests := []struct {
		name  string
		lag   time.Duration // of the lagging replica (default enginetest.Lag)
		steps []step
	}{
		{"absent is resent only by a later run, past --resend-after", 0, []step{
			{sends: []enginetest.Send{S}, status: reward.StatusUnknown, code: reward.CodeAmbiguous},
			{status: reward.StatusUnknown, code: reward.CodeAmbiguous}, // at once: it may still be in flight
			{wait: 20 * time.Minute, status: reward.StatusMatched, credits: 1},
			{wait: time.Hour, status: reward.StatusSkipped, credits: 1},
		}},
		{"EnKash deduplicates: the next run resends at once", 0, []step{
			{sends: []enginetest.Send{S}, status: reward.StatusUnknown, code: reward.CodeAmbiguous},
			{cfg: engine.Config{Deduplicates: true}, status: reward.StatusMatched, credits: 1},
		}},
		{"killed after applying: the rerun finds it", 0, []step{
			{sends: []enginetest.Send{enginetest.SendTimeoutApplied}, kill: 2, credits: 1},
			{looks: []enginetest.Look{enginetest.LookLagging, enginetest.LookLagging}, status: reward.StatusMatched, credits: 1},
		}},
		{"duplicate refusal after an earlier run's send: looked up, MATCHED", 10 * time.Minute, []step{
			{sends: []enginetest.Send{enginetest.Send5xxApplied}, kill: 2, credits: 1},
			{cfg: engine.Config{Deduplicates: true}, sends: []enginetest.Send{enginetest.SendDuplicate},
				looks: []enginetest.Look{enginetest.LookLagging}, status: reward.StatusMatched, credits: 1},
		}},
		{"duplicate refusal, never found: UNKNOWN, not FAILED", 0, []step{
			{sends: []enginetest.Send{S}, status: reward.StatusUnknown, code: reward.CodeAmbiguous},
			{cfg: engine.Config{Deduplicates: true}, sends: []enginetest.Send{enginetest.SendDuplicate},
				status: reward.StatusUnknown, code: reward.CodeDuplicateRef},
		}},
		{"refused, file unchanged: FAILED again, not resent", 0, []step{
			{sends: []enginetest.Send{enginetest.SendRefuse}, status: reward.StatusFailed, code: reward.CodeRejected},
			{status: reward.StatusFailed, code: reward.CodeRejected},
		}},
		{"pending, then final", 0, []step{
			{sends: []enginetest.Send{enginetest.SendTimeoutApplied}, looks: repeat(enginetest.LookPending, 20),
				status: reward.StatusUnknown, code: reward.CodePending, credits: 1},
			{status: reward.StatusMatched, credits: 1},
		}},
		{"remote check finds what another ledger sent", 0, []step{
			{cfg: engine.Config{NoRemoteCheck: true}, kill: 1, credits: 1},
			{fresh: true, status: reward.StatusSkipped, code: reward.CodeAlreadyAtEnKash, credits: 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newFakeEnv(true, nil, nil)
			env.api.Lag = tt.lag
			it := row(2, "C1")
			for i, st := range tt.steps {
				env.clock.Advance(st.wait)
				env.script.Sends, env.script.Looks = st.sends, st.looks
				if st.fresh {
					env.journal = enginetest.NewJournal()
				}
				if st.kill > 0 {
					env.api.KillAfter(st.kill, env.journal.Kill)
				}
				c, _ := env.run(t, st.cfg, []*reward.Item{it})
				env.api.Revive()
				env.journal.Revive()
				if st.kill == 0 {
					o := c.out[0]
					assert.Equal(t, st.status, o.Status, "run %d: %s", i+1, o.ErrorMessage)
					assert.Equal(t, st.code, o.ErrorCode, "run %d: %s", i+1, o.ErrorMessage)
				}
				require.Equal(t, st.credits, env.creditsOf(it.Allocation.Reference), "run %d", i+1)
			}
		})
	}
}

func repeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}
