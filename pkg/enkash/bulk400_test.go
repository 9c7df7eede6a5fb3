package enkash_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// TestAllocateBulkTrustsA400OnlyAsFarAsItsBody: a bulk call's HTTP 400 is
// a refusal of the whole call (nothing applied) only when it is EnKash's
// envelope and its payload lists and counts no item. A 400 that lists or
// counts items comes with its answer and is ambiguous for the rows it
// leaves out; a 400 that is not EnKash's envelope is ambiguous for all.
func TestAllocateBulkTrustsA400OnlyAsFarAsItsBody(t *testing.T) {
	t.Parallel()
	u, a, r := enkash.BulkUnsettled, enkash.BulkApplied, enkash.BulkRefused
	tests := []struct {
		name string
		body string
		seal bool
		want enkash.Safety
		rows []enkash.BulkState // B1, B2, B3; nil: no answer comes with the error
	}{
		{"refusal with a text payload", `{"code":1,"message":"Invalid request","payload":"Invalid request"}`, false, enkash.SafetyRejected, nil},
		{"refusal without a payload", `{"code":1,"message":"Bulk upload allows at most 2 records, got 3"}`, false, enkash.SafetyRejected, nil},
		{"refusal with empty lists and zero counts", `{"code":1,"message":"Invalid request","payload":{"successBulkEnKashCardCreateDTOs":[],
			"failureBulkEnKashCardCreateDTOs":[],"successCount":0,"failureCount":false,"totalCount":0.0,"errors":{}}}`, false, enkash.SafetyRejected, nil},
		{"bare refusal", `{"code":1,"message":"Bad Request"}`, false, enkash.SafetyRejected, nil},
		{"size limit, digits in the message", `{"code":400,"message":"Maximum 100 records allowed in one request","payload":null}`, false,
			enkash.SafetyRejected, nil},
		{"size limit in the response_ spelling", `{"response_code":1,"response_message":"Maximum 100 records allowed in one request"}`, false,
			enkash.SafetyRejected, nil},
		{"size limit echoing the account's ids", `{"code":1,"message":"Maximum 100 records allowed in one request",
			"payload":{"cardAccountId":"CA98765","companyId":"C1","accountId":98765,"request_id":7}}`, false, enkash.SafetyRejected, nil},
		{"sealed size limit", `{"code":400,"message":"Maximum 100 records allowed in one request","payload":null}`, true, enkash.SafetyRejected, nil},
		{"refusal naming a field, no item", `{"code":1,"message":"x","payload":{"field":"loadAmount","failureReason":"must be positive"}}`,
			false, enkash.SafetyRejected, nil},
		{"sealed refusal", `{"code":1,"message":"Invalid request","payload":"Invalid request"}`, true, enkash.SafetyRejected, nil},
		{"duplicate refusal, no item", `{"code":1,"message":"Duplicate uniqueReferenceNumber"}`, false, enkash.SafetyDuplicate, nil},
		{"success list", `{"code":1,"message":"Invalid request: B3 failed validation","payload":{"successBulkEnKashCardCreateDTOs":[
			{"uniqueReferenceNumber":"B1","loadAmount":250.5}],"successCount":1,"failureCount":0,"totalCount":3}}`, false,
			enkash.SafetyAmbiguous, []enkash.BulkState{a, u, u}},
		{"sealed success list", `{"code":1,"message":"x","payload":{"successBulkEnKashCardCreateDTOs":[{"uniqueReferenceNumber":"B2"}]}}`, true,
			enkash.SafetyAmbiguous, []enkash.BulkState{u, a, u}},
		{"failure list", `{"code":1,"message":"x","payload":{"failureBulkEnKashCardCreateDTOs":[{"uniqueReferenceNumber":"B2","failureReason":"KYC"}]}}`,
			false, enkash.SafetyAmbiguous, []enkash.BulkState{u, r, u}},
		{"counters only", `{"code":1,"message":"x","payload":{"successCount":1,"failureCount":0,"totalCount":3}}`, false,
			enkash.SafetyAmbiguous, []enkash.BulkState{u, u, u}},
		{"a total written as text", `{"code":1,"message":"x","payload":{"totalCount":"3"}}`, false, enkash.SafetyAmbiguous, []enkash.BulkState{u, u, u}},
		{"an unreadable counter", `{"code":1,"message":"x","payload":{"successCount":0.001}}`, false, enkash.SafetyAmbiguous, []enkash.BulkState{u, u, u}},
		{"a list under an unknown key", `{"code":1,"message":"x","payload":{"result":{"errors":[{"ref":"B2"}]}}}`, false,
			enkash.SafetyAmbiguous, []enkash.BulkState{u, u, u}},
		{"a gateway's HTML page", `<html><head><title>400 Bad Request</title></head><body>nginx</body></html>`, false, enkash.SafetyAmbiguous, nil},
		{"JSON without a code", `{"error":"bad request","status":400}`, false, enkash.SafetyAmbiguous, nil},
		// A 400 proves nothing applied only on positive evidence: every
		// body below is not that proof, so no row of it is sent again.
		{"lists in a top-level data key", `{"code":1,"message":"Invalid request","payload":null,"data":{"successBulkEnKashCardCreateDTOs":[
			{"uniqueReferenceNumber":"B1"}]}}`, false, enkash.SafetyAmbiguous, nil},
		{"lists in a top-level results key", `{"code":1,"message":"Invalid request","results":[{"ref":"B1"}]}`, false, enkash.SafetyAmbiguous, nil},
		{"a sealed top-level data key", `{"code":1,"message":"x","data":{"successCount":1}}`, true, enkash.SafetyAmbiguous, nil},
		{"payload a string holding JSON", `{"code":1,"message":"x","payload":"{\"successCount\":1}"}`, false, enkash.SafetyAmbiguous, nil},
		{"payload a string holding an empty list", `{"code":1,"message":"x","payload":"{\"successList\":[]}"}`, false, enkash.SafetyAmbiguous, nil},
		{"payload text with digits", `{"code":1,"message":"x","payload":"1 of 3"}`, false, enkash.SafetyAmbiguous, nil},
		{"counter: succeeded", `{"code":1,"message":"x","payload":{"succeeded":1}}`, false, enkash.SafetyAmbiguous, []enkash.BulkState{u, u, u}},
		{"counter: processed", `{"code":1,"message":"x","payload":{"processed":2}}`, false, enkash.SafetyAmbiguous, []enkash.BulkState{u, u, u}},
		{"counter: accepted", `{"code":1,"message":"x","payload":{"accepted":1}}`, false, enkash.SafetyAmbiguous, []enkash.BulkState{u, u, u}},
		{"counter: rejected", `{"code":1,"message":"x","payload":{"rejected":2}}`, false, enkash.SafetyAmbiguous, []enkash.BulkState{u, u, u}},
		{"counter: applied", `{"code":1,"message":"x","payload":{"applied":1}}`, false, enkash.SafetyAmbiguous, []enkash.BulkState{u, u, u}},
		{"counter: applied, true", `{"code":1,"message":"x","payload":{"applied":true}}`, false, enkash.SafetyAmbiguous, []enkash.BulkState{u, u, u}},
		{"a count that does not parse", `{"code":1,"message":"x","payload":{"successCount":"1 of 3"}}`, false, enkash.SafetyAmbiguous,
			[]enkash.BulkState{u, u, u}},
		{"a zero count written as text", `{"code":1,"message":"x","payload":{"failureCount":"0"}}`, false, enkash.SafetyAmbiguous,
			[]enkash.BulkState{u, u, u}},
		{"results keyed by reference", `{"code":1,"message":"x","payload":{"results":{"B1":{"status":"SUCCESS"}}}}`, false,
			enkash.SafetyAmbiguous, []enkash.BulkState{u, u, u}},
		{"a reference as a key, empty", `{"code":1,"message":"x","payload":{"results":{"B1":{}}}}`, false, enkash.SafetyAmbiguous,
			[]enkash.BulkState{u, u, u}},
		{"a transaction id is no request id", `{"code":1,"message":"x","payload":{"enkashCardTxnId":"T1001"}}`, false, enkash.SafetyAmbiguous,
			[]enkash.BulkState{u, u, u}},
		{"a count hidden under an id key", `{"code":1,"message":"x","payload":{"batchId":{"successCount":1}}}`, false, enkash.SafetyAmbiguous,
			[]enkash.BulkState{u, u, u}},
		{"code 0 with HTTP 400", `{"code":0,"message":"Success","payload":null}`, false, enkash.SafetyAmbiguous, nil},
		{"code 0, a refusal's message", `{"code":0,"message":"Invalid request"}`, false, enkash.SafetyAmbiguous, nil},
		{"code and response_code disagree", `{"code":1,"response_code":0,"message":"Invalid request"}`, false, enkash.SafetyAmbiguous, nil},
		{"a message telling of success", `{"code":1,"message":"Partially successful"}`, false, enkash.SafetyAmbiguous, nil},
		{"a message counting processed items", `{"code":1,"response_message":"2 of 3 items processed"}`, false, enkash.SafetyAmbiguous, nil},
		{"a message telling of credits", `{"code":1,"message":"B1 credited; B2 invalid"}`, false, enkash.SafetyAmbiguous, nil},
		{"payload text telling of success", `{"code":1,"message":"x","payload":"some items applied"}`, false, enkash.SafetyAmbiguous, nil},
		{"a key in another case", `{"code":1,"message":"x","Payload":{"successCount":1}}`, false, enkash.SafetyAmbiguous,
			[]enkash.BulkState{u, u, u}},
		{"the payload twice", `{"code":1,"message":"x","payload":{"successCount":1},"payload":null}`, false, enkash.SafetyAmbiguous, nil},
		{"the sandbox's echo of the message", `{"code":1,"message":"Bulk upload allows at most 2 records, got 3",
			"payload":"Bulk upload allows at most 2 records, got 3"}`, false, enkash.SafetyRejected, nil},
		{"an echo of response_message", `{"response_code":1,"response_message":"Item R-7 failed validation","payload":"Item R-7 failed validation"}`,
			false, enkash.SafetyRejected, nil},
		{"payload text unlike the message", `{"code":1,"message":"Bulk upload allows at most 2 records",
			"payload":"Bulk upload allows at most 2 records, 1 taken"}`, false, enkash.SafetyAmbiguous, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := config("")
			f := serve(t, func(w http.ResponseWriter, _ *http.Request) {
				body := []byte(tt.body)
				if tt.seal {
					body = enkash.SealJSON(enkash.DeriveKey(cfg.ClientSecret), body)
				}
				reply(w, http.StatusBadRequest, string(body))
			})
			cfg.BaseURL = f.URL
			ans, err := newClient(t, cfg).AllocateBulk(context.Background(),
				[]reward.Allocation{allocation(t, "B1"), allocation(t, "B2"), allocation(t, "B3")})
			require.Error(t, err)
			assert.Equal(t, tt.want, enkash.Classify(err), err.Error())
			assert.Contains(t, err.Error(), "HTTP 400")
			if tt.rows == nil {
				assert.Nil(t, ans)
				return
			}
			require.NotNil(t, ans, "the answer comes with the error")
			for i, ref := range []string{"B1", "B2", "B3"} {
				assert.Equal(t, tt.rows[i], ans.Finding(ref).State, ref)
			}
		})
	}
}

