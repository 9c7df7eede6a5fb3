package engine_test

import (
	"testing"

	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
)

// The bulk variant of the model test: one create-and-allocate row sent in
// bulk calls, every answer a bulk call can bring for it, over up to
// modelBulkSends calls, with every lookup answer and a kill and rerun
// between any two calls. Answers the engine cannot tell apart are one: a
// whole call lost after applying, an item applied but missing from the
// answer, and a counts-only answer of an applied item all leave an
// applied row unsettled (the applied item left out stands for them); a
// reset after the write and a refused item missing from a success-only
// answer leave an unapplied row unsettled (the reset stands for them).
const modelBulkSends = 3

var modelBulkOptions = []enginetest.Bulk{
	{},
	{Items: []enginetest.Send{enginetest.SendRefuse}},
	{Items: []enginetest.Send{enginetest.SendDuplicate}},
	{Items: []enginetest.Send{enginetest.Send5xxApplied}},
	{Call: enginetest.Send429},
	{Call: enginetest.SendNoConnection},
	{Call: enginetest.SendResetNotApplied},
	{Call: enginetest.SendRefuse},
	{Call: enginetest.SendDuplicate},
}

// Bulk answers a bulk call by the chooser's choices, within the bounds.
func (m *modelScript) Bulk() enginetest.Bulk {
	var b enginetest.Bulk
	if m.bulks < modelBulkSends {
		b = modelBulkOptions[m.c.pick(len(modelBulkOptions))]
	}
	m.bulks++
	m.log = append(m.log, "bulk:"+bulkName(b))
	return b
}

func bulkName(b enginetest.Bulk) string {
	if len(b.Items) > 0 {
		return "item-" + b.Items[0].String()
	}
	return b.Call.String()
}

func TestModelBulkEverySequenceOfServerBehaviours(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("the exhaustive model test takes a while")
	}
	explore(t, row(2, ""), true, 3000)
}
