package sandbox_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// balance returns the account's availableBalance as printed.
func (r *raw) balance() string {
	r.t.Helper()
	c := r.srv.Options().Credentials
	a := r.post(sandbox.PathAccount, map[string]any{"companyId": c.CompanyID, "cardAccountId": c.CardAccountID})
	require.Equal(r.t, 0, a.code(), "%s", a.Body)
	var p struct {
		AvailableBalance json.RawMessage `json:"availableBalance"`
	}
	require.NoError(r.t, json.Unmarshal(a.Payload, &p))
	return string(p.AvailableBalance)
}

func TestPendingStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status, want string
		fail         float64
		final        string
		balance      string
	}{
		{"", "PENDING", 0, "SUCCESS", "9999990.00"},
		{"processing", "PROCESSING", 0, "SUCCESS", "9999990.00"},
		{"CREATED", "CREATED", 1, "FAILED", "10000000.00"},
	}
	for _, tt := range tests {
		t.Run(tt.want+"-"+tt.final, func(t *testing.T) {
			t.Parallel()
			status, err := sandbox.ParsePendingStatus(cmp.Or(tt.status, "PENDING"))
			require.NoError(t, err)
			clk := newClock()
			r := startRaw(t, sandbox.Options{Now: clk.Now, PendingFor: time.Minute, PendingStatus: status, PendingFail: tt.fail})
			card := r.allocate("P1", "9876500401", "10").cardOf(t)
			a := r.lookup("P1", card, nil)
			require.Len(t, a.items(t), 1)
			assert.Equal(t, tt.want, a.items(t)[0].Status)
			assert.Equal(t, tt.want, r.ground()[0].Status)

			clk.Advance(time.Minute)
			a = r.lookup("P1", card, nil)
			require.Len(t, a.items(t), 1)
			assert.Equal(t, tt.final, a.items(t)[0].Status)
			assert.Equal(t, tt.final, r.ground()[0].Status, "the ground truth shows the final status")
			assert.Equal(t, tt.balance, r.balance(), "a FAILED credit goes back to the account")
		})
	}
}

func TestPendingFailIsSeeded(t *testing.T) {
	t.Parallel()
	failed := func() []string {
		clk := newClock()
		r := startRaw(t, sandbox.Options{Now: clk.Now, PendingFor: time.Second, PendingFail: 0.5, Faults: sandbox.Faults{Seed: 42}})
		for i := range 40 {
			require.Equal(t, 0, r.allocate(fmt.Sprintf("PF%02d", i), fmt.Sprintf("98765005%02d", i), "1").code())
		}
		clk.Advance(time.Second)
		var out []string
		for _, txn := range r.ground() {
			if txn.Status == "FAILED" {
				out = append(out, txn.PGReferenceNumber)
			}
		}
		return out
	}
	first := failed()
	assert.Equal(t, first, failed(), "the same seed fails the same references")
	assert.Greater(t, len(first), 5)
	assert.Less(t, len(first), 35)
}
