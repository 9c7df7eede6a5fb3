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

// TestAutoRateIsExactlyOnce runs the engine with --rate auto against
// sandboxes that throttle in different ways: every row ends MATCHED and
// the sandbox's own record holds each reference exactly once.
func TestAutoRateIsExactlyOnce(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    sandbox.Options
		cfg     engine.Config
		journal bool
		check   func(t *testing.T, env *sandboxtest.Env, eng *engine.Engine)
	}{{
		// a share of the allocations answered 429: the rate comes down
		name: "allocations throttled",
		opts: sandbox.Options{Faults: sandbox.Faults{Seed: 7, Throttle: 0.1, RetryAfter: time.Second,
			ThrottleEndpoints: sandbox.DefaultThrottleEndpoints}},
		cfg: engine.Config{Rate: 400, MaxRate: 5000, MaxAttempts: 20, BackoffBase: time.Millisecond,
			BackoffMax: 5 * time.Millisecond, NoRemoteCheck: true, FailRatio: -1},
		check: func(t *testing.T, env *sandboxtest.Env, eng *engine.Engine) {
			assert.Less(t, eng.Rate(), 400.0, "429s must bring the rate down")
			assert.Positive(t, env.Stats().Count("faults throttle"))
		},
	}, {
		// a 429 on the user search before a new reference's first send is
		// tried again instead of ending the row NOT_SENT (REMOTE_CHECK_FAILED)
		name: "search throttled",
		opts: sandbox.Options{Faults: sandbox.Faults{Seed: 3, Throttle: 0.15, RetryAfter: time.Second,
			ThrottleEndpoints: []string{sandbox.EndpointSearch}}},
		cfg:     engine.Config{Rate: 1000, LookupTries: 8},
		journal: true,
		check: func(t *testing.T, env *sandboxtest.Env, _ *engine.Engine) {
			assert.Positive(t, env.Stats().Count("faults throttle"), "the sandbox must have throttled searches")
		},
	}, {
		// the server's own request limit, over every endpoint
		name:    "server limit",
		opts:    sandbox.Options{ServerRate: 300},
		cfg:     engine.Config{Rate: 1000, LookupTries: 8, MaxAttempts: 20},
		journal: true,
		check: func(t *testing.T, env *sandboxtest.Env, _ *engine.Engine) {
			assert.Positive(t, env.Stats().Count("throttled 429"), "the server's limit must have been met")
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			const rows = 60
			tc.opts.Balance, tc.opts.Cards = money.FromHundredths(1e13), sandbox.DemoCards()
			env := sandboxtest.Start(t, tc.opts)
			tc.cfg.Workers, tc.cfg.Adaptive = 16, true // (a 1 s Retry-After pauses only the throttled row)
			var j engine.Journal
			if tc.journal {
				j = enginetest.NewJournal()
			}
			eng := engine.New(tc.cfg, env.Client(t, nil), j, zaptest.NewLogger(t))
			statuses := map[reward.Status]int{}
			rep, err := eng.Run(context.Background(), enginetest.Source(enginetest.Items(t, rows)), func(o *reward.Outcome) error {
				statuses[o.Status]++
				if o.Status != reward.StatusMatched {
					t.Logf("line %d: %s %s", o.Item.Line, o.ErrorCode, o.ErrorMessage)
				}
				return nil
			})
			require.NoError(t, err)
			require.NoError(t, rep.Fatal)
			assert.Equal(t, map[reward.Status]int{reward.StatusMatched: rows}, statuses)
			seen := map[string]int{}
			for _, tx := range env.Transactions() {
				seen[tx.PGReferenceNumber]++
			}
			assert.Len(t, seen, rows)
			for ref, n := range seen {
				assert.Equal(t, 1, n, "reference %s credited %d times", ref, n)
			}
			tc.check(t, env, eng)
		})
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
