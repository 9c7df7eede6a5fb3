package exitcode

import (
	"errors"
	"fmt"
	"testing"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
	"github.com/stretchr/testify/assert"
)

func TestFromStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		counts  map[engine.Status]int
		stopped bool
		want    int
	}{
		{"all matched", map[engine.Status]int{engine.StatusMatched: 10}, false, OK},
		{"matched and skipped", map[engine.Status]int{engine.StatusMatched: 3, engine.StatusSkipped: 7}, false, OK},
		{"a failure", map[engine.Status]int{engine.StatusMatched: 9, engine.StatusFailed: 1}, false, RowsFailed},
		{"a mismatch", map[engine.Status]int{engine.StatusMismatch: 1}, false, RowsFailed},
		{"skipped invalid rows", map[engine.Status]int{engine.StatusMatched: 9, engine.StatusInvalid: 1}, false, RowsFailed},
		{"an unknown outcome", map[engine.Status]int{engine.StatusFailed: 1, engine.StatusUnknown: 1}, false, Incomplete},
		{"rows not sent", map[engine.Status]int{engine.StatusNotSent: 1}, false, Incomplete},
		{"stopped", map[engine.Status]int{engine.StatusMatched: 1}, true, Incomplete},
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
