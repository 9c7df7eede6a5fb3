package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// These run the bulk mode against the in-process sandbox, which answers a
// bulk call with a success list and a failure list by default; its other
// answer shapes and bulk faults are in bulk_shapes_test.go.

// bulkMode is a bulk configuration for the sandbox tests: a batch goes
// when full or at the end of the rows.
func bulkMode(cfg engine.Config, k int) engine.Config {
	cfg.Mode, cfg.BulkSize, cfg.BulkLinger = engine.ModeBulk, k, time.Hour
	return cfg
}

func bulkCalls(env *sandboxtest.Env) int64 {
	return env.Stats().Count("requests " + enkash.PathBulkAllocate)
}

func TestBulkCleanRun(t *testing.T) {
	t.Parallel()
	r := runEngine(t, 120, sandbox.Options{}, bulkMode(engine.Config{Workers: 8}, 25), nil)
	require.NoError(t, r.err)
	r.assertComplete(t)
	assert.Equal(t, map[reward.Status]int{reward.StatusMatched: 120}, r.c.statuses())
	r.assertCreditedOnce(t)
	allocs := 0
	for _, o := range r.c.out {
		assert.Equal(t, o.Item.Allocation.Reference, o.PGReferenceNumber)
		assert.Equal(t, 1, o.Attempts)
		assert.NotEmpty(t, o.EnkashCardTxnID)
		assert.NotEmpty(t, o.EnKashCardID)
		if o.Item.Allocation.Operation == reward.OpAllocate {
			allocs++
		}
	}
	assert.Equal(t, int64((allocs+24)/25), bulkCalls(r.env), "the allocations went in full batches of 25")
	assert.Equal(t, int64(120-allocs), r.env.Stats().Count("requests "+enkash.PathCreateAllocate), "top-ups and debits stayed single")
}

func TestBulkModeIsSafeAgainstTheSandbox(t *testing.T) {
	t.Parallel()
	lost := func(f sandbox.Faults) sandbox.Faults {
		f.Seed, f.ApplyThenFail, f.FirstAttemptOnly = 17, 0.3, true
		return f
	}
	tests := []struct {
		name string
		opts sandbox.Options
		edit func(*enkash.Config)
	}{
		{"502 after applying", sandbox.Options{Faults: lost(sandbox.Faults{FailMode: sandbox.Fail502})}, nil},
		{"503 after applying, lookup lag", sandbox.Options{LookupLag: 100 * time.Millisecond, Faults: lost(sandbox.Faults{FailMode: sandbox.Fail503})}, nil},
		{"dropped connection after applying", sandbox.Options{Faults: lost(sandbox.Faults{FailMode: sandbox.FailDrop})}, nil},
		{"hang after applying", sandbox.Options{Faults: lost(sandbox.Faults{FailMode: sandbox.FailHang, HangFor: time.Second})},
			func(c *enkash.Config) { c.Timeout = 200 * time.Millisecond }},
		{"lookup needs the card", sandbox.Options{LookupNeedsCard: true, NoCardAnswer: sandbox.NoCardEmpty, Faults: lost(sandbox.Faults{})}, nil},
		{"500 before applying", sandbox.Options{Faults: sandbox.Faults{Seed: 2, FailBefore: 0.3, FailBeforeStatus: 500, FirstAttemptOnly: true}}, nil},
		{"slow first apply", sandbox.Options{Faults: sandbox.Faults{Seed: 3, SlowApply: 0.3, SlowFor: 400 * time.Millisecond}},
			func(c *enkash.Config) { c.Timeout = 100 * time.Millisecond }},
		{"pending status", sandbox.Options{PendingFor: time.Hour, PendingStatus: "PROCESSING", Faults: lost(sandbox.Faults{})}, nil},
		{"429 on every endpoint", sandbox.Options{Faults: sandbox.Faults{Seed: 5, Throttle: 0.1, RetryAfter: 10 * time.Millisecond,
			ThrottleEndpoints: []string{"token", "account", "lookup", "search", "allocate", "bulk"}}}, nil},
		{"token expiry", sandbox.Options{Faults: sandbox.Faults{ExpireTokensEvery: 13}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.Cards, tt.opts.Duplicates = sandbox.DemoCards(), sandbox.DuplicateApplyAgain // a resend would credit twice
			env := sandboxtest.Start(t, tt.opts)
			its := items(t, 60)
			out, _ := runWith(t, env, its, bulkMode(engine.Config{Workers: 4, FailRatio: -1}, 8), enginetest.NewJournal(), tt.edit)
			assertSafe(t, env, its, out)
			assert.Positive(t, bulkCalls(env))
		})
	}
}

