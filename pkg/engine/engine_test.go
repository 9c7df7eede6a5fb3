package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

func items(t testing.TB, n int) []*reward.Item { return enginetest.Items(t, n) }

func source(its []*reward.Item) engine.Source { return enginetest.Source(its) }

// collector is a sink that checks the input order.
type collector struct {
	mu  sync.Mutex
	out []*reward.Outcome
}

func (c *collector) sink(o *reward.Outcome) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out = append(c.out, o)
	return nil
}

func (c *collector) statuses() map[reward.Status]int {
	m := map[reward.Status]int{}
	for _, o := range c.out {
		m[o.Status]++
	}
	return m
}

func fast(cfg engine.Config) engine.Config {
	if cfg.Rate == 0 {
		cfg.Rate = 5000
	}
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = 5 * time.Millisecond
	}
	if cfg.BackoffMax == 0 {
		cfg.BackoffMax = 20 * time.Millisecond
	}
	if cfg.LookupGrace == 0 {
		cfg.LookupGrace = 5 * time.Millisecond
	}
	if cfg.SettleWindow == 0 {
		cfg.SettleWindow = 300 * time.Millisecond
	}
	return cfg
}

type run struct {
	env *sandboxtest.Env
	c   *collector
	rep engine.Report
	err error
	its []*reward.Item
}

func runEngine(t *testing.T, n int, opts sandbox.Options, cfg engine.Config, edit func(*enkash.Config)) *run {
	t.Helper()
	opts.Cards = sandbox.DemoCards()
	env := sandboxtest.Start(t, opts)
	client := env.Client(t, func(c *enkash.Config) {
		c.Timeout = 2 * time.Second
		if edit != nil {
			edit(c)
		}
	})
	r := &run{env: env, c: &collector{}, its: items(t, n)}
	r.rep, r.err = engine.New(fast(cfg), client, nil, nil).Run(context.Background(), source(r.its), r.c.sink)
	return r
}

// assertComplete checks one outcome per row. (The order, input order
// but for parked rows, is tested with the scripted fake.)
func (r *run) assertComplete(t *testing.T) {
	t.Helper()
	require.Len(t, r.c.out, len(r.its))
	bySeq := map[int]*reward.Outcome{}
	for _, o := range r.c.out {
		require.Nil(t, bySeq[o.Seq], "row %d reported twice", o.Seq)
		bySeq[o.Seq] = o
		require.Same(t, r.its[o.Seq], o.Item)
	}
}

// assertCreditedOnce checks through the sandbox that no reference was
// applied twice, and that every MATCHED row was applied once.
func (r *run) assertCreditedOnce(t *testing.T) {
	t.Helper()
	per := map[string]int{}
	for _, tx := range r.env.Transactions() {
		per[tx.PGReferenceNumber]++
	}
	for ref, n := range per {
		assert.Equal(t, 1, n, "reference %s applied %d times", ref, n)
	}
	for _, o := range r.c.out {
		if o.Status == reward.StatusMatched {
			assert.Equal(t, 1, per[o.Item.Allocation.Reference], "MATCHED row %s", o.Item.Allocation.Reference)
		}
	}
}

func TestCleanRun(t *testing.T) {
	t.Parallel()
	r := runEngine(t, 120, sandbox.Options{}, engine.Config{Workers: 8}, nil)
	require.NoError(t, r.err)
	r.assertComplete(t)
	assert.Equal(t, map[reward.Status]int{reward.StatusMatched: 120}, r.c.statuses())
	r.assertCreditedOnce(t)
	for _, o := range r.c.out {
		assert.Equal(t, o.Item.Allocation.Reference, o.PGReferenceNumber)
		assert.Equal(t, 1, o.Attempts)
		assert.NotEmpty(t, o.EnkashCardTxnID)
	}
}

func TestThrottledRequestsAreRetried(t *testing.T) {
	t.Parallel()
	// A 429 proves the request was not applied: it is sent again, once
	// the pause is over, and costs exactly one more attempt.
	r := runEngine(t, 80, sandbox.Options{Faults: sandbox.Faults{Seed: 5, Throttle: 0.3, RetryAfter: 20 * time.Millisecond, FirstAttemptOnly: true}},
		engine.Config{Workers: 8, FailRatio: -1}, nil)
	require.NoError(t, r.err)
	r.assertComplete(t)
	assert.Equal(t, map[reward.Status]int{reward.StatusMatched: 80}, r.c.statuses())
	retried := 0
	for _, o := range r.c.out {
		if o.Attempts == 2 {
			retried++
		}
	}
	assert.Equal(t, int(r.env.Stats().Count("faults throttle")), retried, "every 429 cost exactly one more attempt")
	assert.Positive(t, retried)
	r.assertCreditedOnce(t)
}

