package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/ledger/pgtest"
)

// historyStates runs history --json on state and returns each run's state
// by id; the table too must say the same.
func historyStates(t *testing.T, state string) map[string]string {
	t.Helper()
	code, stdout, stderr := execute(t, nil, "history", "--json", "--state", state)
	require.Equal(t, exitcode.OK, code, stderr)
	var doc HistoryDocument
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	out := map[string]string{}
	for _, r := range doc.Runs {
		out[r.ID] = r.State
	}
	code, table, stderr := execute(t, nil, "history", "--state", state)
	require.Equal(t, exitcode.OK, code, stderr)
	for id, st := range out {
		if st != stateFinished {
			assert.Regexp(t, id+`\s.*`+st, table)
		}
	}
	return out
}

// history shows a run that holds the ledger as running, on either back
// end, and as "did not finish" once its process let the ledger go without
// an exit code.
func TestHistoryShowsARunningRun(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			tr := newTrial(t)
			if backend == "postgres" {
				tr.state = pgtest.Database(t)
			}
			code, _, stderr := tr.run(t, sample, nil)
			require.Equal(t, exitcode.OK, code, stderr)

			hold := holdScope(t, tr.state) // starts run held-by-test, from this (live) process
			states := historyStates(t, tr.state)
			require.Len(t, states, 2)
			assert.Equal(t, stateRunning, states["held-by-test"])
			for id, st := range states {
				if id != "held-by-test" {
					assert.Equal(t, stateFinished, st)
				}
			}

			hold()
			assert.Equal(t, stateDidNotFinis, historyStates(t, tr.state)["held-by-test"])
		})
	}
}
