package engine_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// TestBulkAnswerShapes runs the bulk mode against each shape of answer
// and each bulk fault the sandbox serves: every row ends with exactly one
// line, no reference is credited twice, no credited row is FAILED or
// NOT_SENT, and a row is MATCHED only through its reference (the answer
// or a lookup), never through an absence.
func TestBulkAnswerShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     sandbox.Options
		k        int
		statuses func(t *testing.T, st map[reward.Status]int, env *sandboxtest.Env)
		breaker  bool // the failure threshold on, watching 4 calls: an answer that settles no row is no failure
	}{
		{"success and failure lists, items failing", sandbox.Options{Faults: sandbox.Faults{Seed: 4, BulkFail: 0.3}}, 8,
			func(t *testing.T, st map[reward.Status]int, env *sandboxtest.Env) {
				assert.Equal(t, int(env.Stats().Count("faults bulk-fail")), st[reward.StatusFailed], "each failed item is FAILED, from the failure list")
			}, false},
		{"success list only, items failing", sandbox.Options{BulkAnswer: sandbox.BulkAnswerSuccess, Faults: sandbox.Faults{Seed: 4, BulkFail: 0.3}}, 8,
			func(t *testing.T, st map[reward.Status]int, env *sandboxtest.Env) {
				assert.Zero(t, st[reward.StatusFailed], "an item missing from the answer is never taken for a refusal")
				assert.Equal(t, int(env.Stats().Count("faults bulk-fail")), st[reward.StatusUnknown], "it is looked up, found absent, and left UNKNOWN")
			}, false},
		{"counts only", sandbox.Options{BulkAnswer: sandbox.BulkAnswerCounts}, 8,
			func(t *testing.T, st map[reward.Status]int, env *sandboxtest.Env) {
				assert.Equal(t, 60, st[reward.StatusMatched], "every row settled by a lookup")
				assert.Positive(t, env.Stats().Count("requests "+enkash.PathTransactions))
			}, true},
		{"no reference echo", sandbox.Options{NoBulkEchoRef: true}, 8,
			func(t *testing.T, st map[reward.Status]int, _ *sandboxtest.Env) {
				assert.Equal(t, 60, st[reward.StatusMatched], "every row settled by a lookup, never by name or e-mail")
			}, true},
		{"every call refused (422)", sandbox.Options{Faults: sandbox.Faults{BulkRefuse: "kyc"}}, 8,
			func(t *testing.T, st map[reward.Status]int, env *sandboxtest.Env) {
				assert.Positive(t, env.Stats().Count("faults bulk-refuse"))
				assert.Equal(t, 60-st[reward.StatusFailed], len(env.Transactions()), "only the top-ups and debits, sent singly, were applied")
			}, false},
		{"calls larger than the server takes", sandbox.Options{BulkMax: 5}, 8,
			func(t *testing.T, st map[reward.Status]int, env *sandboxtest.Env) {
				assert.Positive(t, env.Stats().Count("bulk too large"), "a 400 refuses the whole call")
				assert.Equal(t, 60, st[reward.StatusMatched], "its rows are sent again in halves, each credited once")
			}, false},
		{"replayed duplicates", sandbox.Options{Duplicates: sandbox.DuplicateReplay, Faults: sandbox.Faults{Seed: 17, ApplyThenFail: 0.3, FirstAttemptOnly: true}}, 8,
			func(t *testing.T, st map[reward.Status]int, _ *sandboxtest.Env) {
				assert.Equal(t, 60, st[reward.StatusMatched])
			}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.Cards = sandbox.DemoCards()
			if tt.opts.Duplicates == "" {
				tt.opts.Duplicates = sandbox.DuplicateApplyAgain // a resend would credit twice
			}
			env := sandboxtest.Start(t, tt.opts)
			its := items(t, 60)
			cfg := engine.Config{Workers: 4, FailRatio: -1}
			if tt.breaker {
				cfg.FailRatio, cfg.FailWindow = 0, 4
			}
			out, _ := runWith(t, env, its, bulkMode(cfg, tt.k), enginetest.NewJournal(), nil)
			assertSafe(t, env, its, out)
			st := map[reward.Status]int{}
			for _, o := range out {
				st[o.Status]++
			}
			require.Positive(t, env.Stats().Count("requests "+enkash.PathBulkAllocate))
			tt.statuses(t, st, env)
		})
	}
}
