package exitcode

import (
	"errors"
	"fmt"
	"testing"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
	"github.com/stretchr/testify/assert"
)

func TestFromStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		counts  map[reward.Status]int
		stopped bool
		want    int
	}{
		{"all matched", map[reward.Status]int{reward.StatusMatched: 10}, false, OK},
		{"matched and skipped", map[reward.Status]int{reward.StatusMatched: 3, reward.StatusSkipped: 7}, false, OK},
		{"a failure", map[reward.Status]int{reward.StatusMatched: 9, reward.StatusFailed: 1}, false, RowsFailed},
		{"a mismatch", map[reward.Status]int{reward.StatusMismatch: 1}, false, RowsFailed},
		{"skipped invalid rows", map[reward.Status]int{reward.StatusMatched: 9, reward.StatusInvalid: 1}, false, RowsFailed},
		{"an unknown outcome", map[reward.Status]int{reward.StatusFailed: 1, reward.StatusUnknown: 1}, false, Incomplete},
		{"rows not sent", map[reward.Status]int{reward.StatusNotSent: 1}, false, Incomplete},
		{"stopped", map[reward.Status]int{reward.StatusMatched: 1}, true, Incomplete},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, FromStatuses(tt.counts, tt.stopped), tt.name)
	}
}

func TestFromError(t *testing.T) {
	t.Parallel()
	assert.Equal(t, OK, FromError(nil))
	assert.Equal(t, InvalidInput, FromError(fmt.Errorf("x: %w", &allocfile.FileError{})))
	assert.Equal(t, InvalidInput, FromError(&validate.ControlError{}))
	assert.Equal(t, InvalidInput, FromError(fmt.Errorf("3 rows: %w", ErrInvalidInput)))
	assert.Equal(t, Fatal, FromError(errors.New("disk full")))
}
