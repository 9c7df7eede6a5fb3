package sandbox_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// search calls search (Get User Details) with extra body fields.
func (r *raw) search(extra map[string]any) answer {
	r.t.Helper()
	c := r.srv.Options().Credentials
	body := map[string]any{"companyId": c.CompanyID, "cardAccountId": c.CardAccountID}
	for k, v := range extra {
		body[k] = v
	}
	return r.post(sandbox.PathSearch, body)
}

func TestLookupLag(t *testing.T) {
	t.Parallel()
	clk := newClock()
	const lag = 5 * time.Second
	r := startRaw(t, sandbox.Options{LookupLag: lag, Now: clk.Now})
	card := r.allocate("LAG1", "9876500301", "10").cardOf(t)
	require.Len(t, r.ground(), 1, "the ground truth sees the credit at once")

	steps := []struct {
		advance time.Duration
		visible bool
	}{
		{0, false},
		{lag - time.Nanosecond, false},
		{time.Nanosecond, true},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		want := 0
		if st.visible {
			want = 1
		}
		a := r.lookup("LAG1", card, nil)
		require.Equal(t, 0, a.code(), "%s", a.Body)
		assert.Len(t, a.items(t), want, "lookup after %v", st.advance)
		u := r.search(map[string]any{"mobile": "9876500301"})
		assert.Len(t, u.items(t), want, "search after %v", st.advance)
	}
}

func TestLookupWithoutCard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		answer  string
		code    int
		message string
		payload string
	}{
		{"", 1, "enKashCardId is required", `"enKashCardId is required"`},
		{sandbox.NoCardRefuse, 1, "enKashCardId is required", `"enKashCardId is required"`},
		{sandbox.NoCardEmpty, 0, "Success", `{"recordsCount":0,"data":[]}`},
		{sandbox.NoCardNull, 0, "Success", `null`},
		{sandbox.NoCardNoRecords, 1, "No records found", `"No records found"`},
	}
	for _, tt := range tests {
		t.Run("answer="+tt.answer, func(t *testing.T) {
			t.Parallel()
			r := startRaw(t, sandbox.Options{LookupNeedsCard: true, NoCardAnswer: tt.answer})
			card := r.allocate("NC1", "9876500311", "10").cardOf(t)
			a := r.lookup("NC1", "", nil)
			assert.Equal(t, 200, a.Status)
			assert.Equal(t, tt.code, a.code())
			assert.Equal(t, tt.message, a.Message)
			assert.JSONEq(t, tt.payload, string(a.Payload))
			assert.Len(t, r.lookup("NC1", card, nil).items(t), 1, "with the card the lookup finds it")
		})
	}
	_, err := sandbox.ParseNoCardAnswer("nothing")
	assert.Error(t, err)
}
