package job

import (
	"fmt"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// rowsMessage says, for a run that finished with rows not done
// (ROWS_FAILED, OUTCOMES_UNKNOWN), how many rows are in which state and
// what to do with each, in words that never lead to paying a row twice:
// rows EnKash may have applied are looked up, never sent again by hand.
// runID names the run for reconcile.
func rowsMessage(statuses map[reward.Status]int, runID string) string {
	var parts []string
	add := func(st reward.Status, what string) {
		if n := statuses[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s %s", n, plural(n, "row", "rows"), st)+": "+what)
		}
	}
	add(reward.StatusUnknown, "EnKash may have applied them; `rewardbatch reconcile "+runID+
		"` looks them up again, and they must not be sent again by hand")
	add(reward.StatusNotSent, "not sent; a rerun of the same file sends them and skips the rows already done")
	add(reward.StatusFailed, "this run did not apply them; failed.csv gives each one's reason and the fix to read before sending anything again")
	add(reward.StatusMismatch, "EnKash holds the reference with another amount or type; check them with EnKash, they are never sent again")
	add(reward.StatusInvalid, "refused by the checks and not sent; validation.csv says why")
	return strings.Join(parts, "; ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
