package engine_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// groundTruth reads GET /__sandbox/transactions and counts the credits
// that stand (a transaction EnKash failed and reversed does not) per
// reference.
func groundTruth(t *testing.T, env *sandboxtest.Env) map[string]int {
	t.Helper()
	resp, err := http.Get(env.URL + "/__sandbox/transactions")
	require.NoError(t, err)
	defer resp.Body.Close()
	var txns []sandbox.Transaction
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&txns))
	per := map[string]int{}
	for _, tx := range txns {
		if tx.Status != "FAILED" {
			per[tx.PGReferenceNumber]++
		}
	}
	return per
}

// assertSafe checks the three promises: every row has exactly one line,
// no reference is credited twice, and no credited row is FAILED or
// NOT_SENT.
func assertSafe(t *testing.T, env *sandboxtest.Env, its []*reward.Item, out []*reward.Outcome) {
	t.Helper()
	require.Len(t, out, len(its), "every row has a line")
	seen := map[int]bool{}
	for _, o := range out {
		require.False(t, seen[o.Seq], "row %d has two lines", o.Seq)
		seen[o.Seq] = true
	}
	per := groundTruth(t, env)
	for ref, n := range per {
		assert.LessOrEqual(t, n, 1, "reference %s credited %d times", ref, n)
	}
	for _, o := range out {
		if per[o.Item.Allocation.Reference] > 0 {
			assert.NotContains(t, []reward.Status{reward.StatusFailed, reward.StatusNotSent}, o.Status,
				"row %d is credited but %s %s: %s", o.Item.Line, o.Status, o.ErrorCode, o.ErrorMessage)
		}
	}
}

// runWith runs rows through the engine against env, with a journal.
func runWith(t *testing.T, env *sandboxtest.Env, its []*reward.Item, cfg engine.Config, j engine.Journal,
	edit func(*enkash.Config), opts ...enkash.Option) ([]*reward.Outcome, engine.Report) {
	t.Helper()
	client := env.Client(t, func(c *enkash.Config) {
		c.Timeout = 2 * time.Second
		if edit != nil {
			edit(c)
		}
	}, opts...)
	c := &collector{}
	rep, err := engine.New(fast(cfg), client, j, nil).Run(context.Background(), source(its), c.sink)
	require.NoError(t, err)
	return c.out, rep
}

func TestEveryServerBehaviourIsSafe(t *testing.T) {
	t.Parallel()
	lost := func(f sandbox.Faults) sandbox.Faults {
		f.Seed, f.ApplyThenFail, f.FirstAttemptOnly = 17, 0.3, true
		return f
	}
	tests := []struct {
		name string
		opts sandbox.Options
		cfg  engine.Config
		edit func(*enkash.Config)
	}{
		{"lookup lag", sandbox.Options{LookupLag: 100 * time.Millisecond, Faults: lost(sandbox.Faults{FailMode: sandbox.Fail503})}, engine.Config{}, nil},
		{"lookup needs the card, empty without it", sandbox.Options{LookupNeedsCard: true, NoCardAnswer: sandbox.NoCardEmpty,
			Faults: lost(sandbox.Faults{})}, engine.Config{}, nil},
		{"lookup needs the card, null without it", sandbox.Options{LookupNeedsCard: true, NoCardAnswer: sandbox.NoCardNull,
			Faults: lost(sandbox.Faults{})}, engine.Config{}, nil},
		{"503 after applying", sandbox.Options{Faults: lost(sandbox.Faults{FailMode: sandbox.Fail503})}, engine.Config{}, nil},
		{"504 after applying", sandbox.Options{Faults: lost(sandbox.Faults{FailMode: sandbox.Fail504})}, engine.Config{}, nil},
		{"slow first apply", sandbox.Options{Faults: sandbox.Faults{Seed: 3, SlowApply: 0.3, SlowFor: 400 * time.Millisecond}},
			engine.Config{}, func(c *enkash.Config) { c.Timeout = 100 * time.Millisecond }},
		{"pending status", sandbox.Options{PendingFor: time.Hour, PendingStatus: "PROCESSING", Faults: lost(sandbox.Faults{})}, engine.Config{}, nil},
		{"pending, then failed and reversed", sandbox.Options{PendingFor: 50 * time.Millisecond, PendingFail: 0.5,
			Faults: lost(sandbox.Faults{})}, engine.Config{}, nil},
		{"paged answers, records", sandbox.Options{PageSize: 1, PageStyle: sandbox.PageRecords, Faults: lost(sandbox.Faults{})}, engine.Config{}, nil},
		{"paged answers, spring", sandbox.Options{PageSize: 1, PageStyle: sandbox.PageSpring, Faults: lost(sandbox.Faults{})}, engine.Config{}, nil},
		{"429 on every endpoint, Retry-After as a date", sandbox.Options{Faults: sandbox.Faults{Seed: 5, Throttle: 0.05,
			RetryAfterStyle: sandbox.RetryAfterDate, ThrottleEndpoints: []string{"token", "account", "lookup", "search", "allocate"}}},
			engine.Config{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.Cards, tt.opts.Duplicates = sandbox.DemoCards(), sandbox.DuplicateApplyAgain // a resend would credit twice
			env := sandboxtest.Start(t, tt.opts)
			its := items(t, 40)
			cfg := tt.cfg
			cfg.Workers, cfg.FailRatio = 4, -1
			out, _ := runWith(t, env, its, cfg, enginetest.NewJournal(), tt.edit)
			assertSafe(t, env, its, out)
		})
	}
}