func TestBulkLostAnswersAreSettledByLookupNotResent(t *testing.T) {
	t.Parallel()
	r := runEngine(t, 60, sandbox.Options{Duplicates: sandbox.DuplicateApplyAgain,
		Faults: sandbox.Faults{Seed: 21, ApplyThenFail: 0.5, FailMode: sandbox.Fail503, FirstAttemptOnly: true}},
		bulkMode(engine.Config{Workers: 4, FailRatio: -1, SettleWindow: 3 * time.Second}, 6), func(c *enkash.Config) { c.Timeout = time.Second })
	require.NoError(t, r.err)
	r.assertComplete(t)
	assert.Equal(t, map[reward.Status]int{reward.StatusMatched: 60}, r.c.statuses())
	assert.Positive(t, r.env.Stats().Count("faults apply-then-fail"))
	assert.Positive(t, r.env.Stats().Count("requests "+enkash.PathTransactions))
	for _, o := range r.c.out {
		assert.Equal(t, 1, o.Attempts, "never resent")
	}
	r.assertCreditedOnce(t)
}

func TestBulkRefusalsPerRow(t *testing.T) {
	t.Parallel()
	// a balance that funds some rows: the rest are refused item by item
	balance, _ := money.Parse("20000")
	r := runEngine(t, 40, sandbox.Options{Balance: balance}, bulkMode(engine.Config{Workers: 1, FailRatio: -1}, 10), nil)
	require.NoError(t, r.err)
	st := r.c.statuses()
	assert.Positive(t, st[reward.StatusFailed])
	assert.Positive(t, st[reward.StatusMatched])
	for _, o := range r.c.out {
		if o.Status == reward.StatusFailed {
			assert.Equal(t, reward.CodeRejected, o.ErrorCode)
			assert.Contains(t, o.ErrorMessage, "Insufficient balance")
			assert.Equal(t, 1, o.Attempts, "a refusal is never retried")
		}
	}
	r.assertCreditedOnce(t)
}

func TestBulkDuplicateOfAnotherToolsReference(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards(), Duplicates: sandbox.DuplicateReject})
	its := items(t, 12)
	var first *reward.Item
	for _, it := range its {
		if it.Allocation.Operation == reward.OpAllocate {
			first = it
			break
		}
	}
	_, err := env.Client(t, nil).Allocate(context.Background(), first.Allocation) // another tool sends it first
	require.NoError(t, err)
	out, _ := runWith(t, env, its, bulkMode(engine.Config{Workers: 2, FailRatio: -1}, 5), nil, nil)
	require.Len(t, out, len(its))
	for ref, n := range groundTruth(t, env) {
		assert.Equal(t, 1, n, "reference %s credited %d times", ref, n)
	}
	for _, o := range out {
		if o.Item == first {
			assert.Equal(t, reward.StatusFailed, o.Status)
			assert.Equal(t, reward.CodeDuplicateRef, o.ErrorCode, o.ErrorMessage)
		} else {
			assert.Equal(t, reward.StatusMatched, o.Status, o.ErrorMessage)
		}
	}
}

func TestBulkCreditsExistingUsersToo(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards()})
	its := items(t, 12)
	var allocs []*reward.Item
	for _, it := range its {
		if it.Allocation.Operation == reward.OpAllocate {
			allocs = append(allocs, it)
		}
	}
	out, _ := runWith(t, env, allocs, bulkMode(engine.Config{Workers: 2}, 50), nil, nil)
	require.Len(t, out, len(allocs))
	again := make([]*reward.Item, len(allocs))
	for i, it := range allocs { // the same users, next month
		c := *it
		c.Allocation.Reference += "-NEXT"
		again[i] = &c
	}
	out, _ = runWith(t, env, again, bulkMode(engine.Config{Workers: 2}, 50), nil, nil)
	for _, o := range out {
		assert.Equal(t, reward.StatusMatched, o.Status, "isPointsAllocation=true credits an existing user: %s", o.ErrorMessage)
	}
	assertSafe(t, env, again, out)
}

func TestBulkWholeCallRefusalFailsEveryRow(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards()})
	its := []*reward.Item{row(2, ""), row(3, ""), row(4, "")}
	// a reward account the sandbox does not know: 404 for the whole call
	out, _ := runWith(t, env, its, bulkMode(engine.Config{Workers: 1, FailRatio: -1}, 50), nil,
		func(c *enkash.Config) { c.CardAccountID = "NOPE" })
	require.Len(t, out, 3)
	for _, o := range out {
		assert.Equal(t, reward.StatusFailed, o.Status)
		assert.Equal(t, reward.CodeRejected, o.ErrorCode)
		assert.Contains(t, o.ErrorMessage, "HTTP 404: Card account not found")
		assert.Equal(t, 1, o.Attempts)
	}
	assert.Empty(t, env.Transactions())
}

