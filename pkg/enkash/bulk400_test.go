package enkash_test

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// TestAllocateBulkTrustsARefusalOnlyAsFarAsItsBody: a bulk call's refusal
// (HTTP 400, 404, 422, or 200 with a non-zero code) is a refusal of the
// whole call (nothing applied) only on positive evidence: EnKash's
// envelope and nothing else, non-zero codes, printable messages that name
// no sent reference and tell of no progress, and a payload that is blank
// or repeats a message. Every other refusal is ambiguous, with the answer
// its payload holds when that is an object; a refusal that is not
// EnKash's envelope is ambiguous for the whole call.
func TestAllocateBulkTrustsARefusalOnlyAsFarAsItsBody(t *testing.T) {
	t.Parallel()
	u, a, r := enkash.BulkUnsettled, enkash.BulkApplied, enkash.BulkRefused
	uuu := []enkash.BulkState{u, u, u}
	tests := []struct {
		name   string
		status int // 0: HTTP 400
		body   string
		seal   bool
		refs   []string // the references sent; nil: B1, B2, B3
		want   enkash.Safety
		rows   []enkash.BulkState // one per reference; nil: no answer comes with the error
	}{
		// Whole refusals: the call's rows may be sent again (split).
		{name: "refusal with a text payload", body: `{"code":1,"message":"Invalid request","payload":"Invalid request"}`, want: enkash.SafetyRejected},
		{name: "refusal without a payload", body: `{"code":1,"message":"Bulk upload allows at most 2 records, got 3"}`, want: enkash.SafetyRejected},
		{name: "bare refusal", body: `{"code":1,"message":"Bad Request"}`, want: enkash.SafetyRejected},
		{name: "size limit, digits in the message", body: `{"code":400,"message":"Maximum 100 records allowed in one request","payload":null}`,
			want: enkash.SafetyRejected},
		{name: "size limit in the response_ spelling", body: `{"response_code":1,"response_message":"Maximum 100 records allowed in one request"}`,
			want: enkash.SafetyRejected},
		{name: "sealed size limit", body: `{"code":400,"message":"Maximum 100 records allowed in one request","payload":null}`, seal: true,
			want: enkash.SafetyRejected},
		{name: "sealed refusal", body: `{"code":1,"message":"Invalid request","payload":"Invalid request"}`, seal: true, want: enkash.SafetyRejected},
		{name: "empty object and list payloads", body: `{"code":1,"message":"Bad Request","payload":{ }}`, want: enkash.SafetyRejected},
		{name: "an empty list payload", body: `{"code":1,"response_message":"Bad Request","payload":[]}`, want: enkash.SafetyRejected},
		{name: "duplicate refusal, no item", body: `{"code":1,"message":"Duplicate uniqueReferenceNumber"}`, want: enkash.SafetyDuplicate},
		{name: "the sandbox's echo of the size limit", body: `{"code":1,"message":"Bulk upload allows at most 2 records, got 3",
			"payload":"Bulk upload allows at most 2 records, got 3"}`, want: enkash.SafetyRejected},
		{name: "a documented 422", status: 422, body: `{"code":1,"message":"Primary Enkash card is not present. So bulk upload cannot be done"}`,
			want: enkash.SafetyRejected},
		{name: "the documented KYC 422", status: 422, body: `{"code":422,"message":"KYC is not uploaded or under review for the primary card. ` +
			`So bulk upload cannot be done"}`, want: enkash.SafetyRejected},
		{name: "422 for the account", status: 422, body: `{"code":422,"message":"Card Account does not exist for this partner",
			"payload":"Card Account does not exist for this partner"}`, want: enkash.SafetyRejected},
		{name: "404 for the account", status: 404, body: `{"code":1,"message":"Card account not found for companyId: C1 and cardAccountId: A1"}`,
			want: enkash.SafetyRejected},
		{name: "200 with a code and an undocumented refusal: looked up, never FAILED", status: 200, body: `{"code":1,"message":"Bad Request","payload":null}`, want: enkash.SafetyAmbiguous},
		// review 4: a refusal that ends every row FAILED must be a documented one
		{name: "422 out of balance part way", status: 422, body: `{"code":1,"message":"Insufficient balance in card account"}`, want: enkash.SafetyAmbiguous},
		{name: "422 documented", status: 422, body: `{"code":1,"message":"Bin Type is not mapped on PlanMaster","payload":"Bin Type is not mapped on PlanMaster"}`, want: enkash.SafetyRejected},
		{name: "404 documented, with the ids", status: 404, body: `{"code":1,"message":"Card account not found for companyId: C1 and cardAccountId: A1"}`, want: enkash.SafetyRejected},
		{name: "422 paid in words", status: 422, body: `{"code":1,"message":"2 paid, 1 rejected"}`, want: enkash.SafetyAmbiguous},
		// review 4: a 400 (split and sent again) naming a row or telling of progress in other words
		{name: "400 names a row by its place", body: `{"code":1,"message":"Row 3 failed validation"}`, want: enkash.SafetyAmbiguous},
		{name: "400 names an index", body: `{"code":1,"message":"Error at index 2"}`, want: enkash.SafetyAmbiguous},
		{name: "400 names a mobile", body: `{"code":1,"message":"Mobile 9876500001 already has a card"}`, want: enkash.SafetyAmbiguous},
		{name: "400 names an e-mail", body: `{"code":1,"message":"asha@example.com is invalid"}`, want: enkash.SafetyAmbiguous},
		{name: "400 says ok", body: `{"code":1,"message":"2 of 3 records ok, 1 failed"}`, want: enkash.SafetyAmbiguous},
		{name: "400 says done", body: `{"code":1,"message":"Bulk upload done for 2 records; 1 failed"}`, want: enkash.SafetyAmbiguous},
		{name: "400 says posted", body: `{"code":1,"message":"Points posted for 2 employees, 1 invalid"}`, want: enkash.SafetyAmbiguous},
		{name: "400 says transferred", body: `{"code":1,"message":"Rewards transferred to 2 users"}`, want: enkash.SafetyAmbiguous},
		{name: "400 says issued", body: `{"code":1,"message":"Cards issued for 2 users"}`, want: enkash.SafetyAmbiguous},
		{name: "400 says topped up", body: `{"code":1,"message":"Wallets topped up for 2 users"}`, want: enkash.SafetyAmbiguous},
		{name: "400 says finished", body: `{"code":1,"message":"rows 1-2 finished"}`, want: enkash.SafetyAmbiguous},
		{name: "400 says funded", body: `{"code":1,"message":"others funded"}`, want: enkash.SafetyAmbiguous},
		{name: "400 with an empty message", body: `{"code":1,"message":""}`, want: enkash.SafetyAmbiguous},
		{name: "400 with a code alone", body: `{"code":1}`, want: enkash.SafetyAmbiguous},
		// Answers that settle some rows.
		{name: "success list", body: `{"code":1,"message":"Invalid request: B3 failed validation","payload":{"successBulkEnKashCardCreateDTOs":[
			{"uniqueReferenceNumber":"B1","loadAmount":250.5}],"successCount":1,"failureCount":0,"totalCount":3}}`,
			want: enkash.SafetyAmbiguous, rows: []enkash.BulkState{a, u, u}},
		{name: "sealed success list", body: `{"code":1,"message":"x","payload":{"successBulkEnKashCardCreateDTOs":[{"uniqueReferenceNumber":"B2"}]}}`,
			seal: true, want: enkash.SafetyAmbiguous, rows: []enkash.BulkState{u, a, u}},
		{name: "failure list", body: `{"code":1,"message":"x","payload":{"failureBulkEnKashCardCreateDTOs":[{"uniqueReferenceNumber":"B2",
			"failureReason":"KYC"}]}}`, want: enkash.SafetyAmbiguous, rows: []enkash.BulkState{u, r, u}},
		{name: "200, code 1, a success list", status: 200, body: `{"code":1,"message":"Bad Request","payload":{"successBulkEnKashCardCreateDTOs":[
			{"uniqueReferenceNumber":"B1"},{"uniqueReferenceNumber":"B2"}]}}`, want: enkash.SafetyAmbiguous, rows: []enkash.BulkState{a, a, u}},
		{name: "422 with a success list", status: 422, body: `{"code":1,"message":"Card Account does not exist for this partner",
			"payload":{"successBulkEnKashCardCreateDTOs":[{"uniqueReferenceNumber":"B3"}]}}`, want: enkash.SafetyAmbiguous,
			rows: []enkash.BulkState{u, u, a}},
		{name: "404 with a success list", status: 404, body: `{"code":1,"message":"Not Found","payload":{"successBulkEnKashCardCreateDTOs":[
			{"uniqueReferenceNumber":"B2"}]}}`, want: enkash.SafetyAmbiguous, rows: []enkash.BulkState{u, a, u}},
		// Not proof that nothing was applied: no row is sent again.
		{name: "empty lists and zero counts", body: `{"code":1,"message":"Invalid request","payload":{"successBulkEnKashCardCreateDTOs":[],
			"failureBulkEnKashCardCreateDTOs":[],"successCount":0,"failureCount":0,"totalCount":0}}`, want: enkash.SafetyAmbiguous, rows: uuu},
		{name: "the account's ids in the payload", body: `{"code":1,"message":"Maximum 100 records allowed in one request",
			"payload":{"cardAccountId":"CA98765","companyId":"C1"}}`, want: enkash.SafetyAmbiguous, rows: uuu},
		{name: "a field named, no item", body: `{"code":1,"message":"x","payload":{"field":"loadAmount","failureReason":"must be positive"}}`,
			want: enkash.SafetyAmbiguous, rows: uuu},
		{name: "counters only", body: `{"code":1,"message":"x","payload":{"successCount":1,"failureCount":0,"totalCount":3}}`,
			want: enkash.SafetyAmbiguous, rows: uuu},
		{name: "a list under an unknown key", body: `{"code":1,"message":"x","payload":{"result":{"errors":[{"ref":"B2"}]}}}`,
			want: enkash.SafetyAmbiguous, rows: uuu},
		{name: "a gateway's HTML page", body: `<html><head><title>400 Bad Request</title></head><body>nginx</body></html>`, want: enkash.SafetyAmbiguous},
		{name: "a gateway's 404 page", status: 404, body: `<html><body>404 Not Found</body></html>`, want: enkash.SafetyAmbiguous},
		{name: "JSON without a code", body: `{"error":"bad request","status":400}`, want: enkash.SafetyAmbiguous},
		{name: "lists in a top-level data key", body: `{"code":1,"message":"Invalid request","payload":null,"data":{"successBulkEnKashCardCreateDTOs":[
			{"uniqueReferenceNumber":"B1"}]}}`, want: enkash.SafetyAmbiguous},
		{name: "a sealed top-level data key", body: `{"code":1,"message":"x","data":{"successCount":1}}`, seal: true, want: enkash.SafetyAmbiguous},
		{name: "payload a string holding JSON", body: `{"code":1,"message":"x","payload":"{\"successCount\":1}"}`, want: enkash.SafetyAmbiguous},
		{name: "payload text unlike the message", body: `{"code":1,"message":"Bulk upload allows at most 2 records",
			"payload":"Bulk upload allows at most 2 records, 1 taken"}`, want: enkash.SafetyAmbiguous},
		{name: "payload a number", body: `{"code":1,"message":"x","payload":0}`, want: enkash.SafetyAmbiguous},
		{name: "payload false", body: `{"code":1,"message":"x","payload":false}`, want: enkash.SafetyAmbiguous},
		{name: "code 0 with HTTP 400", body: `{"code":0,"message":"Success","payload":null}`, want: enkash.SafetyAmbiguous},
		{name: "code 0, a refusal's message", body: `{"code":0,"message":"Invalid request"}`, want: enkash.SafetyAmbiguous},
		{name: "a code as text", body: `{"code":"1","message":"Invalid request"}`, want: enkash.SafetyAmbiguous},
		{name: "code and response_code disagree", body: `{"code":1,"response_code":0,"message":"Invalid request"}`, want: enkash.SafetyAmbiguous},
		{name: "a message that is no text", body: `{"code":1,"message":null}`, want: enkash.SafetyAmbiguous},
		{name: "a key in another case", body: `{"code":1,"message":"x","Payload":{"successCount":1}}`, want: enkash.SafetyAmbiguous, rows: uuu},
		{name: "the payload twice", body: `{"code":1,"message":"x","payload":{"successCount":1},"payload":null}`, want: enkash.SafetyAmbiguous},
		// The third review's shapes.
		{name: "the items before it succeeded", body: `{"code":1,"message":"Invalid request: the items before it succeeded"}`,
			want: enkash.SafetyAmbiguous},
		{name: "allocated and failed items", body: `{"code":1,"message":"B1, B2 allocated; B3 failed"}`, want: enkash.SafetyAmbiguous},
		{name: "allocated items not sent", body: `{"code":1,"message":"2 allocated; 1 failed"}`, want: enkash.SafetyAmbiguous},
		{name: "a status PARTIALLY_COMPLETED", body: `{"code":1,"message":"x","payload":{"status":"PARTIALLY_COMPLETED"}}`,
			want: enkash.SafetyAmbiguous, rows: uuu},
		{name: "partial true", body: `{"code":1,"message":"x","payload":{"partial":true}}`, want: enkash.SafetyAmbiguous, rows: uuu},
		{name: "completed true", body: `{"code":1,"message":"x","payload":{"completed":true}}`, want: enkash.SafetyAmbiguous, rows: uuu},
		{name: "a card and a user", body: `{"code":1,"message":"x","payload":{"enKashCardId":"EKC1001","userId":"U1001"}}`,
			want: enkash.SafetyAmbiguous, rows: uuu},
		{name: "an echo counting loaded items", body: `{"code":1,"message":"2 of 3 items loaded; B3 failed",
			"payload":"2 of 3 items loaded; B3 failed"}`, want: enkash.SafetyAmbiguous},
		{name: "an echo counting loaded items, no reference", body: `{"code":1,"message":"2 of 3 items loaded",
			"payload":"2 of 3 items loaded"}`, want: enkash.SafetyAmbiguous},
		{name: "look-alike letters", body: `{"code":1,"message":"Partially \u0455uccessful"}`, want: enkash.SafetyAmbiguous},
		{name: "look-alike letters, raw", body: `{"code":1,"message":"Bad Requ\u0435st"}`, want: enkash.SafetyAmbiguous},
		{name: "a control character", body: `{"code":1,"message":"Bad\tRequest"}`, want: enkash.SafetyAmbiguous},
		{name: "one item named", body: `{"response_code":1,"response_message":"Item R-7 failed validation","payload":"Item R-7 failed validation"}`,
			refs: []string{"R-5", "R-6", "R-7"}, want: enkash.SafetyAmbiguous},
		{name: "one item named in another case", body: `{"code":1,"message":"item r-7 failed validation"}`,
			refs: []string{"R-5", "R-6", "R-7"}, want: enkash.SafetyAmbiguous},
		{name: "the sandbox's bad reference", body: `{"code":1,"message":"Invalid request: item with uniqueReferenceNumber B2 failed validation",
			"payload":"Invalid request: item with uniqueReferenceNumber B2 failed validation"}`, want: enkash.SafetyAmbiguous},
		{name: "partially successful", body: `{"code":1,"message":"Partially successful"}`, want: enkash.SafetyAmbiguous},
		{name: "items processed", body: `{"code":1,"response_message":"2 of 3 items processed"}`, want: enkash.SafetyAmbiguous},
		{name: "credits told", body: `{"code":1,"message":"some credited; others invalid"}`, want: enkash.SafetyAmbiguous},
		{name: "200, code 1, a partial message", status: 200, body: `{"code":1,"message":"Partially completed"}`, want: enkash.SafetyAmbiguous},
		{name: "items uploaded", body: `{"code":1,"message":"3 records uploaded, 2 invalid"}`, want: enkash.SafetyAmbiguous},
		{name: "the KYC refusal with more words", status: 422, body: `{"code":422,"message":"2 records loaded. KYC is not uploaded or under ` +
			`review for the primary card. So bulk upload cannot be done"}`, want: enkash.SafetyAmbiguous},
		{name: "422, items accepted", status: 422, body: `{"code":422,"message":"2 records accepted, 1 invalid"}`, want: enkash.SafetyAmbiguous},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, refs := cmp.Or(tt.status, http.StatusBadRequest), tt.refs
			if refs == nil {
				refs = []string{"B1", "B2", "B3"}
			}
			cfg := config("")
			f := serve(t, func(w http.ResponseWriter, _ *http.Request) {
				body := []byte(tt.body)
				if tt.seal {
					body = enkash.SealJSON(enkash.DeriveKey(cfg.ClientSecret), body)
				}
				reply(w, status, string(body))
			})
			cfg.BaseURL = f.URL
			allocs := make([]reward.Allocation, len(refs))
			for i, ref := range refs {
				allocs[i] = allocation(t, ref)
			}
			ans, err := newClient(t, cfg).AllocateBulk(context.Background(), allocs)
			require.Error(t, err)
			assert.Equal(t, tt.want, enkash.Classify(err), err.Error())
			if status != http.StatusOK {
				assert.Contains(t, err.Error(), fmt.Sprintf("HTTP %d", status))
			}
			if tt.rows == nil {
				assert.Nil(t, ans)
				return
			}
			require.NotNil(t, ans, "the answer comes with the error")
			for i, ref := range refs {
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
