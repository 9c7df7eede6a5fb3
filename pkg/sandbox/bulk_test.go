package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// bulkItems returns n bulk items for new people, referenced prefix1 to
// prefixN.
func bulkItems(prefix string, n int) []map[string]any {
	items := make([]map[string]any, n)
	for i := range items {
		mobile := fmt.Sprintf("97%08d", i+1)
		items[i] = map[string]any{"title": "Mr", "name": "Rohan", "email": "r" + mobile + "@example.com", "mobile": mobile,
			"loadAmount": 10, "remarks": "bonus", "uniqueReferenceNumber": fmt.Sprintf("%s%d", prefix, i+1)}
	}
	return items
}

// bulkRequest builds a bulk call for existing and new users.
func (r *raw) bulkRequest(items []map[string]any) *http.Request {
	c := r.srv.Options().Credentials
	return r.request(sandbox.PathBulkAllocate+"?companyId="+c.CompanyID+"&cardAccountId="+c.CardAccountID+
		"&isPointsAllocation=true", items)
}

// bulk sends a bulk call.
func (r *raw) bulk(items []map[string]any) answer {
	r.t.Helper()
	return r.do(r.bulkRequest(items))
}

// bulkEcho is the part of a bulk answer's item the tests read.
type bulkEcho struct {
	Mobile          string  `json:"mobile"`
	Ref             *string `json:"uniqueReferenceNumber"`
	EnkashCardTxnID string  `json:"enkashCardTxnId"`
	FailureReason   string  `json:"failureReason"`
}

// bulkPayload is a bulk answer's payload: a list absent from the answer
// is nil, an empty one is not.
type bulkPayload struct {
	Successes    []bulkEcho `json:"successBulkEnKashCardCreateDTOs"`
	Failures     []bulkEcho `json:"failureBulkEnKashCardCreateDTOs"`
	SuccessCount int        `json:"successCount"`
	FailureCount int        `json:"failureCount"`
	TotalCount   int        `json:"totalCount"`
}

// bulkAnswer decodes a successful bulk answer.
func (a answer) bulk(t testing.TB) bulkPayload {
	t.Helper()
	require.Equal(t, http.StatusOK, a.Status, "%s", a.Body)
	require.Equal(t, 0, a.code(), "%s", a.Body)
	var p bulkPayload
	require.NoError(t, json.Unmarshal(a.Payload, &p), "%s", a.Body)
	return p
}

// refs returns the echoed references of items ("" when not echoed).
func refs(items []bulkEcho) []string {
	out := make([]string, len(items))
	for i, it := range items {
		if it.Ref != nil {
			out[i] = *it.Ref
		}
	}
	return out
}

// groundRefs returns the references of every credit applied.
func (r *raw) groundRefs() []string {
	r.t.Helper()
	var out []string
	for _, tx := range r.ground() {
		out = append(out, tx.PGReferenceNumber)
	}
	return out
}

func TestBulkAnswerShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		shape           string
		noEcho          bool
		successes, fail bool // which lists the answer has
	}{
		{sandbox.BulkAnswerBoth, false, true, true},
		{"", false, true, true}, // the default
		{sandbox.BulkAnswerSuccess, false, true, false},
		{sandbox.BulkAnswerCounts, false, false, false},
		{sandbox.BulkAnswerBoth, true, true, true},
		{sandbox.BulkAnswerSuccess, true, true, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/no-echo=%v", tt.shape, tt.noEcho), func(t *testing.T) {
			t.Parallel()
			r := startRaw(t, sandbox.Options{BulkAnswer: tt.shape, NoBulkEchoRef: tt.noEcho})
			items := bulkItems("S", 3)
			items[1]["email"] = "not an e-mail"
			p := r.bulk(items).bulk(t)
			assert.Equal(t, []int{2, 1, 3}, []int{p.SuccessCount, p.FailureCount, p.TotalCount}, "the counts are always there")
			assert.Equal(t, tt.successes, p.Successes != nil, "success list")
			assert.Equal(t, tt.fail, p.Failures != nil, "failure list")
			if tt.successes {
				want := []string{"S1", "S3"}
				if tt.noEcho {
					want = []string{"", ""}
				}
				assert.Equal(t, want, refs(p.Successes))
				assert.Equal(t, []string{"9700000001", "9700000003"}, []string{p.Successes[0].Mobile, p.Successes[1].Mobile},
					"an item is still matched by its mobile")
			}
			if tt.fail {
				assert.Equal(t, []string{"S2"}, refs(p.Failures), "a failure echoes its reference")
				assert.Equal(t, "Invalid email", p.Failures[0].FailureReason)
			}
			assert.Equal(t, []string{"S1", "S3"}, r.groundRefs())
		})
	}
	_, err := sandbox.ParseBulkAnswer("lists")
	assert.Error(t, err)
}

func TestBulkEmptyListsAreLists(t *testing.T) {
	t.Parallel()
	r := startRaw(t, sandbox.Options{})
	a := r.bulk([]map[string]any{})
	var p map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(a.Payload, &p), "%s", a.Body)
	assert.JSONEq(t, "[]", string(p["successBulkEnKashCardCreateDTOs"]))
	assert.JSONEq(t, "[]", string(p["failureBulkEnKashCardCreateDTOs"]))
	assert.JSONEq(t, "0", string(p["totalCount"]))
}

