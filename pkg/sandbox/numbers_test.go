package sandbox_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

func TestNumberStyles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		style                        string
		balance, otb, amount, echoed string
	}{
		{"", "25000000.00", "12345678", "12345678", "100"},
		{sandbox.NumberPlain, "25000000.00", "12345678", "12345678", "100"},
		{sandbox.NumberDouble, "2.5E7", "1.2345678E7", "1.2345678E7", "100.0"},
		{sandbox.NumberString, `"25000000.00"`, `"12345678.00"`, `"12345678.00"`, `"100.00"`},
	}
	for _, tt := range tests {
		t.Run("style="+tt.style, func(t *testing.T) {
			t.Parallel()
			r := startRaw(t, sandbox.Options{NumberStyle: tt.style, Balance: money.FromHundredths(25_000_000_00)})
			assert.Equal(t, tt.balance, r.balance())
			a := r.allocate("N1", "9876500801", "12345678")
			var p struct {
				OTBBalance json.RawMessage `json:"otbBalance"`
			}
			require.NoError(t, json.Unmarshal(a.Payload, &p), "%s", a.Body)
			assert.Equal(t, tt.otb, string(p.OTBBalance))
			items := r.lookup("N1", a.cardOf(t), nil).items(t)
			require.Len(t, items, 1)
			assert.Equal(t, tt.amount, string(items[0].Amount))

			c := r.srv.Options().Credentials
			b := r.post(sandbox.PathBulkAllocate+"?companyId="+c.CompanyID+"&cardAccountId="+c.CardAccountID,
				[]map[string]any{{"title": "Mr", "name": "Rohan", "email": "rohan@example.com", "mobile": "9876500802",
					"loadAmount": 100, "uniqueReferenceNumber": "N2"}})
			var bulk struct {
				Successes []struct {
					LoadAmount json.RawMessage `json:"loadAmount"`
					OTBBalance json.RawMessage `json:"otbBalance"`
				} `json:"successBulkEnKashCardCreateDTOs"`
			}
			require.NoError(t, json.Unmarshal(b.Payload, &bulk), "%s", b.Body)
			require.Len(t, bulk.Successes, 1)
			assert.Equal(t, tt.echoed, string(bulk.Successes[0].LoadAmount))
			assert.Equal(t, tt.echoed, string(bulk.Successes[0].OTBBalance))
		})
	}
}
