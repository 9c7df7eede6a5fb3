package sandbox_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

func TestSlowFirstApplyMakesTheRepeatWait(t *testing.T) {
	t.Parallel()
	const slowFor = time.Second
	tests := []struct {
		policy  sandbox.DuplicatePolicy
		code    int
		credits int
	}{
		{sandbox.DuplicateReject, 1, 1},
		{sandbox.DuplicateApplyAgain, 0, 2},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			t.Parallel()
			r := startRaw(t, sandbox.Options{Duplicates: tt.policy, Faults: sandbox.Faults{SlowApply: 1, SlowFor: slowFor}})
			// The first client gives up long before the server is done.
			impatient := *r
			impatient.hc = &http.Client{Timeout: 50 * time.Millisecond}
			first := make(chan error, 1)
			go func() {
				req := impatient.allocateRequest("SLOW1", "9876500901", "10")
				_, err := impatient.hc.Do(req)
				first <- err
			}()
			require.Eventually(t, func() bool { return r.srv.Stats().Count("faults slow-apply") == 1 },
				5*time.Second, time.Millisecond, "the first request holds the row")
			assert.Empty(t, r.ground(), "nothing is applied while the row is held")
			require.Error(t, <-first, "the first client timed out")

			repeat := r.allocate("SLOW1", "9876500901", "10")
			assert.Equal(t, tt.code, repeat.code(), "%s", repeat.Body)
			if tt.code == 1 {
				assert.Equal(t, "Duplicate reference number", repeat.Message, "the repeat waited for the first's commit")
			}
			assert.Len(t, r.ground(), tt.credits)
		})
	}
}
