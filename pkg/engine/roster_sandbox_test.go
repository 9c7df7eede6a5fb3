package engine_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// runWithLedger runs the engine over its against env, with journal j, and
// checks that every row has one outcome.
func runWithLedger(t *testing.T, env *sandboxtest.Env, cfg engine.Config, j engine.Journal, its []*reward.Item) *collector {
	t.Helper()
	c := &collector{}
	rep, err := engine.New(fast(cfg), env.Client(t, nil), j, nil).Run(context.Background(), source(its), c.sink)
	require.NoError(t, err)
	require.NoError(t, rep.Fatal)
	require.Len(t, c.out, len(its))
	return c
}

// endpointCalls are the sandbox's calls to search and transaction/all.
func endpointCalls(env *sandboxtest.Env) (search, lookup int64) {
	st := env.Stats()
	return st.Count("requests " + enkash.PathSearch), st.Count("requests " + enkash.PathTransactions)
}

func TestRosterAgainstTheSandbox(t *testing.T) {
	t.Parallel()
	const rows, cardRows = 60, 10 // 50 allocations for new persons; 10 top-ups and debits of the 40 demo cards
	tests := []struct {
		name         string
		opts         sandbox.Options
		pages        int
		first, again int64 // searches of the first run and of the run with a lost ledger
	}{
		// one page, and the empty one after it (an unpaged answer, which
		// the next page repeats, proves nothing: see enkash's TestListUsers)
		{"one page of 100: read once", sandbox.Options{PageSize: 100}, engine.RosterBudget(rows), 2, 2},
		// a listing of several pages is read twice, each time to an empty
		// page: 40 users, then 90
		{"pages of 10", sandbox.Options{PageSize: 10}, 20, 2 * (4 + 1), 2 * (9 + 1)},
		{"Spring pages of 25", sandbox.Options{PageSize: 25, PageStyle: sandbox.PageSpring}, engine.RosterBudget(rows), 2 * (2 + 1), 2 * (4 + 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.Cards = sandbox.DemoCards()
			env := sandboxtest.Start(t, tt.opts)
			its := items(t, rows)
			cfg := engine.Config{Workers: 8, RosterPages: tt.pages}

			c := runWithLedger(t, env, cfg, enginetest.NewJournal(), its)
			assert.Equal(t, map[reward.Status]int{reward.StatusMatched: rows}, c.statuses())
			search, lookup := endpointCalls(env)
			assert.Equal(t, tt.first, search, "one listing, no search per row")
			assert.Equal(t, int64(cardRows), lookup, "only the rows whose card is known are looked up")

			c = runWithLedger(t, env, cfg, enginetest.NewJournal(), its) // the ledger is lost
			for _, o := range c.out {
				assert.Equal(t, reward.StatusSkipped, o.Status, o.Item.Allocation.Reference)
				assert.Equal(t, reward.CodeAlreadyAtEnKash, o.ErrorCode)
			}
			search2, lookup2 := endpointCalls(env)
			assert.Equal(t, tt.again, search2-search)
			assert.Equal(t, int64(rows), lookup2-lookup)
			assertSandboxOnce(t, env, its)
		})
	}
}

func TestRosterTooLongAgainstTheSandbox(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{PageSize: 10, Cards: sandbox.DemoCards()})
	its := items(t, 60)
	c := runWithLedger(t, env, engine.Config{Workers: 8, RosterPages: 3}, enginetest.NewJournal(), its)
	assert.Equal(t, map[reward.Status]int{reward.StatusMatched: 60}, c.statuses())
	search, _ := endpointCalls(env)
	assert.Equal(t, int64(3+50*3), search, "three pages, then for each new person the three searches of FindCard")
	assertSandboxOnce(t, env, its)
}

func TestRosterTwoCardsForOnePerson(t *testing.T) {
	t.Parallel()
	for _, pages := range []int{0, 5} {
		env := sandboxtest.Start(t, sandbox.Options{Cards: []sandbox.Card{
			{ID: "EKA0000001", Email: "asha@example.com", Mobile: "9000000101", FirstName: "Asha"},
			{ID: "EKB0000002", Email: "ravi@example.com", Mobile: "9000000102", FirstName: "Ravi"},
		}})
		it := row(2, "")
		it.Allocation.Email, it.Allocation.Mobile = "asha@example.com", "9000000102" // Asha's e-mail, Ravi's mobile
		c := runWithLedger(t, env, engine.Config{RosterPages: pages}, enginetest.NewJournal(), []*reward.Item{it})
		o := c.out[0]
		assert.Equal(t, reward.StatusNotSent, o.Status, "pages %d", pages)
		assert.Equal(t, reward.CodeRemoteCheck, o.ErrorCode, "pages %d", pages)
		assert.Empty(t, env.Transactions(), "pages %d: nothing sent on a guess", pages)
	}
}

// assertSandboxOnce checks that the sandbox applied each reference of its
// exactly once.
func assertSandboxOnce(t *testing.T, env *sandboxtest.Env, its []*reward.Item) {
	t.Helper()
	per := map[string]int{}
	for _, tx := range env.Transactions() {
		per[tx.PGReferenceNumber]++
	}
	require.Len(t, per, len(its))
	for _, it := range its {
		assert.Equal(t, 1, per[it.Allocation.Reference], it.Allocation.Reference)
	}
}

// TestRosterAgainstBareListServers runs a file, loses the ledger, and runs
// it again against servers that answer lists as bare pages without counts,
// crediting a repeated reference again. array pages as asked and ends on
// an empty page, but without counts nothing shows that no user was
// skipped between pages; first-page answers its first page whatever is
// asked, so a listing of it would hold 10 of the 90 users and make the
// others look absent. Both listings are refused, and each row's card is
// searched for. Either way no row is credited twice.
func TestRosterAgainstBareListServers(t *testing.T) {
	t.Parallel()
	const rows = 60 // 50 new persons, 10 rows on the 40 demo cards
	tests := []struct {
		style    string
		searches int64 // of the run with the lost ledger
	}{
		// the refused listing's 9 pages and the empty one, then for each
		// allocation FindCard's search, a bare list, and the empty page after it
		{sandbox.PageArray, 10 + 50*2},
		// the refused listing's two pages, then for each allocation FindCard's
		// search, a bare list, and the page after it that repeats it
		{sandbox.PageFirst, 2 + 50*2},
	}
	for _, tt := range tests {
		t.Run(tt.style, func(t *testing.T) {
			t.Parallel()
			env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards(), PageSize: 10, PageStyle: tt.style,
				Duplicates: sandbox.DuplicateApplyAgain})
			its := items(t, rows)
			cfg := engine.Config{Workers: 8, RosterPages: engine.RosterBudget(rows)}
			c := runWithLedger(t, env, cfg, enginetest.NewJournal(), its)
			require.Equal(t, map[reward.Status]int{reward.StatusMatched: rows}, c.statuses())
			before, _ := endpointCalls(env)

			c = runWithLedger(t, env, cfg, enginetest.NewJournal(), its) // the ledger is lost
			for _, o := range c.out {
				assert.Equal(t, reward.StatusSkipped, o.Status, o.Item.Allocation.Reference)
				assert.Equal(t, reward.CodeAlreadyAtEnKash, o.ErrorCode, o.ErrorMessage)
			}
			after, _ := endpointCalls(env)
			assert.Equal(t, tt.searches, after-before)
			assertSandboxOnce(t, env, its)
		})
	}
}