func TestBulkFail(t *testing.T) {
	t.Parallel()
	opts := sandbox.Options{Faults: sandbox.Faults{Seed: 4, BulkFail: 0.3, FirstAttemptOnly: true}}
	r := startRaw(t, opts)
	items := bulkItems("F", 40)
	p := r.bulk(items).bulk(t)
	require.NotEmpty(t, p.Failures)
	require.NotEmpty(t, p.Successes)
	assert.Equal(t, 40, p.SuccessCount+p.FailureCount)
	var messages []string
	for _, reason := range sandbox.BulkReasons {
		messages = append(messages, reason.Message)
	}
	for _, f := range p.Failures {
		assert.Contains(t, messages, f.FailureReason)
	}
	failed := refs(p.Failures)
	assert.ElementsMatch(t, refs(p.Successes), r.groundRefs(), "a failed item is not applied")
	assert.EqualValues(t, len(failed), r.srv.Stats().Count("faults bulk-fail"))

	// The same seed fails the same items in any order and any batch.
	again := startRaw(t, opts)
	slices.Reverse(items)
	var failedAgain []string
	for batch := range slices.Chunk(items, 7) {
		failedAgain = append(failedAgain, refs(again.bulk(batch).bulk(t).Failures)...)
	}
	assert.ElementsMatch(t, failed, failedAgain)

	// Sent again, the failed items reach the service (FirstAttemptOnly).
	var retry []map[string]any
	for _, it := range items {
		if slices.Contains(failed, it["uniqueReferenceNumber"].(string)) {
			retry = append(retry, it)
		}
	}
	p = r.bulk(retry).bulk(t)
	assert.Equal(t, len(failed), p.SuccessCount)
	assert.Len(t, r.ground(), 40)
}

func TestBulkRefuse(t *testing.T) {
	t.Parallel()
	for _, reason := range sandbox.BulkReasons {
		for _, setting := range []string{reason.Name, reason.Message} {
			t.Run(setting, func(t *testing.T) {
				t.Parallel()
				r := startRaw(t, sandbox.Options{Faults: sandbox.Faults{BulkRefuse: setting}})
				a := r.bulk(bulkItems("R", 3))
				assert.Equal(t, http.StatusUnprocessableEntity, a.Status, "%s", a.Body)
				assert.Equal(t, http.StatusUnprocessableEntity, a.code())
				assert.Equal(t, reason.Message, a.Message)
				assert.Empty(t, r.ground(), "a refused call applies nothing")
				assert.EqualValues(t, 1, r.srv.Stats().Count("faults bulk-refuse"))
				assert.Equal(t, 0, r.allocate("R9", "9876501901", "1").code(), "single calls go on")
			})
		}
	}
	msg, err := sandbox.ParseBulkRefuse("kyc")
	require.NoError(t, err)
	assert.Contains(t, msg, "KYC is not uploaded")
	_, err = sandbox.ParseBulkRefuse("Service unavailable")
	assert.ErrorContains(t, err, "no-primary-card")
}

func TestBulkMax(t *testing.T) {
	t.Parallel()
	r := startRaw(t, sandbox.Options{BulkMax: 2})
	a := r.bulk(bulkItems("M", 3))
	assert.Equal(t, http.StatusBadRequest, a.Status, "%s", a.Body)
	assert.Equal(t, 1, a.code())
	assert.Contains(t, a.Message, "at most 2")
	assert.Empty(t, r.ground(), "nothing of a too large array is applied")
	assert.EqualValues(t, 1, r.srv.Stats().Count("bulk too large"))
	assert.Equal(t, 2, r.bulk(bulkItems("M", 2)).bulk(t).SuccessCount)
}

func TestBulkRepeatedReferences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy         sandbox.DuplicatePolicy
		answer         string
		successes      int
		reason         string // of the second item
		credits        int
		sameTxnOnRetry bool
	}{
		{sandbox.DuplicateReject, "", 1, "Duplicate reference number", 1, false},
		{sandbox.DuplicateReject, sandbox.DuplicateHTTP409, 1, "Transaction ID already exists", 1, false},
		{sandbox.DuplicateReplay, "", 2, "", 1, true},
		{sandbox.DuplicateApplyAgain, "", 2, "", 2, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy)+tt.answer, func(t *testing.T) {
			t.Parallel()
			r := startRaw(t, sandbox.Options{Duplicates: tt.policy, DuplicateAnswer: tt.answer})
			items := bulkItems("D", 2)
			items[1]["uniqueReferenceNumber"] = "D1" // the same reference twice in one array
			items[1]["mobile"], items[1]["email"] = items[0]["mobile"], items[0]["email"]
			p := r.bulk(items).bulk(t)
			assert.Equal(t, tt.successes, p.SuccessCount, "%+v", p)
			if tt.reason != "" {
				require.Len(t, p.Failures, 1)
				assert.Equal(t, tt.reason, p.Failures[0].FailureReason)
			}
			if tt.sameTxnOnRetry {
				require.Len(t, p.Successes, 2)
				assert.Equal(t, p.Successes[0].EnkashCardTxnID, p.Successes[1].EnkashCardTxnID, "a replay answers the first result")
			}
			assert.Len(t, r.ground(), tt.credits)
			assert.EqualValues(t, 1, r.srv.Stats().Count("duplicates"))
		})
	}
}
