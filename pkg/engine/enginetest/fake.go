package enginetest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// Send is how the fake answers one Allocate.
type Send int

// The answers to Allocate.
const (
	SendOK              Send = iota // apply it, answer success
	SendRefuse                      // refuse it (code 1): not applied
	SendDuplicate                   // refuse it as a duplicate reference: not applied
	Send429                         // 429 with a Retry-After: not applied
	SendNoConnection                // the connection was never made: not applied
	SendLoginFails                  // the token call fails (5xx): not applied
	Send5xxApplied                  // apply it, then a gateway 503 (ambiguous)
	Send5xxNotApplied               // a gateway 502 before applying (ambiguous)
	SendTimeoutApplied              // apply it; the answer times out after the write
	SendResetNotApplied             // the connection resets after the write, not applied
	SendPanic                       // the fake panics (a bug in the process)
	SendBadRequest                  // refuse the whole request with HTTP 400: not applied
	numSends
)

var sendNames = [...]string{"ok", "refuse", "duplicate", "429", "no-connection", "login-fails", "5xx-applied",
	"5xx-not-applied", "timeout-applied", "reset-not-applied", "panic", "400"}

func (s Send) String() string { return sendNames[s] }

// Look is how the fake answers one lookup on the card.
type Look int

// The answers to FindTransactions.
const (
	LookTrue    Look = iota // every transaction applied so far (read over every page)
	LookLagging             // a replica that misses what was applied in the last [Lag]
	LookNoCard              // an empty answer that proves nothing (null payload, no card)
	LookPending             // applied transactions show as PENDING
	LookFails               // a 504: the lookup failed
	Look429                 // a 429: the lookup failed
	numLooks
)

var lookNames = [...]string{"true", "lagging", "no-card", "pending", "fails", "429"}

func (l Look) String() string { return lookNames[l] }

// Lag is how far a lagging replica is behind; it is shorter than the
// resend rule's wait, as the rule assumes.
const Lag = time.Minute

// Script chooses the fake's answers, call by call.
type Script interface {
	Send() Send
	Look() Look
}

// Killer is a [Script] that may kill the process after a call's effect
// (its answer is then lost, and so is everything after it).
type Killer interface {
	KillHere() bool
}

// Queue is a [Script] that plays its answers in order, then SendOK and
// LookTrue.
type Queue struct {
	mu    sync.Mutex
	Sends []Send
	Looks []Look
	Bulks []Bulk
}

// Send returns the next answer to Allocate.
func (q *Queue) Send() Send { return pop(&q.mu, &q.Sends, SendOK) }

// Look returns the next answer to a lookup.
func (q *Queue) Look() Look { return pop(&q.mu, &q.Looks, LookTrue) }

func pop[T any](mu *sync.Mutex, list *[]T, def T) T {
	mu.Lock()
	defer mu.Unlock()
	if len(*list) == 0 {
		return def
	}
	v := (*list)[0]
	*list = (*list)[1:]
	return v
}

// Credit is one transaction the fake applied.
type Credit struct {
	Reference, Card string
	Amount          string
	Debit           bool
	At              time.Time
}

// API is a scripted fake of [engine.API]: an EnKash that applies every
// request it is told to (the apply-again policy, so a double send is a
// double credit), keeps every credit, and answers as its script says. It
// needs no HTTP and runs on a [Clock].
type API struct {
	mu      sync.Mutex
	script  Script
	clock   engine.Clock
	credits []Credit
	bulks   []int // the sizes of the bulk calls
	calls   int
	paths   map[string]int // calls by endpoint
	dead    bool
	killAt  int
	onKill  func()
	// Deduplicates makes the fake refuse, as a duplicate, a request that
	// would apply a reference it already applied (the reject policy);
	// without it, it applies it again.
	Deduplicates bool
	// Lag is how far a lagging replica is behind (default [Lag]).
	Lag time.Duration
	// Users maps an e-mail to its card, for users who exist before the run.
	Users map[string]string
	// UsersPerPage is the page size of ListUsers (default 100).
	UsersPerPage int
	// ListRefused makes ListUsers refuse, as a server that does not list
	// the account's users without a filter.
	ListRefused bool
	// OnListPage, when set, runs as each page of ListUsers reaches the
	// fake (page from 1), before it is read: a test holds the listing
	// there until something else happened.
	OnListPage func(page int)
}

