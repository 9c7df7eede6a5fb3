package job_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

func TestRunListsTheUsersOnceForItsRemoteChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		rosterPages int
		perRow      bool // each row's card is searched for
	}{
		{"the run's budget: one listing", 0, false},
		{"no listing", -1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, sandbox.Options{PageSize: 10})
			o := f.ledgerOptions(t, f.withLedger(t), sample)
			o.Engine.RosterPages = tt.rosterPages
			res := f.run(t, o)
			require.Equal(t, exitcode.OK, res.Code, f.out.String())
			assert.Equal(t, 200, res.Summary.Statuses[reward.StatusMatched])
			assert.Len(t, f.env.Transactions(), 200)
			searches := f.env.Stats().Count("requests " + enkash.PathSearch)
			if tt.perRow {
				assert.Greater(t, searches, int64(4))
			} else {
				assert.Equal(t, int64(10), searches, "the forty demo cards, in pages of ten and an empty one, read twice")
			}
		})
	}
}
