package job

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

func TestRowsMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		statuses map[reward.Status]int
		want     string
	}{
		{"every row done", map[reward.Status]int{reward.StatusMatched: 3}, ""},
		{"one failed", map[reward.Status]int{reward.StatusMatched: 3, reward.StatusFailed: 1},
			"1 row FAILED: this run did not apply them; failed.csv gives each one's reason and the fix to read before sending anything again"},
		{"unknown first, never to be sent by hand", map[reward.Status]int{reward.StatusFailed: 2, reward.StatusUnknown: 2, reward.StatusNotSent: 1},
			"2 rows UNKNOWN: EnKash may have applied them; `rewardbatch reconcile run-07` looks them up again, and they must not be sent again by hand; " +
				"1 row NOT_SENT: not sent; a rerun of the same file sends them and skips the rows already done; " +
				"2 rows FAILED: this run did not apply them; failed.csv gives each one's reason and the fix to read before sending anything again"},
		{"mismatch and invalid", map[reward.Status]int{reward.StatusMismatch: 1, reward.StatusInvalid: 4},
			"1 row MISMATCH: EnKash holds the reference with another amount or type; check them with EnKash, they are never sent again; " +
				"4 rows INVALID: refused by the checks and not sent; validation.csv says why"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, rowsMessage(tt.statuses, "run-07"))
		})
	}
}