var _ engine.API = (*API)(nil)

// NewAPI returns a fake that answers by script on clock.
func NewAPI(script Script, clock engine.Clock) *API {
	return &API{script: script, clock: clock, Users: map[string]string{}}
}

// Kill makes every later call fail as if the process had died; the fake
// keeps its credits. Revive answers again.
func (f *API) Kill() { f.mu.Lock(); f.dead = true; f.mu.Unlock() }

// Revive ends Kill.
func (f *API) Revive() { f.mu.Lock(); f.dead, f.killAt = false, 0; f.mu.Unlock() }

// OnKill sets what else dies with the process (the journal's writes).
func (f *API) OnKill(also func()) { f.mu.Lock(); f.onKill = also; f.mu.Unlock() }

// Dead reports whether the process was killed.
func (f *API) Dead() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.dead }

// KillAfter kills the process once n more calls have reached the fake
// (their effects stay, their answers are lost), and calls also then.
func (f *API) KillAfter(n int, also func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.killAt = f.calls + n
	if also != nil {
		f.onKill = also
	}
}

// call counts a call to path and reports whether the process is dead; done runs
// after the call's effect, under the lock, to kill the process at its set
// call.
func (f *API) call(path string) (dead bool, done func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.paths == nil {
		f.paths = map[string]int{}
	}
	f.paths[path]++
	return f.dead, func() {
		k, ok := f.script.(Killer)
		if (f.killAt > 0 && f.calls >= f.killAt || ok && k.KillHere()) && !f.dead {
			f.dead = true
			if f.onKill != nil {
				f.onKill()
			}
		}
	}
}

// Credits returns every transaction applied, in order.
func (f *API) Credits() []Credit {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Credit(nil), f.credits...)
}

// CallsTo returns how many calls to one endpoint (an enkash.Path...)
// reached the fake: FindCard and each page of ListUsers are a search.
func (f *API) CallsTo(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.paths[path]
}

// Calls returns how many calls reached the fake.
func (f *API) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

var errDead = &enkash.NotAppliedError{Endpoint: enkash.PathCreateAllocate, Err: syscall.ECONNREFUSED}

func cardOf(a reward.Allocation) string {
	if a.EnkashCardID != "" {
		return a.EnkashCardID
	}
	return "C-" + a.Email
}

// Allocate applies or refuses a row as the script says.
func (f *API) Allocate(_ context.Context, a reward.Allocation) (*enkash.AllocateResult, error) {
	dead, done := f.call(enkash.PathCreateAllocate)
	if dead {
		return nil, errDead
	}
	s := f.script.Send() // outside the lock: a script may block
	f.mu.Lock()
	defer f.mu.Unlock()
	defer done()
	switch s {
	case SendOK, Send5xxApplied, SendTimeoutApplied:
		if f.Deduplicates && f.applied(a.Reference) {
			return f.answer(SendDuplicate, a)
		}
		f.credits = append(f.credits, Credit{Reference: a.Reference, Card: cardOf(a), Amount: a.Amount.String(),
			Debit: a.Operation == reward.OpDebit, At: f.clock.Now()})
	}
	return f.answer(s, a)
}

func (f *API) applied(ref string) bool {
	for _, c := range f.credits {
		if c.Reference == ref {
			return true
		}
	}
	return false
}