// TestBulkWithAnAdaptiveRate runs bulk calls under --rate auto against a
// sandbox that throttles a share of them: their 429s bring the rate down
// as a single call's do, the batches are sent again, and every row is
// still credited exactly once.
func TestBulkWithAnAdaptiveRate(t *testing.T) {
	t.Parallel()
	const start = 400.0
	r := runEngine(t, 120, sandbox.Options{Faults: sandbox.Faults{Seed: 7, Throttle: 0.3, RetryAfter: time.Second,
		ThrottleEndpoints: []string{sandbox.EndpointBulk}}},
		bulkMode(engine.Config{Workers: 4, Rate: start, Adaptive: true, MaxRate: 5000, MaxAttempts: 20, NoRemoteCheck: true, FailRatio: -1}, 5), nil)
	require.NoError(t, r.err)
	r.assertComplete(t)
	assert.Equal(t, map[reward.Status]int{reward.StatusMatched: 120}, r.c.statuses())
	assert.Positive(t, r.env.Stats().Count("faults throttle"), "the sandbox must have throttled bulk calls")
	r.assertCreditedOnce(t)
}

// TestBulkCallsTooLargeAreSplit runs --bulk-size 25 against a server that
// takes at most 7 rows a call (HTTP 400 above that, nothing applied): the
// refused calls are sent again in halves, later batches are cut to a size
// the server took, and every row is credited once, none FAILED.
func TestBulkCallsTooLargeAreSplit(t *testing.T) {
	t.Parallel()
	r := runEngine(t, 120, sandbox.Options{BulkMax: 7}, bulkMode(engine.Config{Workers: 1, FailRatio: -1}, 25), nil)
	require.NoError(t, r.err)
	r.assertComplete(t)
	assert.Equal(t, map[reward.Status]int{reward.StatusMatched: 120}, r.c.statuses())
	r.assertCreditedOnce(t)
	refused := r.env.Stats().Count("bulk too large")
	assert.Positive(t, refused)
	// Without learning, each of the batches of 25 would meet three 400s
	// (25, then 12 and 13); the size is learnt from the first batch, and at
	// most one more was gathered at 25 before that.
	assert.LessOrEqual(t, refused, int64(6), "later batches must be cut to the size EnKash took")
}

// TestBulkRowFailingValidationIsSentAloneNextRun runs bulk calls against
// a server that refuses with HTTP 400 every bulk call carrying one
// reference, naming it. A refusal that names a row does not prove that
// nothing of the call was applied: that call's rows are looked up, found
// absent and left UNKNOWN, never sent again in this run; every other
// batch is credited. The next run, once the lookups permit a resend,
// sends those rows singly (a row once in doubt never goes in a bulk call
// again), and the single endpoint credits each of them, the bad one too,
// exactly once.
func TestBulkRowFailingValidationIsSentAloneNextRun(t *testing.T) {
	t.Parallel()
	its := items(t, 120)
	inBulk := bulkRows(its)
	batch := map[*reward.Item]bool{}
	for _, it := range inBulk[:8] { // the first batch, with the bad row
		batch[it] = true
	}
	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards(), Duplicates: sandbox.DuplicateApplyAgain,
		Faults: sandbox.Faults{BulkBadRef: inBulk[0].Allocation.Reference}})
	j, cfg := enginetest.NewJournal(), bulkMode(engine.Config{Workers: 1, FailRatio: -1, ResendAfter: time.Millisecond}, 8)
	out, _ := runWith(t, env, its, cfg, j, nil)
	assertSafe(t, env, its, out)
	for _, o := range out {
		if batch[o.Item] {
			assert.Equal(t, reward.StatusUnknown, o.Status, "%s: %s", o.Item.Allocation.Reference, o.ErrorMessage)
			assert.Equal(t, reward.CodeAmbiguous, o.ErrorCode)
			assert.Equal(t, 1, o.Attempts, "never sent again in this run")
			continue
		}
		assert.Equal(t, reward.StatusMatched, o.Status, "%s: %s", o.Item.Allocation.Reference, o.ErrorMessage)
	}
	assert.EqualValues(t, 1, env.Stats().Count("faults bulk-bad-ref"), "the call with the bad row went once, never split")
	assert.Equal(t, int64((len(inBulk)+7)/8), bulkCalls(env))
	singles := env.Stats().Count("requests " + enkash.PathCreateAllocate)

	out, _ = runWith(t, env, its, cfg, j, nil)
	assertSafe(t, env, its, out)
	for _, o := range out {
		want := reward.StatusSkipped // settled by the first run
		if batch[o.Item] {
			want = reward.StatusMatched
		}
		assert.Equal(t, want, o.Status, "%s: %s", o.Item.Allocation.Reference, o.ErrorMessage)
	}
	assert.Equal(t, int64((len(inBulk)+7)/8), bulkCalls(env), "no bulk call in the rerun")
	assert.Equal(t, singles+8, env.Stats().Count("requests "+enkash.PathCreateAllocate), "each row in doubt sent on its own")
	credits := groundTruth(t, env)
	for _, it := range its {
		assert.Equal(t, 1, credits[it.Allocation.Reference], "%s credited once", it.Allocation.Reference)
	}
}
