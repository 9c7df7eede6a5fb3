package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// soakMix is one seed's weather: the sandbox's options (fixed for the
// seed) and, for each run, the faults in force.
type soakMix struct {
	seed      uint64
	rng       *rand.Rand
	opts      sandbox.Options
	kills     int
	calmAfter int // reruns before the storm passes
}

var (
	soakFailModes = []sandbox.FailMode{sandbox.Fail502, sandbox.Fail503, sandbox.Fail504, sandbox.FailDrop, sandbox.FailHang}
	soakNoCard    = []string{sandbox.NoCardEmpty, sandbox.NoCardNull, sandbox.NoCardNoRecords, sandbox.NoCardRefuse}
	soakPending   = []string{sandbox.StatusPending, sandbox.StatusProcessing, sandbox.StatusCreated}
	soakEndpoints = []string{sandbox.EndpointToken, sandbox.EndpointAccount, sandbox.EndpointLookup, sandbox.EndpointSearch, sandbox.EndpointAllocate}
	soakTokenFail = []string{sandbox.TokenFail500, sandbox.TokenFail503, sandbox.TokenFailHang}
)

// The client's settings: a request timeout shorter than a hang or a slow
// first apply, and a settlement short enough to converge in seconds. The
// resend rule's wait must outlast what may still be in flight or hidden:
// a slow first apply (soakSlowFor) plus the replica's lag (at most
// 750ms), as the default 15 minutes outlasts a real one.
const (
	soakTimeout      = "1s"
	soakSlowFor      = 1200 * time.Millisecond
	soakSettleWindow = "3s"
	soakResendAfter  = "2500ms"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// newSoakMix derives the seed's options. The choices that have few values
// cycle with the seed, so that a few consecutive seeds cover them all;
// seeds 3, 7, 11, ... refuse repeated references (code 1 or HTTP 409 in
// turn), every other seed credits them again.
func newSoakMix(seed uint64) *soakMix {
	rng := rand.New(rand.NewPCG(seed, 0x50a4))
	o := sandbox.Options{
		Duplicates:      sandbox.DuplicateApplyAgain,
		LookupNeedsCard: seed%5 != 0,
		NoCardAnswer:    soakNoCard[(seed+seed/4)%4],
		LookupLag:       ms(150 + rng.IntN(600)),
		PendingFor:      ms(100 + rng.IntN(700)),
		PendingStatus:   soakPending[seed%3],
		PendingFail:     0.02 + 0.06*rng.Float64(),
		PageSize:        1 + rng.IntN(3),
		PageStyle:       []string{sandbox.PageRecords, sandbox.PageSpring}[(seed/2)%2],
		NumberStyle:     sandbox.NumberDouble,
		TokenTTL:        ms(1500 + rng.IntN(1500)),
	}
	if seed%4 == 3 {
		o.Duplicates = sandbox.DuplicateReject
		o.DuplicateAnswer = []string{sandbox.DuplicateCode1, sandbox.DuplicateHTTP409}[(seed/4)%2]
		// A server that refuses repeated references refuses the resend
		// of one whose transaction FAILED too: only a new reference
		// (a person's decision) could pay that row.
		o.PendingFail = 0
	}
	m := &soakMix{seed: seed, rng: rng, kills: 3 + rng.IntN(2), calmAfter: 4}
	o.Faults = m.weather(0, sandbox.Stats{})
	m.opts = o
	return m
}

// bulkShapes gives the seed's bulk answers a shape, cycling with the
// seed: both lists, the success list only, or counts only, with or
// without the reference echoed in the success items. Every shape but
// both lists with the echo leaves rows for the lookups to settle.
func (m *soakMix) bulkShapes() {
	m.opts.BulkAnswer = []string{sandbox.BulkAnswerBoth, sandbox.BulkAnswerSuccess, sandbox.BulkAnswerCounts}[m.seed%3]
	m.opts.NoBulkEchoRef = (m.seed/3)%2 == 1
}

func (m *soakMix) String() string {
	o := m.opts
	card := "lookup by reference alone"
	if o.LookupNeedsCard {
		card = "lookup without card answers " + o.NoCardAnswer
	}
	dup := string(o.Duplicates)
	if o.Duplicates == sandbox.DuplicateReject {
		dup += "/" + o.DuplicateAnswer
	}
	s := fmt.Sprintf("duplicates %s, %s, lag %v, %s for %v (%.0f%% FAILED), pages of %d (%s), numbers %s, token TTL %v, %d kills",
		dup, card, o.LookupLag, o.PendingStatus, o.PendingFor, 100*o.PendingFail, o.PageSize, o.PageStyle, o.NumberStyle, o.TokenTTL, m.kills)
	if o.BulkAnswer != "" {
		s += fmt.Sprintf(", bulk answers %s (reference echoed: %v)", o.BulkAnswer, !o.NoBulkEchoRef)
	}
	return s
}

// weather returns the faults of the i-th run: answers lost after applying
// (the fail mode cycles through 502, 503, 504, drop and hang), 5xx before
// applying, a slow first apply, 429s with Retry-After in seconds or as a
// date on a seeded set of endpoints, and, in every other run, the token
// endpoint failing a few times mid-run. st is the sandbox's state, from
// which the token failure counts.
func (m *soakMix) weather(i int, st sandbox.Stats) sandbox.Faults {
	rng := m.rng
	f := sandbox.Faults{
		Seed:    m.seed*1000 + uint64(i),
		Latency: ms(1 + rng.IntN(3)), Jitter: ms(rng.IntN(5)),
		ApplyThenFail: 0.02 + 0.05*rng.Float64(), FailMode: soakFailModes[(int(m.seed)+i)%len(soakFailModes)], HangFor: 3 * time.Second,
		FailBefore: 0.01 + 0.02*rng.Float64(), FailBeforeStatus: []int{500, 502, 503, 504}[rng.IntN(4)],
		Throttle: 0.002 + 0.006*rng.Float64(), RetryAfter: time.Second,
		RetryAfterStyle: []string{sandbox.RetryAfterSeconds, sandbox.RetryAfterDate}[(int(m.seed)+i)%2],
		SlowApply:       0.01 + 0.03*rng.Float64(), SlowFor: soakSlowFor,
	}
	for _, ep := range soakEndpoints {
		if rng.IntN(2) == 0 {
			f.ThrottleEndpoints = append(f.ThrottleEndpoints, ep)
		}
	}
	if len(f.ThrottleEndpoints) == 0 {
		f.ThrottleEndpoints = []string{sandbox.EndpointAllocate}
	}
	if slices.Contains(f.ThrottleEndpoints, sandbox.EndpointAllocate) {
		f.ThrottleEndpoints = append(f.ThrottleEndpoints, sandbox.EndpointBulk) // the same calls in bulk mode
	}
	if (int(m.seed)+i)%2 == 1 {
		f.TokenFailAfter = int(st.Count("logins")) + 1 + rng.IntN(3)
		f.TokenFailCount = int(st.Count("faults token")) + 1 + rng.IntN(3)
		f.TokenFailMode = soakTokenFail[rng.IntN(len(soakTokenFail))]
	}
	return f
}

// runArgs are the flags of each run of the soak.
func (m *soakMix) runArgs() []string {
	return []string{"--timeout", soakTimeout, "--workers", "8", "--settle-window", soakSettleWindow, "--resend-after", soakResendAfter}
}

// reconcileArgs are the flags of each reconcile of the soak.
func (m *soakMix) reconcileArgs() []string {
	return []string{"--timeout", soakTimeout, "--workers", "8", "--rate", "5000", "--resend-after", soakResendAfter}
}
