package engine_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// The exhaustive model test of the settlement protocol (issue 9): for one
// row, every sequence of server behaviours over up to 4 attempts, each
// lookup's answer, and a kill and rerun between any two calls, runs the
// real engine against the scripted fake, with an in-memory journal that
// keeps what the ledger keeps. None may end with two credits, a credited
// row FAILED or NOT_SENT, a MATCHED row without its credit, or a row
// without exactly one line.
//
// The sequences are explored depth first by replaying a prefix of
// choices: each call is a choice point with as many options as answers
// that differ from the engine's point of view. Symmetric cases are pruned:
// a 5xx and a timeout after the write are one ambiguous answer (applied,
// or not), a reset and a 5xx before applying are one, a failed token call
// is a refused connection that does not count as an attempt (tested on
// its own in TestOneRowAgainstScriptedAnswers), a lookup's 429 is a
// failed lookup (its pause is tested on its own), a paged answer is a
// true one (the client reads every page), and while nothing is applied a
// true, lagging or pending lookup all answer "absent".

// Bounds of the exploration.
const (
	modelSends = 4 // attempts whose answer is chosen (later ones succeed)
	modelLooks = 2 // lookups whose answer is chosen (later ones are true)
	modelKills = 1 // kills and reruns per sequence
	modelRuns  = 4 // runs per sequence, reruns included
)

var modelSendOptions = []enginetest.Send{enginetest.SendOK, enginetest.SendRefuse, enginetest.SendDuplicate, enginetest.Send429,
	enginetest.SendNoConnection, enginetest.Send5xxApplied, enginetest.SendResetNotApplied}

var (
	modelLookOptions = []enginetest.Look{enginetest.LookTrue, enginetest.LookLagging, enginetest.LookPending,
		enginetest.LookNoCard, enginetest.LookFails}
	modelLookAbsent = []enginetest.Look{enginetest.LookTrue, enginetest.LookNoCard, enginetest.LookFails}
)

// point is one choice made: which option, of how many.
type point struct{ v, n int }

// chooser replays a prefix of choices, then takes the first option, and
// records every choice point.
type chooser struct {
	prefix []int
	made   []point
}

func (c *chooser) pick(n int) int {
	v := 0
	if i := len(c.made); i < len(c.prefix) {
		v = c.prefix[i]
	}
	c.made = append(c.made, point{v, n})
	return v
}

// next returns the prefix of the next sequence in depth-first order.
func (c *chooser) next() ([]int, bool) {
	for i := len(c.made) - 1; i >= 0; i-- {
		if c.made[i].v+1 < c.made[i].n {
			p := make([]int, i+1)
			for k := range c.made[:i] {
				p[k] = c.made[k].v
			}
			p[i] = c.made[i].v + 1
			return p, true
		}
	}
	return nil, false
}

// modelScript answers by the chooser's choices, within the bounds.
type modelScript struct {
	c                   *chooser
	api                 *enginetest.API
	ref                 string
	sends, looks, kills int
	bulks               int // bulk calls answered (see bulk_model_test.go)
	log                 []string
}

func (m *modelScript) Send() enginetest.Send {
	s := enginetest.SendOK
	if m.sends < modelSends {
		s = modelSendOptions[m.c.pick(len(modelSendOptions))]
	}
	m.sends++
	m.log = append(m.log, "send:"+s.String())
	return s
}

func (m *modelScript) Look() enginetest.Look {
	l := enginetest.LookTrue
	if m.looks < modelLooks {
		opts := modelLookOptions
		if len(m.api.Credits()) == 0 {
			opts = modelLookAbsent
		}
		l = opts[m.c.pick(len(opts))]
	}
	m.looks++
	m.log = append(m.log, "look:"+l.String())
	return l
}

func (m *modelScript) KillHere() bool {
	if m.kills >= modelKills || m.c.pick(2) == 0 {
		return false
	}
	m.kills++
	m.log = append(m.log, "KILL")
	return true
}

// modelConfig is the engine's configuration in the model: the defaults,
// one worker, no rate limit, a settle window longer than the fake's lag,
// on the fake clock; dedupe says EnKash
// refuses repeated references (and the engine is told so).
func modelConfig(clock engine.Clock, dedupe bool) engine.Config {
	return engine.Config{Workers: 1, Rate: math.Inf(1), LookupTries: 2, SettleWindow: 90 * time.Second, Clock: clock, Deduplicates: dedupe}
}

