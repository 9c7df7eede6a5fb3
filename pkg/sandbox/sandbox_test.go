package sandbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func amt(t testing.TB, s string) money.Amount {
	t.Helper()
	a, err := money.Parse(s)
	require.NoError(t, err)
	return a
}

func person(t testing.TB, ref, mobile, points string) reward.Allocation {
	return reward.Allocation{Operation: reward.OpAllocate, Reference: ref, FirstName: "Priya", Title: "Ms", Gender: "F",
		Email: "priya." + mobile + "@example.com", Mobile: mobile, Amount: amt(t, points)}
}

func TestDuplicatePolicies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy  sandbox.DuplicatePolicy
		second  enkash.Safety
		applied int
		otb     string
	}{
		{sandbox.DuplicateReject, enkash.SafetyDuplicate, 1, "100"},
		{sandbox.DuplicateReplay, enkash.SafetyNone, 1, "100"},
		{sandbox.DuplicateApplyAgain, enkash.SafetyNone, 2, "200"},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			t.Parallel()
			env := sandboxtest.Start(t, sandbox.Options{Duplicates: tt.policy})
			c := env.Client(t, nil)
			ctx := context.Background()
			first, err := c.Allocate(ctx, person(t, "DUP1", "9876500001", "100"))
			require.NoError(t, err)
			second, err := c.Allocate(ctx, person(t, "DUP1", "9876500001", "100"))
			assert.Equal(t, tt.second, enkash.Classify(err), "%v", err)
			if err != nil {
				assert.Contains(t, err.Error(), "Duplicate reference number")
			} else if tt.policy == sandbox.DuplicateReplay {
				assert.Equal(t, first.EnkashCardTxnID, second.EnkashCardTxnID, "a replay returns the original result")
			}
			txns := env.Transactions()
			assert.Len(t, txns, tt.applied)
			users, err := c.SearchUsers(ctx, first.EnKashCardID)
			require.NoError(t, err)
			require.Len(t, users, 1)
			assert.Equal(t, tt.otb, users[0].OTBBalance.String())
		})
	}
}

func TestBalancesAndRefusals(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{Balance: amt(t, "1000")})
	c := env.Client(t, nil)
	ctx := context.Background()

	res, err := c.Allocate(ctx, person(t, "B1", "9876500002", "600"))
	require.NoError(t, err)
	card := res.EnKashCardID

	top := reward.Allocation{Operation: reward.OpTopUp, Reference: "B2", EnkashCardID: card, Amount: amt(t, "300.25")}
	res, err = c.Allocate(ctx, top)
	require.NoError(t, err)
	assert.Equal(t, "900.25", res.OTBBalance.String())

	acc, err := c.Account(ctx)
	require.NoError(t, err, "cardAccount/get answers with response_code, and the client reads it")
	bal, err := acc.Balance()
	require.NoError(t, err)
	assert.Equal(t, "99.75", bal.String())

	debit := reward.Allocation{Operation: reward.OpDebit, Reference: "B3", EnkashCardID: card, Amount: amt(t, "0.25")}
	res, err = c.Allocate(ctx, debit)
	require.NoError(t, err)
	assert.Equal(t, "900.00", res.OTBBalance.String())

	refusals := []struct {
		name string
		a    reward.Allocation
		msg  string
	}{
		{"account short", person(t, "R1", "9876500003", "500"), "Insufficient balance in card account"},
		{"card short", reward.Allocation{Operation: reward.OpDebit, Reference: "R2", EnkashCardID: card, Amount: amt(t, "5000")}, "Insufficient balance in reward card"},
		{"unknown card", reward.Allocation{Operation: reward.OpTopUp, Reference: "R3", EnkashCardID: "EKCNOPE", Amount: amt(t, "1")}, "Card not found"},
		{"zero", reward.Allocation{Operation: reward.OpTopUp, Reference: "R4", EnkashCardID: card}, "loadAmount must be greater than 0"},
		{"email", func() reward.Allocation { a := person(t, "R5", "9876500005", "1"); a.Email = "x@"; return a }(), "Invalid email"},
		{"mobile", person(t, "R6", "98765", "1"), "Invalid mobile number"},
		{"title", func() reward.Allocation { a := person(t, "R7", "9876500007", "1"); a.Title = "Dr"; return a }(), "Invalid title"},
		{"gender", func() reward.Allocation { a := person(t, "R8", "9876500008", "1"); a.Gender = "X"; return a }(), "Invalid gender"},
		{"mismatched email on top-up", reward.Allocation{Operation: reward.OpTopUp, Reference: "R9", EnkashCardID: card, Email: "other@example.com", Amount: amt(t, "1")}, "does not match the card"},
	}
	for _, r := range refusals {
		_, err := c.Allocate(ctx, r.a)
		var rej *enkash.RejectedError
		if assert.ErrorAs(t, err, &rej, r.name) {
			assert.Equal(t, 200, rej.HTTPStatus, "failures answer HTTP 200 with code 1")
			assert.Equal(t, 1, rej.Code)
			assert.Contains(t, rej.Message, r.msg, r.name)
		}
	}
	assert.Len(t, env.Transactions(), 3, "no refusal moved points")
}

