package sandbox_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// callEach calls every endpoint once and returns each answer by name.
func (r *raw) callEach(ref string) map[string]answer {
	r.t.Helper()
	c := r.srv.Options().Credentials
	acct := map[string]any{"companyId": c.CompanyID, "cardAccountId": c.CardAccountID}
	return map[string]answer{
		sandbox.EndpointAccount:  r.post(sandbox.PathAccount, acct),
		sandbox.EndpointLookup:   r.lookup(ref, "", nil),
		sandbox.EndpointSearch:   r.search(nil),
		sandbox.EndpointAllocate: r.allocate(ref, "9876500701", "1"),
		sandbox.EndpointBulk:     r.post(sandbox.PathBulkAllocate+"?companyId="+c.CompanyID+"&cardAccountId="+c.CardAccountID, []any{}),
		sandbox.EndpointToken:    r.login(),
	}
}

func TestThrottleEndpoints(t *testing.T) {
	t.Parallel()
	all := []string{sandbox.EndpointToken, sandbox.EndpointAccount, sandbox.EndpointLookup,
		sandbox.EndpointSearch, sandbox.EndpointAllocate, sandbox.EndpointBulk}
	tests := []struct {
		name      string
		endpoints []string
		style     string
		throttled []string
	}{
		{"default", nil, "", []string{sandbox.EndpointAllocate, sandbox.EndpointBulk}},
		{"token", []string{sandbox.EndpointToken}, "", []string{sandbox.EndpointToken}},
		{"account and lookup, date", []string{sandbox.EndpointAccount, sandbox.EndpointLookup}, sandbox.RetryAfterDate,
			[]string{sandbox.EndpointAccount, sandbox.EndpointLookup}},
		{"search", []string{sandbox.EndpointSearch}, sandbox.RetryAfterSeconds, []string{sandbox.EndpointSearch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			r := startRaw(t, sandbox.Options{Now: clk.Now})
			r.srv.SetFaults(sandbox.Faults{Throttle: 1, ThrottleEndpoints: tt.endpoints, RetryAfter: 90*time.Second - time.Millisecond,
				RetryAfterStyle: tt.style})
			got := r.callEach("TH1")
			for _, ep := range all {
				a := got[ep]
				if !assert.Equal(t, slices.Contains(tt.throttled, ep), a.Status == http.StatusTooManyRequests, "%s: %d %s", ep, a.Status, a.Body) {
					continue
				}
				if a.Status != http.StatusTooManyRequests {
					continue
				}
				want := "90"
				if tt.style == sandbox.RetryAfterDate {
					want = "Thu, 26 Nov 2026 10:01:30 GMT"
				}
				assert.Equal(t, want, a.Header.Get("Retry-After"), ep)
			}
			credits := 1
			if slices.Contains(tt.throttled, sandbox.EndpointAllocate) {
				credits = 0
			}
			assert.Len(t, r.ground(), credits, "a throttled allocation credits nothing")
		})
	}
	got, err := sandbox.ParseThrottleEndpoints([]string{"token", " lookup"})
	require.NoError(t, err)
	assert.Equal(t, []string{"token", "lookup"}, got)
	_, err = sandbox.ParseThrottleEndpoints([]string{"oauth"})
	assert.Error(t, err)
}