func TestDuplicateRefusalsAfterALostAnswer(t *testing.T) {
	t.Parallel()
	for _, answer := range []string{sandbox.DuplicateCode1, sandbox.DuplicateHTTP409} {
		t.Run(answer, func(t *testing.T) {
			t.Parallel()
			// Every answer is lost and the replica lags an hour: the run ends
			// UNKNOWN. EnKash refuses repeats, so a later run told so resends
			// at once, meets the duplicate refusal, and must not call it FAILED.
			env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards(), Duplicates: sandbox.DuplicateReject,
				DuplicateAnswer: answer, LookupLag: time.Hour, Faults: sandbox.Faults{ApplyThenFail: 1, FailMode: sandbox.Fail503}})
			its := items(t, 12)
			j := enginetest.NewJournal()
			out, _ := runWith(t, env, its, engine.Config{Workers: 4, FailRatio: -1}, j, nil)
			assertSafe(t, env, its, out)
			for _, o := range out {
				require.Equal(t, reward.StatusUnknown, o.Status, o.ErrorMessage)
			}
			env.SetFaults(sandbox.Faults{})
			out, _ = runWith(t, env, its, engine.Config{Workers: 4, FailRatio: -1, Deduplicates: true}, j, nil)
			assertSafe(t, env, its, out)
			for _, o := range out {
				assert.Equal(t, reward.StatusUnknown, o.Status, o.ErrorMessage)
				assert.Equal(t, reward.CodeDuplicateRef, o.ErrorCode, o.ErrorMessage)
				assert.Contains(t, o.ErrorMessage, "EnKash says this reference already exists")
			}
		})
	}
}

func TestTokenEndpointFailingMidRun(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{sandbox.TokenFail500, sandbox.TokenFail503} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			// Tokens expire every 15 calls and the token endpoint fails after
			// the first login: every row still gets a line, and the run stops.
			env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards(), Duplicates: sandbox.DuplicateApplyAgain,
				Faults: sandbox.Faults{ExpireTokensEvery: 15, TokenFailAfter: 1, TokenFailMode: mode}})
			its := items(t, 60)
			out, rep := runWith(t, env, its, engine.Config{Workers: 4}, enginetest.NewJournal(), nil,
				enkash.WithLoginRetry(enkash.LoginRetry{Base: 5 * time.Millisecond, Max: 20 * time.Millisecond, GiveUpAfter: 300 * time.Millisecond}))
			assertSafe(t, env, its, out)
			assert.NotEmpty(t, rep.Stopped, "the run stops")
			st := map[reward.Status]int{}
			for _, o := range out {
				st[o.Status]++
			}
			assert.Positive(t, st[reward.StatusNotSent])
		})
	}
}
