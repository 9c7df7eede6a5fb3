package sandbox_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

func TestTokenEndpointFailsMidRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		after, count int
		mode         string
		want         []int // statuses of the token calls after the first login
	}{
		{"off", 0, 0, "", []int{200, 200, 200}},
		{"503 after 2, twice", 2, 2, "", []int{200, 503, 503, 200, 200}},
		{"500 after 1, all", 1, 0, sandbox.TokenFail500, []int{500, 500, 500}},
		{"503 from the start, once", 0, 1, sandbox.TokenFail503, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := sandbox.Options{Faults: sandbox.Faults{TokenFailAfter: tt.after, TokenFailCount: tt.count, TokenFailMode: tt.mode}}
			if tt.after == 0 && tt.count > 0 {
				// The very first call fails, so startRaw's login cannot be used.
				opts.Plain = true
				s := sandbox.New(opts)
				r := &raw{t: t, srv: s, url: serve(t, s), hc: http.DefaultClient}
				assert.Equal(t, 503, r.login().Status)
				assert.Equal(t, 200, r.login().Status, "the failure lasts TokenFailCount calls")
				return
			}
			r := startRaw(t, opts)
			for i, want := range tt.want {
				a := r.login()
				assert.Equal(t, want, a.Status, "token call %d", i+2)
				if want == 503 {
					assert.Contains(t, string(a.Body), "upstream connect error")
				}
			}
			assert.Empty(t, r.srv.Stats().LockedUsers, "a failing token endpoint locks nobody out")
		})
	}
}

func TestTokenEndpointHangs(t *testing.T) {
	t.Parallel()
	r := startRaw(t, sandbox.Options{Faults: sandbox.Faults{TokenFailAfter: 1, TokenFailMode: sandbox.TokenFailHang}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url+sandbox.PathToken, strings.NewReader("grant_type=password"))
	require.NoError(t, err)
	_, err = http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the token call never answers")
	assert.Equal(t, int64(1), r.srv.Stats().Count("faults token"))
}

// TestTokensExpireAfterNCallsSinceIssue: with --expire-tokens-every 3 a
// token serves three API calls and is refused on the fourth, whoever made
// the calls; a token issued since then serves its own three, so a fresh
// login is never refused at once.
func TestTokensExpireAfterNCallsSinceIssue(t *testing.T) {
	t.Parallel()
	r := startRaw(t, sandbox.Options{Faults: sandbox.Faults{ExpireTokensEvery: 3}})
	account := map[string]string{"cardAccountId": r.srv.Options().Credentials.CardAccountID,
		"companyId": r.srv.Options().Credentials.CompanyID}
	var got []int
	for range 4 {
		got = append(got, r.post(sandbox.PathAccount, account).Status)
	}
	assert.Equal(t, []int{200, 200, 200, 401}, got)
	first := r.token
	require.Equal(t, http.StatusOK, r.login().Status)
	assert.Equal(t, 200, r.post(sandbox.PathAccount, account).Status, "a fresh token serves at once")
	r.token = first
	assert.Equal(t, 401, r.post(sandbox.PathAccount, account).Status, "an expired token stays expired")
	assert.EqualValues(t, 1, r.srv.Stats().Count("faults token-expiry"))
}
