package enkash_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

func sentAmounts(t *testing.T, pairs ...string) map[string]money.Amount {
	t.Helper()
	m := map[string]money.Amount{}
	for i := 0; i < len(pairs); i += 2 {
		a, err := money.Parse(pairs[i+1])
		require.NoError(t, err)
		m[pairs[i]] = a
	}
	return m
}

func TestDecodeBulkSettlesByReferenceOnly(t *testing.T) {
	t.Parallel()
	sent := sentAmounts(t, "R1", "250.50", "R2", "10", "R3", "5")
	tests := []struct {
		name      string
		payload   string
		want      map[string]enkash.BulkState
		dup       string // a reference refused as a duplicate
		unmatched int
		counts    enkash.BulkCounts
	}{
		{"success and failure lists",
			`{"successBulkEnKashCardCreateDTOs":[{"uniqueReferenceNumber":"R1","loadAmount":2.505E2,"enKashCardId":"K1","enkashCardTxnId":"T1","otbBalance":"1,000.00"}],
			  "failureBulkEnKashCardCreateDTOs":[{"uniqueReferenceNumber":"R2","failureReason":"KYC is not uploaded"},{"uniqueReferenceNumber":"R3","failureReason":"Duplicate reference number"}],
			  "successCount":1,"failureCount":"2","totalCount":3.0}`,
			map[string]enkash.BulkState{"R1": enkash.BulkApplied, "R2": enkash.BulkRefused, "R3": enkash.BulkRefused}, "R3", 0, enkash.BulkCounts{1, 2, 3}},
		{"counts only", `{"successCount":3,"failureCount":0,"totalCount":3}`,
			map[string]enkash.BulkState{"R1": enkash.BulkUnsettled, "R2": enkash.BulkUnsettled, "R3": enkash.BulkUnsettled}, "", 0, enkash.BulkCounts{3, 0, 3}},
		{"null payload", `null`, map[string]enkash.BulkState{"R1": enkash.BulkUnsettled}, "", 0, enkash.BulkCounts{-1, -1, -1}},
		{"no payload", ``, map[string]enkash.BulkState{"R1": enkash.BulkUnsettled}, "", 0, enkash.BulkCounts{-1, -1, -1}},
		{"success items without the reference echo are never matched by name or e-mail",
			`{"successBulkEnKashCardCreateDTOs":[{"name":"Aarav","email":"aarav@example.com","loadAmount":250.5},{"uniqueReferenceNumber":"R2","loadAmount":10}]}`,
			map[string]enkash.BulkState{"R1": enkash.BulkUnsettled, "R2": enkash.BulkApplied, "R3": enkash.BulkUnsettled}, "", 1, enkash.BulkCounts{-1, -1, -1}},
		{"the other spelling of the reference",
			`{"successBulkEnKashCardCreateDTOs":[{"uniqueReferenceNum":"R1"},{"pgReferenceNumber":"R2"}]}`,
			map[string]enkash.BulkState{"R1": enkash.BulkApplied, "R2": enkash.BulkApplied, "R3": enkash.BulkUnsettled}, "", 0, enkash.BulkCounts{-1, -1, -1}},
		{"a reference listed twice settles nothing",
			`{"successBulkEnKashCardCreateDTOs":[{"uniqueReferenceNumber":"R1"}],"failureBulkEnKashCardCreateDTOs":[{"uniqueReferenceNumber":"R1","failureReason":"x"}]}`,
			map[string]enkash.BulkState{"R1": enkash.BulkUnsettled}, "", 0, enkash.BulkCounts{-1, -1, -1}},
		{"an applied item with another amount is left to the lookup",
			`{"successBulkEnKashCardCreateDTOs":[{"uniqueReferenceNumber":"R1","loadAmount":25.05},{"uniqueReferenceNumber":"R2","loadAmount":"ten"}]}`,
			map[string]enkash.BulkState{"R1": enkash.BulkUnsettled, "R2": enkash.BulkUnsettled}, "", 0, enkash.BulkCounts{-1, -1, -1}},
		{"differing spellings, unknown references and odd items",
			`{"successBulkEnKashCardCreateDTOs":[{"uniqueReferenceNumber":"R1","pgReferenceNumber":"R9"},{"uniqueReferenceNumber":"R7"},"junk",42],
			  "failureBulkEnKashCardCreateDTOs":{"not":"a list"}}`,
			map[string]enkash.BulkState{"R1": enkash.BulkUnsettled}, "", 4, enkash.BulkCounts{-1, -1, -1}},
		{"lists under undocumented keys settle nothing: their rows are looked up",
			`{"success":[{"uniqueReferenceNumber":"R1"}],"failed":[{"uniqueReferenceNumber":"R2","reason":"x"}],"failureList":[{"uniqueReferenceNumber":"R3"}]}`,
			map[string]enkash.BulkState{"R1": enkash.BulkUnsettled, "R2": enkash.BulkUnsettled, "R3": enkash.BulkUnsettled}, "", 0, enkash.BulkCounts{-1, -1, -1}},
		{"a failure without a reason is still a refusal",
			`{"failureBulkEnKashCardCreateDTOs":[{"uniqueReferenceNumber":"R2"}]}`,
			map[string]enkash.BulkState{"R2": enkash.BulkRefused}, "", 0, enkash.BulkCounts{-1, -1, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ans := enkash.DecodeBulk(json.RawMessage(tt.payload), sent)
			assert.Equal(t, tt.counts, ans.Counts)
			assert.Equal(t, tt.unmatched, ans.Unmatched)
			for ref, st := range tt.want {
				f := ans.Finding(ref)
				require.Equal(t, st, f.State, "%s: %s", ref, f.Why)
				switch st {
				case enkash.BulkApplied:
					assert.Equal(t, ref, f.Applied.PGReferenceNumber)
				case enkash.BulkRefused:
					want := enkash.SafetyRejected
					if ref == tt.dup {
						want = enkash.SafetyDuplicate
					}
					assert.Equal(t, want, enkash.Classify(f.Err), f.Err.Error())
				default:
					assert.NotEmpty(t, f.Why)
				}
			}
		})
	}
}