func TestFiveHundredsAreNeverResentInTheRun(t *testing.T) {
	t.Parallel()
	// A gateway's 503 may come after the request was applied: the row is
	// looked up, and without proof it ends UNKNOWN, sent once.
	r := runEngine(t, 20, sandbox.Options{Duplicates: sandbox.DuplicateApplyAgain, Faults: sandbox.Faults{FailBefore: 1}},
		engine.Config{Workers: 4, FailRatio: -1}, nil)
	require.NoError(t, r.err)
	r.assertComplete(t)
	for _, o := range r.c.out {
		assert.Equal(t, reward.StatusUnknown, o.Status)
		assert.Equal(t, reward.CodeAmbiguous, o.ErrorCode)
		assert.Equal(t, 1, o.Attempts)
	}
	assert.Empty(t, r.env.Transactions())
}

func TestRetriesExhaustedIsFailedNotUnknown(t *testing.T) {
	t.Parallel()
	r := runEngine(t, 5, sandbox.Options{Faults: sandbox.Faults{Throttle: 1, RetryAfter: 5 * time.Millisecond}},
		engine.Config{Workers: 2, MaxAttempts: 3, FailRatio: -1}, nil)
	require.NoError(t, r.err)
	for _, o := range r.c.out {
		assert.Equal(t, reward.StatusFailed, o.Status)
		assert.Equal(t, reward.CodeRetriesExhausted, o.ErrorCode)
		assert.Equal(t, 3, o.Attempts)
	}
	assert.Empty(t, r.env.Transactions())
}

func TestThrottlePausesEveryWorker(t *testing.T) {
	t.Parallel()
	retryAfter := 2 * time.Second
	r := runEngine(t, 60, sandbox.Options{Faults: sandbox.Faults{Seed: 11, Throttle: 0.05, RetryAfter: retryAfter, FirstAttemptOnly: true}},
		engine.Config{Workers: 8, FailRatio: -1}, nil)
	require.NoError(t, r.err)
	assert.Equal(t, map[reward.Status]int{reward.StatusMatched: 60}, r.c.statuses())
	var first *sandbox.Request
	reqs := r.env.Requests()
	for i := range reqs {
		if reqs[i].Status == 429 {
			first = &reqs[i]
			break
		}
	}
	require.NotNil(t, first, "the seed throttles at least one request")
	// Requests already on their way when the 429 left may still arrive
	// for a few milliseconds; after that nothing may arrive until the
	// pause is over.
	from, to := first.At.Add(250*time.Millisecond), first.At.Add(retryAfter-50*time.Millisecond)
	for _, q := range reqs {
		if q.Path == enkash.PathCreateAllocate && q.At.After(from) && q.At.Before(to) {
			t.Errorf("a request arrived %v after the 429, inside the %v pause", q.At.Sub(first.At), retryAfter)
		}
	}
	r.assertCreditedOnce(t)
}

func TestLostAnswersAreSettledByLookupNotResent(t *testing.T) {
	t.Parallel()
	for _, mode := range []sandbox.FailMode{sandbox.Fail502, sandbox.FailDrop, sandbox.FailHang} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			r := runEngine(t, 60, sandbox.Options{
				Duplicates: sandbox.DuplicateApplyAgain, // a blind resend would credit twice
				Faults:     sandbox.Faults{Seed: 21, ApplyThenFail: 0.2, FailMode: mode, FirstAttemptOnly: true},
				// generous times: a client timeout on a loaded machine is one more lost answer
			}, engine.Config{Workers: 8, FailRatio: -1, SettleWindow: 3 * time.Second}, func(c *enkash.Config) { c.Timeout = time.Second })
			require.NoError(t, r.err)
			r.assertComplete(t)
			assert.Equal(t, map[reward.Status]int{reward.StatusMatched: 60}, r.c.statuses())
			assert.Positive(t, r.env.Stats().Count("faults apply-then-fail"))
			assert.Equal(t, 60, len(r.env.Transactions()), "exactly one credit per reference")
			r.assertCreditedOnce(t)
		})
	}
}