func (f *API) answer(s Send, a reward.Allocation) (*enkash.AllocateResult, error) {
	p := enkash.PathCreateAllocate
	switch s {
	case SendOK:
		return &enkash.AllocateResult{PGReferenceNumber: a.Reference, EnKashCardID: cardOf(a),
			EnkashCardTxnID: fmt.Sprintf("T%d", len(f.credits)), OTBBalance: "100"}, nil
	case SendRefuse:
		return nil, &enkash.RejectedError{Endpoint: p, HTTPStatus: 200, Code: 1, Message: "Insufficient balance in card account"}
	case SendDuplicate:
		return nil, &enkash.DuplicateError{Endpoint: p, HTTPStatus: 200, Code: 1, Message: "Duplicate reference number"}
	case Send429:
		return nil, &enkash.NotAppliedError{Endpoint: p, HTTPStatus: 429, RetryAfter: time.Second, Err: errors.New("too many requests")}
	case SendNoConnection:
		return nil, &enkash.NotAppliedError{Endpoint: p, Err: syscall.ECONNREFUSED}
	case SendLoginFails:
		return nil, &enkash.LoginError{HTTPStatus: 503, Message: "upstream connect error"}
	case Send5xxApplied, Send5xxNotApplied:
		return nil, &enkash.AmbiguousError{Endpoint: p, HTTPStatus: 503, Err: errors.New("upstream connect error or disconnect/reset before headers")}
	case SendTimeoutApplied:
		return nil, &enkash.AmbiguousError{Endpoint: p, Err: context.DeadlineExceeded}
	case SendResetNotApplied:
		return nil, &enkash.AmbiguousError{Endpoint: p, Err: syscall.ECONNRESET}
	case SendBadRequest:
		return nil, &enkash.RejectedError{Endpoint: p, HTTPStatus: 400, Code: 1, Message: "Bad Request"}
	}
	panic("enginetest: a scripted panic")
}

// FindTransactions answers a lookup as the script says. Without the card
// the answer is always empty and proves nothing (a server that needs it).
func (f *API) FindTransactions(_ context.Context, reference, card string) (enkash.Lookup, error) {
	p := enkash.PathTransactions
	dead, done := f.call(p)
	if dead {
		return enkash.Lookup{}, errDead
	}
	l := f.script.Look() // outside the lock: a script may block
	f.mu.Lock()
	defer f.mu.Unlock()
	defer done()
	switch {
	case l == LookFails:
		return enkash.Lookup{}, &enkash.AmbiguousError{Endpoint: p, HTTPStatus: 504, Err: errors.New("upstream request timeout")}
	case l == Look429:
		return enkash.Lookup{}, &enkash.NotAppliedError{Endpoint: p, HTTPStatus: 429, RetryAfter: time.Second, Err: errors.New("too many requests")}
	case card == "" || l == LookNoCard:
		return enkash.Lookup{}, nil
	}
	var out []enkash.Transaction
	for i, c := range f.credits {
		if c.Reference != reference || c.Card != card || (l == LookLagging && f.clock.Now().Sub(c.At) < cmp.Or(f.Lag, Lag)) {
			continue
		}
		t := enkash.Transaction{PGReferenceNumber: c.Reference, EnKashCardID: c.Card, EnKashTransactionID: fmt.Sprintf("T%d", i+1),
			CardTransactionType: enkash.TypeCredit, Amount: jsonNumber(c.Amount), Status: "SUCCESS"}
		if c.Debit {
			t.CardTransactionType = enkash.TypeDebit
		}
		if l == LookPending {
			t.Status = "PENDING"
		}
		out = append(out, t)
	}
	return enkash.Lookup{Transactions: out, Conclusive: true}, nil
}

// FindCard finds the card of a user who existed before or was created by
// an allocation.
func (f *API) FindCard(_ context.Context, email, _ string) (string, error) {
	dead, done := f.call(enkash.PathSearch)
	if dead {
		return "", errDead
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	defer done()
	if c, ok := f.known()[email]; ok {
		return c, nil
	}
	return "", enkash.ErrNoCard
}

// known maps the e-mail of every user to its card: those who existed
// before the run, and those an allocation created. Called under f.mu.
func (f *API) known() map[string]string {
	users := maps.Clone(f.Users)
	for _, c := range f.credits {
		if email, ok := strings.CutPrefix(c.Card, "C-"); ok {
			if _, had := users[email]; !had {
				users[email] = c.Card
			}
		}
	}
	return users
}

func jsonNumber(s string) json.Number { return json.Number(s) }