// TestBulkAllocateJudgesA400AsAllocateBulkDoes: the raw bulk call trusts
// a 400 no further than AllocateBulk does.
func TestBulkAllocateJudgesA400AsAllocateBulkDoes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       enkash.Safety
	}{
		{"a whole refusal", `{"code":1,"message":"Maximum 100 records allowed in one request","payload":null}`, enkash.SafetyRejected},
		{"lists in a top-level data key", `{"code":1,"message":"x","data":{"successCount":1}}`, enkash.SafetyAmbiguous},
		{"counters under other names", `{"code":1,"message":"x","payload":{"processed":1}}`, enkash.SafetyAmbiguous},
		{"code 0", `{"code":0,"message":"Success"}`, enkash.SafetyAmbiguous},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := serve(t, func(w http.ResponseWriter, _ *http.Request) { reply(w, http.StatusBadRequest, tt.body) })
			a := allocation(t, "B1")
			res, err := newClient(t, config(f.URL)).BulkAllocate(context.Background(),
				[]enkash.BulkItem{{Name: a.FirstName, Email: a.Email, Mobile: a.Mobile, LoadAmount: a.Amount, UniqueReferenceNumber: "B1"}}, true)
			require.Error(t, err)
			assert.Nil(t, res)
			assert.Equal(t, tt.want, enkash.Classify(err), err.Error())
			assert.Contains(t, err.Error(), "HTTP 400")
		})
	}
}

// TestA400OfASingleCallIsAPlainRefusal: only the bulk call keeps a 400's
// body; a single call's 400 is the refusal itself.
func TestA400OfASingleCallIsAPlainRefusal(t *testing.T) {
	t.Parallel()
	f := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusBadRequest, `{"code":1,"message":"Invalid request"}`)
	})
	_, err := newClient(t, config(f.URL)).Allocate(context.Background(), allocation(t, "E1"))
	assert.IsType(t, &enkash.RejectedError{}, err)
}