func TestDecodeBulkReadsTheAppliedItem(t *testing.T) {
	t.Parallel()
	ans := enkash.DecodeBulk(json.RawMessage(`{"successBulkEnKashCardCreateDTOs":[{"uniqueReferenceNumber":"R1","loadAmount":"250.50",
		"enkashCardId":"K1","enKashTransactionId":"T9","cardBalance":1.2E3,"email":"a@example.com"}]}`), sentAmounts(t, "R1", "250.5"))
	f := ans.Finding("R1")
	require.Equal(t, enkash.BulkApplied, f.State, f.Why)
	assert.Equal(t, enkash.AllocateResult{PGReferenceNumber: "R1", EnKashCardID: "K1", EnkashCardTxnID: "T9", OTBBalance: "1200",
		Email: "a@example.com"}, *f.Applied)
}

func TestAllocateBulkOnTheWire(t *testing.T) {
	t.Parallel()
	for _, encrypt := range []bool{false, true} {
		key := enkash.DeriveKey("client-secret-value")
		f := serve(t, func(w http.ResponseWriter, r *http.Request) {
			assert.Equal(t, enkash.PathBulkAllocate, r.URL.Path)
			assert.Equal(t, "C1", r.URL.Query().Get("companyId"))
			assert.Equal(t, "A1", r.URL.Query().Get("cardAccountId"))
			assert.Equal(t, "true", r.URL.Query().Get("isPointsAllocation"))
			body, _ := io.ReadAll(r.Body)
			plain, sealed, err := enkash.OpenJSON(key, body)
			assert.NoError(t, err)
			assert.Equal(t, encrypt, sealed)
			assert.JSONEq(t, `[{"title":"Mr","name":"Aarav","email":"aarav@example.com","mobile":"9876500001","loadAmount":250.50,"uniqueReferenceNumber":"B1"},
				{"title":"Mr","name":"Aarav","email":"aarav@example.com","mobile":"9876500001","loadAmount":250.50,"uniqueReferenceNumber":"B2"}]`, string(plain))
			out := []byte(`{"code":0,"message":"Success","payload":{"successBulkEnKashCardCreateDTOs":[{"uniqueReferenceNumber":"B1","loadAmount":250.5,"enKashCardId":"K1"}],
				"failureBulkEnKashCardCreateDTOs":[{"uniqueReferenceNumber":"B2","failureReason":"Bin Type is not mapped on PlanMaster"}],"successCount":1,"failureCount":1,"totalCount":2}}`)
			if encrypt {
				out = enkash.SealJSON(key, out)
			}
			_, _ = w.Write(out)
		})
		cfg := config(f.URL)
		cfg.Encrypt = encrypt
		ans, err := newClient(t, cfg).AllocateBulk(context.Background(), []reward.Allocation{allocation(t, "B1"), allocation(t, "B2")})
		require.NoError(t, err)
		assert.Equal(t, enkash.BulkApplied, ans.Finding("B1").State)
		assert.Equal(t, "K1", ans.Finding("B1").Applied.EnKashCardID)
		assert.Equal(t, enkash.BulkRefused, ans.Finding("B2").State)
		assert.Contains(t, ans.Finding("B2").Err.Error(), "Bin Type")
	}
}

func TestAllocateBulkClassifiesTheWholeCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   enkash.Safety
	}{
		{"422 refusal", 422, `{"code":1,"message":"Primary Enkash card is not present. So bulk upload cannot be done"}`, enkash.SafetyRejected},
		{"404 refusal", 404, `{"code":1,"message":"Card account not found for companyId: C1 and cardAccountId: A1"}`, enkash.SafetyRejected},
		{"429", 429, `{"message":"slow down"}`, enkash.SafetyNotApplied},
		{"502 after the back end applied", 502, `bad gateway`, enkash.SafetyAmbiguous},
		{"503", 503, `{"message":"unavailable"}`, enkash.SafetyAmbiguous},
		{"200 that is not an envelope", 200, `<html>`, enkash.SafetyAmbiguous},
		{"409 for the call", 409, `{"code":409,"message":"Batch Transaction ID already exists"}`, enkash.SafetyDuplicate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := serve(t, func(w http.ResponseWriter, _ *http.Request) { reply(w, tt.status, tt.body) })
			_, err := newClient(t, config(f.URL)).AllocateBulk(context.Background(), []reward.Allocation{allocation(t, "B1")})
			require.Error(t, err)
			assert.Equal(t, tt.want, enkash.Classify(err), err.Error())
		})
	}
}

func TestAllocateBulkSendsNothingForAForeignRow(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	f := serve(t, func(w http.ResponseWriter, _ *http.Request) { calls.Add(1); reply(w, 200, `{"code":0}`) })
	other := allocation(t, "B2")
	other.CompanyID = "C2"
	topup := allocation(t, "B3")
	topup.Operation = reward.OpTopUp
	for _, a := range []reward.Allocation{other, topup, allocation(t, "B1"), allocation(t, "")} {
		_, err := newClient(t, config(f.URL)).AllocateBulk(context.Background(), []reward.Allocation{allocation(t, "B1"), a})
		require.Error(t, err)
		assert.Equal(t, enkash.SafetyNotApplied, enkash.Classify(err))
	}
	assert.Zero(t, calls.Load())
}

func TestAllocateBulkTokenFailureIsNotApplied(t *testing.T) {
	t.Parallel()
	f := serveWithToken(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { reply(w, 503, `{"error":"down"}`) },
		func(w http.ResponseWriter, _ *http.Request) {
			t.Error("the bulk call must not be sent without a token")
		})
	cfg := config(f.URL)
	_, err := newClient(t, cfg, enkash.WithLoginRetry(enkash.LoginRetry{GiveUpAfter: 1})).AllocateBulk(context.Background(),
		[]reward.Allocation{allocation(t, "B1")})
	require.Error(t, err)
	var le *enkash.LoginError
	require.ErrorAs(t, err, &le)
}