// playSequence runs one sequence to its end, and returns a description
// of what broke, if anything.
func playSequence(c *chooser, it *reward.Item, bulk bool) (string, []string) {
	clock := enginetest.NewClock()
	journal := enginetest.NewJournal()
	m := &modelScript{c: c, ref: it.Allocation.Reference}
	api := enginetest.NewAPI(m, clock)
	api.Deduplicates = c.pick(2) == 1 // EnKash applies a repeat again, or refuses it
	if api.Deduplicates {
		m.log = append(m.log, "dedupe")
	}
	m.api = api
	api.OnKill(journal.Kill)
	var last *reward.Outcome
	for run := 0; run < modelRuns; run++ {
		out, problem := modelRun(api, journal, clock, it, bulk)
		if problem != "" {
			return problem, m.log
		}
		if !api.Dead() {
			last = out
			break
		}
		api.Revive()
		journal.Revive()
		if c.pick(2) == 1 { // the rerun comes at once, or later than --resend-after
			clock.Advance(engine.DefaultResendAfter + time.Minute)
			m.log = append(m.log, "WAIT")
		}
	}
	if last == nil {
		return "", m.log // killed in every run: checked by the credits below
	}
	if p := judgeModel(api, last, m.ref); p != "" || last.Status.Done() {
		return p, m.log
	}
	// One more run, much later, against a truthful server: a row left
	// UNKNOWN is settled or resent without paying twice.
	m.sends, m.looks, m.kills, m.bulks = modelSends, modelLooks, modelKills, modelBulkSends
	clock.Advance(engine.DefaultResendAfter + time.Minute)
	out, problem := modelRun(api, journal, clock, it, bulk)
	if problem == "" {
		problem = judgeModel(api, out, m.ref)
	}
	return problem, append(m.log, "LATER")
}

// modelRun runs the engine once over the row, in bulk mode when bulk.
func modelRun(api *enginetest.API, journal *enginetest.MemJournal, clock engine.Clock, it *reward.Item, bulk bool) (*reward.Outcome, string) {
	var outs []*reward.Outcome
	cfg := modelConfig(clock, api.Deduplicates)
	if bulk {
		cfg.Mode, cfg.BulkLinger = engine.ModeBulk, time.Hour
	}
	_, err := engine.New(cfg, api, journal, nil).Run(context.Background(), source([]*reward.Item{it}),
		func(o *reward.Outcome) error { outs = append(outs, o); return nil })
	if err != nil {
		return nil, "the run failed: " + err.Error()
	}
	if len(outs) != 1 {
		return nil, fmt.Sprintf("%d lines for one row", len(outs))
	}
	return outs[0], ""
}

// judgeModel checks a finished run's row against the fake's credits.
func judgeModel(api *enginetest.API, o *reward.Outcome, ref string) string {
	credits := 0
	for _, c := range api.Credits() {
		if c.Reference == ref {
			credits++
		}
	}
	switch {
	case credits > 1:
		return fmt.Sprintf("credited %d times (status %s)", credits, o.Status)
	case credits == 1 && (o.Status == reward.StatusFailed || o.Status == reward.StatusNotSent):
		return fmt.Sprintf("credited, but %s %s: %s", o.Status, o.ErrorCode, o.ErrorMessage)
	case credits == 0 && (o.Status == reward.StatusMatched || o.Status == reward.StatusSkipped):
		return fmt.Sprintf("not credited, but %s", o.Status)
	}
	return ""
}

func TestModelEverySequenceOfServerBehaviours(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("the exhaustive model test takes a while")
	}
	explore(t, row(2, "CARD1"), false, 10000)
}

// explore plays every sequence for the row, and fails the test for each
// that breaks a promise, or when fewer than least were explored.
func explore(t *testing.T, it *reward.Item, bulk bool, least int) {
	t.Helper()
	start := time.Now()
	c := &chooser{}
	sequences, failures := 0, 0
	for {
		problem, log := playSequence(c, it, bulk)
		sequences++
		if problem != "" {
			failures++
			if failures <= 10 {
				t.Errorf("sequence %d [%s]: %s", sequences, strings.Join(log, " "), problem)
			}
		}
		prefix, ok := c.next()
		if !ok {
			break
		}
		c = &chooser{prefix: prefix}
	}
	t.Logf("model: %d sequences checked (%d failed) in %v", sequences, failures, time.Since(start).Round(time.Millisecond))
	if sequences < least {
		t.Errorf("only %d sequences were explored: the model lost its choice points", sequences)
	}
}