func TestLookupByReference(t *testing.T) {
	t.Parallel()
	for _, needsCard := range []bool{false, true} {
		env := sandboxtest.Start(t, sandbox.Options{LookupNeedsCard: needsCard})
		c := env.Client(t, nil)
		ctx := context.Background()
		res, err := c.Allocate(ctx, person(t, "L1", "9876500011", "10"))
		require.NoError(t, err)

		lk, err := c.FindTransactions(ctx, "L1", res.EnKashCardID)
		txns := lk.Transactions
		require.NoError(t, err)
		require.Len(t, txns, 1)
		assert.Equal(t, res.EnkashCardTxnID, txns[0].EnKashTransactionID)
		assert.Equal(t, "10", txns[0].Amount.String())

		lk, err = c.FindTransactions(ctx, "L1", "")
		txns = lk.Transactions
		if needsCard {
			assert.Equal(t, enkash.SafetyRejected, enkash.Classify(err), "a lookup without the card is refused")
		} else {
			require.NoError(t, err)
			assert.Len(t, txns, 1)
		}
		lk, err = c.FindTransactions(ctx, "NEVER-SENT", res.EnKashCardID)
		txns = lk.Transactions
		require.NoError(t, err)
		assert.Empty(t, txns, "absence is an empty list with code 0")
	}
}

func TestReferenceSpellingTheServerIgnores(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{ReferenceField: sandbox.RefNum})
	res, err := env.Client(t, nil).Allocate(context.Background(), person(t, "SP1", "9876500021", "5"))
	require.NoError(t, err)
	assert.Empty(t, res.PGReferenceNumber, "a server binding the other spelling echoes no reference")

	both := env.Client(t, func(c *enkash.Config) { c.ReferenceField = enkash.RefBoth })
	res, err = both.Allocate(context.Background(), person(t, "SP2", "9876500022", "5"))
	require.NoError(t, err)
	assert.Equal(t, "SP2", res.PGReferenceNumber)
}

func TestEncryptionIsRequired(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{})
	plain := env.Client(t, func(c *enkash.Config) { c.Encrypt = false })
	_, err := plain.Account(context.Background())
	var rej *enkash.RejectedError
	require.ErrorAs(t, err, &rej)
	assert.Equal(t, 422, rej.HTTPStatus)
	assert.Contains(t, rej.Message, "Invalid encrypted request")
}

func TestBulkAllocate(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{})
	c := env.Client(t, nil)
	ctx := context.Background()
	_, err := c.Allocate(ctx, person(t, "BK0", "9876500030", "1"))
	require.NoError(t, err)
	items := []enkash.BulkItem{
		{Title: "Mr", Name: "Rohan Mehta", Email: "rohan@example.com", Mobile: "9876500031", LoadAmount: amt(t, "100"), UniqueReferenceNumber: "BK1"},
		{Title: "Ms", Name: "Existing", Email: "priya.9876500030@example.com", Mobile: "9876500030", LoadAmount: amt(t, "5"), UniqueReferenceNumber: "BK2"},
		{Title: "Dr", Name: "Bad Title", Email: "bad@example.com", Mobile: "9876500033", LoadAmount: amt(t, "5"), UniqueReferenceNumber: "BK3"},
	}
	res, err := c.BulkAllocate(ctx, items, false)
	require.NoError(t, err)
	assert.Equal(t, 1, res.SuccessCount)
	assert.Equal(t, 2, res.FailureCount)
	assert.Equal(t, 3, res.TotalCount)
	assert.Contains(t, res.Failures[0].FailureReason, "isPointsAllocation is false")
	assert.Contains(t, string(res.Raw), "successBulkEnKashCardCreateDTOs")
}

func TestInspectionEndpoints(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{})
	_, err := env.Client(t, nil).Allocate(context.Background(), person(t, "IN1", "9876500041", "42.5"))
	require.NoError(t, err)

	resp, err := http.Get(env.URL + "/__sandbox/transactions")
	require.NoError(t, err)
	defer resp.Body.Close()
	var txns []map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&txns))
	require.Len(t, txns, 1)
	assert.Equal(t, "IN1", txns[0]["pgReferenceNumber"])
	assert.Equal(t, "CR", txns[0]["transactionType"])
	assert.Equal(t, 42.5, txns[0]["amount"])
	assert.NotEmpty(t, txns[0]["enKashCardId"])

	resp2, err := http.Get(env.URL + "/__sandbox/stats")
	require.NoError(t, err)
	defer resp2.Body.Close()
	var st sandbox.Stats
	require.NoError(t, json.NewDecoder(resp2.Body).Decode(&st))
	assert.Equal(t, sandbox.NoRealPoints, st.Note)
	assert.Equal(t, int64(1), st.Count("applied"))
	assert.Equal(t, int64(1), st.Count("logins"))
	assert.Equal(t, "9999957.50", st.AccountBalance)
}