func TestAmbiguousButAbsentIsUnknownNotResent(t *testing.T) {
	t.Parallel()
	// A 500 before applying is ambiguous to the client. Absence is not
	// proof within the run that sent it: the row ends UNKNOWN, unsent
	// again, and a later run or reconcile settles it.
	r := runEngine(t, 30, sandbox.Options{Duplicates: sandbox.DuplicateApplyAgain,
		Faults: sandbox.Faults{Seed: 2, FailBefore: 0.3, FailBeforeStatus: 500, FirstAttemptOnly: true}},
		engine.Config{Workers: 4, FailRatio: -1}, nil)
	require.NoError(t, r.err)
	st := r.c.statuses()
	assert.Positive(t, st[reward.StatusUnknown])
	assert.Equal(t, 30, st[reward.StatusMatched]+st[reward.StatusUnknown])
	for _, o := range r.c.out {
		assert.Equal(t, 1, o.Attempts, "never resent within the run")
	}
	assert.Positive(t, r.env.Stats().Count("requests "+enkash.PathTransactions))
	r.assertCreditedOnce(t)
}

func TestALookupThatNeedsTheCardFindsItThroughSearch(t *testing.T) {
	t.Parallel()
	// The lookup needs the card id, which a new allocation's row does not
	// have: the engine finds it through search by e-mail or mobile.
	r := runEngine(t, 20, sandbox.Options{LookupNeedsCard: true, Duplicates: sandbox.DuplicateApplyAgain,
		Faults: sandbox.Faults{Seed: 4, ApplyThenFail: 1, FirstAttemptOnly: true}},
		engine.Config{Workers: 4, FailRatio: -1}, nil)
	require.NoError(t, r.err)
	assert.Equal(t, map[reward.Status]int{reward.StatusMatched: 20}, r.c.statuses())
	for _, o := range r.c.out {
		assert.Equal(t, 1, o.Attempts, "never resent blindly")
	}
	assert.Positive(t, r.env.Stats().Count("requests "+enkash.PathSearch))
	r.assertCreditedOnce(t)
}

func TestTokenExpiryMidRun(t *testing.T) {
	t.Parallel()
	r := runEngine(t, 120, sandbox.Options{Faults: sandbox.Faults{ExpireTokensEvery: 40}}, engine.Config{Workers: 6}, nil)
	require.NoError(t, r.err)
	assert.Equal(t, map[reward.Status]int{reward.StatusMatched: 120}, r.c.statuses())
	assert.Greater(t, r.env.Stats().Count("logins"), int64(1))
	assert.Positive(t, r.env.Stats().Count("unauthorised"))
	r.assertCreditedOnce(t)
}

func TestInsufficientBalanceIsARefusal(t *testing.T) {
	t.Parallel()
	balance, _ := money.Parse("20000")
	r := runEngine(t, 40, sandbox.Options{Balance: balance}, engine.Config{Workers: 1, FailRatio: -1}, nil)
	require.NoError(t, r.err)
	st := r.c.statuses()
	assert.Positive(t, st[reward.StatusFailed])
	for _, o := range r.c.out {
		if o.Status == reward.StatusFailed {
			assert.Equal(t, reward.CodeRejected, o.ErrorCode)
			assert.Equal(t, "code 1: Insufficient balance in card account", o.ErrorMessage)
			assert.Equal(t, 1, o.Attempts, "a refusal is never retried")
		}
	}
	r.assertCreditedOnce(t)
}

func TestFailureThresholdStopsDispatching(t *testing.T) {
	t.Parallel()
	r := runEngine(t, 200, sandbox.Options{Faults: sandbox.Faults{FailBefore: 1}},
		engine.Config{Workers: 4, MaxAttempts: 1, FailWindow: 20, FailRatio: 0.5}, nil)
	require.NoError(t, r.err)
	r.assertComplete(t)
	assert.Contains(t, r.rep.Stopped, "of the last 20 requests failed")
	st := r.c.statuses()
	assert.Positive(t, st[reward.StatusNotSent])
	assert.Less(t, st[reward.StatusUnknown], 40, "sending stopped soon after the threshold")
	assert.Equal(t, 200, st[reward.StatusUnknown]+st[reward.StatusNotSent], "503s are ambiguous: UNKNOWN, never FAILED")
}

func TestRejectedLoginStopsTheRun(t *testing.T) {
	t.Parallel()
	r := runEngine(t, 30, sandbox.Options{}, engine.Config{Workers: 4}, func(c *enkash.Config) { c.Password = "wrong" })
	require.NoError(t, r.err)
	assert.Equal(t, map[reward.Status]int{reward.StatusNotSent: 30}, r.c.statuses())
	assert.Equal(t, "the EnKash login was refused", r.rep.Stopped)
	assert.Equal(t, int64(1), r.env.Stats().Count("login failures"), "one refused login and no more")
	for _, o := range r.c.out {
		assert.Zero(t, o.Attempts)
	}
}

