package sandbox_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

func TestDuplicateAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		answer   string
		message  string
		status   int
		code     int
		wantText string
	}{
		{"default", "", "", 200, 1, "Duplicate reference number"},
		{"code1", sandbox.DuplicateCode1, "", 200, 1, "Duplicate reference number"},
		{"http409", sandbox.DuplicateHTTP409, "", 409, 409, "Transaction ID already exists"},
		{"own text", sandbox.DuplicateCode1, "Duplicate uniqueReferenceNumber", 200, 1, "Duplicate uniqueReferenceNumber"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := startRaw(t, sandbox.Options{DuplicateAnswer: tt.answer, DuplicateMessage: tt.message})
			first := r.allocate("D1", "9876500201", "10")
			require.Equal(t, 200, first.Status)
			require.Equal(t, 0, first.code())
			second := r.allocate("D1", "9876500201", "10")
			assert.Equal(t, tt.status, second.Status)
			assert.Equal(t, tt.code, second.code())
			assert.Equal(t, tt.wantText, second.Message)
			assert.Len(t, r.ground(), 1, "a refused repeat credits nothing")
		})
	}
	_, err := sandbox.ParseDuplicateAnswer("409")
	assert.Error(t, err)
}
