package sandbox_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// try sends req and returns the status, or the error of a call that got
// no answer.
func (r *raw) try(req *http.Request) (int, error) {
	resp, err := r.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

func TestBulkFaultsHitTheWholeCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		faults  sandbox.Faults
		status  int // 0: no answer
		applied bool
		counter string
	}{
		{"fail-before", sandbox.Faults{FailBefore: 1}, http.StatusServiceUnavailable, false, "faults fail-before"},
		{"fail-before 500", sandbox.Faults{FailBefore: 1, FailBeforeStatus: 500}, http.StatusInternalServerError, false, "faults fail-before"},
		{"throttle", sandbox.Faults{Throttle: 1}, http.StatusTooManyRequests, false, "faults throttle"},
		{"throttle on bulk only", sandbox.Faults{Throttle: 1, ThrottleEndpoints: []string{sandbox.EndpointBulk}},
			http.StatusTooManyRequests, false, "faults throttle"},
		{"apply-then-fail 502", sandbox.Faults{ApplyThenFail: 1}, http.StatusBadGateway, true, "faults apply-then-fail"},
		{"apply-then-fail 503", sandbox.Faults{ApplyThenFail: 1, FailMode: sandbox.Fail503}, http.StatusServiceUnavailable, true, "faults apply-then-fail"},
		{"apply-then-fail 504", sandbox.Faults{ApplyThenFail: 1, FailMode: sandbox.Fail504}, http.StatusGatewayTimeout, true, "faults apply-then-fail"},
		{"apply-then-fail drop", sandbox.Faults{ApplyThenFail: 1, FailMode: sandbox.FailDrop}, 0, true, "faults apply-then-fail"},
		{"apply-then-fail hang", sandbox.Faults{ApplyThenFail: 1, FailMode: sandbox.FailHang, HangFor: time.Millisecond},
			http.StatusGatewayTimeout, true, "faults apply-then-fail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := startRaw(t, sandbox.Options{Faults: tt.faults})
			status, err := r.try(r.bulkRequest(bulkItems("W", 3)))
			if tt.status == 0 {
				assert.Error(t, err, "the connection is closed without an answer")
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.status, status)
			}
			want := []string(nil)
			if tt.applied {
				want = []string{"W1", "W2", "W3"}
			}
			assert.Equal(t, want, r.groundRefs(), "all or nothing")
			assert.EqualValues(t, 1, r.srv.Stats().Count(tt.counter), "one fault per call")
		})
	}
}

func TestBulkFaultsAreDecidedPerCall(t *testing.T) {
	t.Parallel()
	r := startRaw(t, sandbox.Options{Faults: sandbox.Faults{Seed: 3, FailBefore: 0.5, ApplyThenFail: 0.3}})
	answered, lost, refused := 0, 0, 0
	for call := range 20 {
		status, err := r.try(r.bulkRequest(bulkItems(fmt.Sprintf("P%d-", call), 4)))
		require.NoError(t, err)
		switch status {
		case http.StatusOK:
			answered++
		case http.StatusBadGateway:
			lost++
		default:
			refused++
		}
	}
	assert.Positive(t, answered)
	assert.Positive(t, lost)
	assert.Positive(t, refused)
	assert.Len(t, r.ground(), 4*(answered+lost), "a call is applied whole or not at all")
}

func TestBulkSlowApplyHoldsEveryRow(t *testing.T) {
	t.Parallel()
	r := startRaw(t, sandbox.Options{Faults: sandbox.Faults{SlowApply: 1, SlowFor: 300 * time.Millisecond}})
	items := bulkItems("H", 3)
	first := make(chan answer, 1)
	go func() { first <- r.bulk(items) }()
	require.Eventually(t, func() bool { return r.srv.Stats().Count("faults slow-apply") == 1 },
		5*time.Second, time.Millisecond, "the bulk call holds its rows")
	assert.Empty(t, r.ground(), "nothing is applied while the rows are held")

	// A single call for one of the references waits for the bulk call's
	// commit, then meets the duplicate policy.
	repeat := r.allocate("H2", items[1]["mobile"].(string), "10")
	assert.Equal(t, "Duplicate reference number", repeat.Message, "%s", repeat.Body)
	assert.Equal(t, 3, (<-first).bulk(t).SuccessCount)
	assert.Equal(t, []string{"H1", "H2", "H3"}, r.groundRefs())
}

func TestBulkPendingAndLookupLag(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := startRaw(t, sandbox.Options{Now: clk.Now, LookupLag: 10 * time.Second, PendingFor: time.Minute,
		PendingStatus: sandbox.StatusProcessing})
	p := r.bulk(bulkItems("L", 1)).bulk(t)
	require.Equal(t, 1, p.SuccessCount)
	assert.Empty(t, r.lookup("L1", "", nil).items(t), "the replica lags")
	steps := []struct {
		advance time.Duration
		status  string
	}{
		{10 * time.Second, sandbox.StatusProcessing},
		{time.Minute, "SUCCESS"},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		items := r.lookup("L1", "", nil).items(t)
		require.Len(t, items, 1)
		assert.Equal(t, st.status, items[0].Status)
	}
}

func TestBulkPartial400AppliesTheItemsBeforeTheReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		html   bool
		answer string
	}{
		{"envelope with the lists", false, sandbox.BulkAnswerBoth},
		{"envelope with the counts only", false, sandbox.BulkAnswerCounts},
		{"gateway HTML", true, sandbox.BulkAnswerBoth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := startRaw(t, sandbox.Options{BulkAnswer: tt.answer, Faults: sandbox.Faults{BulkPartial400: "W3", BulkPartial400HTML: tt.html}})
			a := r.bulk(bulkItems("W", 4))
			assert.Equal(t, http.StatusBadRequest, a.Status, "%s", a.Body)
			assert.Equal(t, []string{"W1", "W2"}, r.groundRefs(), "the items before W3 are applied, W3 and after are not")
			assert.EqualValues(t, 1, r.srv.Stats().Count("faults bulk-partial-400"))
			if tt.html {
				assert.Equal(t, -1, a.code(), "not an envelope")
				assert.Contains(t, string(a.Body), "400 Bad Request")
				return
			}
			assert.Equal(t, 1, a.code())
			assert.Contains(t, a.Message, "W3 failed validation")
			var p bulkPayload
			require.NoError(t, json.Unmarshal(a.Payload, &p), "%s", a.Body)
			assert.Equal(t, [3]int{2, 0, 4}, [3]int{p.SuccessCount, p.FailureCount, p.TotalCount})
			if tt.answer == sandbox.BulkAnswerBoth {
				assert.Equal(t, []string{"W1", "W2"}, refs(p.Successes))
				assert.Empty(t, p.Failures)
			} else {
				assert.Nil(t, p.Successes)
			}
			assert.Equal(t, 2, r.bulk(bulkItems("X", 2)).bulk(t).SuccessCount, "a call without W3 is answered as usual")
		})
	}
}