func TestWorkersBoundRequestsInFlight(t *testing.T) {
	t.Parallel()
	for _, workers := range []int{1, 3, 8} {
		r := runEngine(t, 48, sandbox.Options{Faults: sandbox.Faults{Latency: 15 * time.Millisecond}}, engine.Config{Workers: workers}, nil)
		require.NoError(t, r.err)
		assert.LessOrEqual(t, r.env.Stats().MaxInFlight, int64(workers), "workers=%d", workers)
		assert.Equal(t, int64(workers), r.env.Stats().MaxInFlight, "with latency every worker is busy at some point")
		assert.LessOrEqual(t, r.rep.MaxInFlight, workers)
	}
}

func TestCancelStopsDispatchButReportsEveryRow(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards(), Faults: sandbox.Faults{Latency: 20 * time.Millisecond}})
	its := items(t, 300)
	ctx, cancel := context.WithCancel(context.Background())
	c := &collector{}
	sink := func(o *reward.Outcome) error {
		if o.Seq == 20 {
			cancel()
		}
		return c.sink(o)
	}
	rep, err := engine.New(fast(engine.Config{Workers: 4}), env.Client(t, nil), nil, nil).Run(ctx, source(its), sink)
	require.NoError(t, err)
	assert.Equal(t, "interrupted", rep.Stopped)
	require.Len(t, c.out, 300, "every row has a result")
	st := c.statuses()
	assert.Positive(t, st[reward.StatusNotSent])
	assert.Equal(t, 300, st[reward.StatusMatched]+st[reward.StatusNotSent], "requests in flight finished; nothing was cut off")
	assert.Equal(t, st[reward.StatusMatched], len(env.Transactions()))
}

func TestReorderKeepsMemoryBounded(t *testing.T) {
	t.Parallel()
	// A slow first row must not let the reader run ahead without bound.
	r := runEngine(t, 200, sandbox.Options{Faults: sandbox.Faults{Seed: 9, ApplyThenFail: 0.01, FailMode: sandbox.FailHang, FirstAttemptOnly: true}},
		engine.Config{Workers: 8, ReorderLimit: 16, FailRatio: -1}, func(c *enkash.Config) { c.Timeout = 200 * time.Millisecond })
	require.NoError(t, r.err)
	r.assertComplete(t)
	r.assertCreditedOnce(t)
}

func TestJudge(t *testing.T) {
	t.Parallel()
	amt, _ := money.Parse("100")
	ok := enkash.Transaction{PGReferenceNumber: "R", EnKashTransactionID: "T1", CardTransactionType: "CR", Amount: "100", Status: "SUCCESS"}
	failed := enkash.Transaction{PGReferenceNumber: "R", EnKashTransactionID: "T0", CardTransactionType: "CR", Amount: "100", Status: "FAILED"}
	other := ok
	other.Amount, other.EnKashTransactionID = "100.01", "T2"
	debit := ok
	debit.CardTransactionType = "DR"
	pending := ok
	pending.Status, pending.EnKashTransactionID = "PROCESSING", "T3"
	exponent := ok
	exponent.Amount = "1.0E2"
	tests := []struct {
		name   string
		txns   []enkash.Transaction
		status reward.Status
		code   string
		txn    string
	}{
		{"applied", []enkash.Transaction{ok}, reward.StatusMatched, "", "T1"},
		{"a failed try, then applied", []enkash.Transaction{failed, ok}, reward.StatusMatched, "", "T1"},
		{"recorded as failed", []enkash.Transaction{failed}, reward.StatusFailed, reward.CodeTxnFailed, "T0"},
		{"another amount", []enkash.Transaction{other}, reward.StatusMismatch, reward.CodeAmountMismatch, "T2"},
		{"another type", []enkash.Transaction{debit}, reward.StatusMismatch, reward.CodeAmountMismatch, "T1"},
		{"applied twice", []enkash.Transaction{ok, other}, reward.StatusMismatch, reward.CodeAppliedTwice, "T1"},
		{"not final yet", []enkash.Transaction{pending}, reward.StatusUnknown, reward.CodePending, "T3"},
		{"applied, and another not final", []enkash.Transaction{ok, pending}, reward.StatusUnknown, reward.CodePending, "T3"},
		{"a failed try, then one not final", []enkash.Transaction{failed, pending}, reward.StatusUnknown, reward.CodePending, "T3"},
		{"amount as Jackson prints it", []enkash.Transaction{exponent}, reward.StatusMatched, "", "T1"},
	}
	for _, tt := range tests {
		j := engine.Judge(reward.OpAllocate, amt, "R", tt.txns)
		assert.Equal(t, tt.status, j.Status, tt.name)
		assert.Equal(t, tt.code, j.Code, "%s: %s", tt.name, j.Message)
		assert.Equal(t, tt.txn, j.Receipt.EnkashCardTxnID, tt.name)
	}
}
