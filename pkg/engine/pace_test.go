package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// TestAdaptiveRateUnderThrottling runs the engine with --rate auto against
// a sandbox that answers a share of the allocations 429: the rate comes
// down from where it started, and every row is still credited exactly once.
func TestAdaptiveRateUnderThrottling(t *testing.T) {
	const rows = 120
	its := enginetest.Items(t, rows)
	env := sandboxtest.Start(t, sandbox.Options{Balance: money.FromHundredths(1e13), Cards: sandbox.DemoCards(),
		Faults: sandbox.Faults{Seed: 7, Throttle: 0.1, RetryAfter: time.Second, ThrottleEndpoints: sandbox.DefaultThrottleEndpoints}})
	client := env.Client(t, nil)
	const start = 400.0
	eng := engine.New(engine.Config{Workers: 16, Rate: start, Adaptive: true, MaxRate: 5000, MaxAttempts: 20,
		BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, NoRemoteCheck: true, FailRatio: -1}, client, nil, nil)
	statuses := map[reward.Status]int{}
	rep, err := eng.Run(context.Background(), enginetest.Source(its), func(o *reward.Outcome) error {
		statuses[o.Status]++
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, rep.Fatal)
	assert.Equal(t, map[reward.Status]int{reward.StatusMatched: rows}, statuses)
	assert.Less(t, eng.Rate(), start, "429s must bring the rate down")
	assert.Positive(t, env.Stats().Count("faults throttle"), "the sandbox must have throttled")
	seen := map[string]int{}
	for _, tx := range env.Transactions() {
		seen[tx.PGReferenceNumber]++
	}
	assert.Len(t, seen, rows)
	for ref, n := range seen {
		assert.Equal(t, 1, n, "reference %s credited %d times", ref, n)
	}
}

// TestLoadSignals: how each kind of answer is read as server load.
func TestLoadSignals(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"success", nil, "ok"},
		{"429", &enkash.NotAppliedError{Endpoint: "allocate", HTTPStatus: 429}, "throttled"},
		{"connection refused", &enkash.NotAppliedError{Endpoint: "allocate", Err: errors.New("refused")}, "overloaded"},
		{"gateway 503", &enkash.AmbiguousError{Endpoint: "allocate", HTTPStatus: 503}, "overloaded"},
		{"refusal", &enkash.RejectedError{HTTPStatus: 200, Code: 1, Message: "bad"}, "ok"},
		{"failed login", &enkash.LoginError{Err: errors.New("503")}, "none"},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, engine.LoadSignalName(tc.err))
		})
	}
}

// TestThrottledSearchIsRetried: a 429 on the user search that comes before
// a new reference's first send is tried again, so that a rate-limited
// server does not turn rows into NOT_SENT (REMOTE_CHECK_FAILED).
func TestThrottledSearchIsRetried(t *testing.T) {
	const rows = 40
	its := enginetest.Items(t, rows)
	env := sandboxtest.Start(t, sandbox.Options{Balance: money.FromHundredths(1e13), Cards: sandbox.DemoCards(),
		Faults: sandbox.Faults{Seed: 3, Throttle: 0.15, RetryAfter: time.Second, ThrottleEndpoints: []string{sandbox.EndpointSearch}}})
	// (--rate auto: a 1 s Retry-After pauses only the throttled row)
	eng := engine.New(engine.Config{Workers: 16, Rate: 1000, Adaptive: true, LookupTries: 8}, env.Client(t, nil), enginetest.NewJournal(), zaptest.NewLogger(t))
	statuses := map[reward.Status]int{}
	rep, err := eng.Run(context.Background(), enginetest.Source(its), func(o *reward.Outcome) error {
		statuses[o.Status]++
		if o.Status != reward.StatusMatched {
			t.Logf("line %d %+v: %s %s", o.Item.Line, o.Item.Allocation, o.ErrorCode, o.ErrorMessage)
		}
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, rep.Fatal)
	assert.Positive(t, env.Stats().Count("faults throttle"), "the sandbox must have throttled searches")
	assert.Equal(t, map[reward.Status]int{reward.StatusMatched: rows}, statuses)
}
