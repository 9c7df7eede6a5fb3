package engine_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// bulkRows returns the rows of its that go in bulk calls, in order.
func bulkRows(its []*reward.Item) []*reward.Item {
	var out []*reward.Item
	for _, it := range its {
		if it.Allocation.Operation == reward.OpAllocate && it.Allocation.EnkashCardID == "" {
			out = append(out, it)
		}
	}
	return out
}

// TestBulkPartial400IsNeverSplit runs bulk calls against a server that
// applies the items of a call before one reference, then answers HTTP 400
// for the whole call, and credits a repeated reference again. The 400
// proves nothing of the call as a whole: no row of it is sent again. A
// row the answer lists as applied, or that a lookup finds, is MATCHED;
// the bad row and those after it, which nothing proves either way, end
// UNKNOWN; every other batch is credited as usual, and no reference twice.
func TestBulkPartial400IsNeverSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer string // the shape of the 400's payload
		html   bool   // the 400 is a gateway's page, not EnKash's envelope
	}{
		{"400 listing the applied items", sandbox.BulkAnswerBoth, false},
		{"400 listing the applied items only", sandbox.BulkAnswerSuccess, false},
		{"400 with the counters only", sandbox.BulkAnswerCounts, false},
		{"400 from a gateway, an HTML page", sandbox.BulkAnswerBoth, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			its := items(t, 60)
			first := bulkRows(its)[:8] // the first batch
			bad := first[2].Allocation.Reference
			env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards(), Duplicates: sandbox.DuplicateApplyAgain,
				BulkAnswer: tt.answer, Faults: sandbox.Faults{BulkPartial400: bad, BulkPartial400HTML: tt.html}})
			out, _ := runWith(t, env, its, bulkMode(engine.Config{Workers: 1, FailRatio: -1}, 8), enginetest.NewJournal(), nil)
			assertSafe(t, env, its, out)
			credits := groundTruth(t, env)
			inFirst := map[*reward.Item]int{}
			for i, it := range first {
				inFirst[it] = i
			}
			for _, o := range out {
				ref := o.Item.Allocation.Reference
				i, ok := inFirst[o.Item]
				switch {
				case !ok:
					assert.Equal(t, reward.StatusMatched, o.Status, "%s: %s", ref, o.ErrorMessage)
				case i < 2:
					assert.Equal(t, 1, credits[ref], "%s was applied before the bad row", ref)
					assert.Equal(t, reward.StatusMatched, o.Status, "%s: %s", ref, o.ErrorMessage)
				default:
					assert.Zero(t, credits[ref], "%s was never applied", ref)
					assert.Equal(t, reward.StatusUnknown, o.Status, "%s is not proven either way: %s", ref, o.ErrorMessage)
					assert.Equal(t, reward.CodeAmbiguous, o.ErrorCode, ref)
				}
				if ok {
					assert.Equal(t, 1, o.Attempts, "%s: a row of the 400 call is never sent again", ref)
				}
			}
			assert.EqualValues(t, 1, env.Stats().Count("faults bulk-partial-400"), "the call with the bad row went once")
			require.Positive(t, bulkCalls(env))
		})
	}
}
