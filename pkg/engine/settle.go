package engine

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/mask"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// Target is what a settlement looks for: a row's reference, what the row
// asked for, and what finds its card.
type Target struct {
	Operation reward.Operation
	Reference string
	Amount    money.Amount
	// CardID is the card, known from the row for a top-up or a debit, or
	// found earlier; empty for an allocation, whose card is found through
	// Email or Mobile.
	CardID        string
	Email, Mobile string
}

// TargetOf is the target of an allocation.
func TargetOf(a reward.Allocation) Target {
	return Target{Operation: a.Operation, Reference: a.Reference, Amount: a.Amount, CardID: a.EnkashCardID, Email: a.Email, Mobile: a.Mobile}
}

// Finding is what one settlement lookup showed.
type Finding int

// The findings of [Settler.Settle].
const (
	// Found: EnKash has the reference; the Judgement decides.
	Found Finding = iota + 1
	// Absent: a conclusive lookup (on the card) did not find it. Absence
	// is evidence only when repeated over time: see [Settler.MayResend].
	Absent
	// Unproven: an empty answer that proves nothing (no card was known).
	Unproven
	// LookupFailed: every try of the lookup failed.
	LookupFailed
)

// Settlement is the result of one [Settler.Settle].
type Settlement struct {
	Finding   Finding
	Judgement Judgement // when Found
	CardID    string    // the card the lookup used, if any
	At        time.Time // when the answer arrived
	Err       error     // when LookupFailed
}

// Settler is the one settlement path of rewardbatch: it looks a reference
// up on its card, under the same rate limit, 429 pause and retry rules as
// the sends, and judges what it finds. The engine settles lost answers
// with it, and reconcile settles the UNKNOWN rows of earlier runs.
type Settler struct {
	api API
	g   *gate
}

// NewSettler returns a settler with its own rate limit and pause, for
// reconcile; cfg's zero fields take their defaults.
func NewSettler(cfg Config, api API, log *zap.Logger) *Settler {
	cfg.defaults()
	if log == nil {
		log = zap.NewNop()
	}
	g := newGate(cfg, log)
	return &Settler{api: g.paced(api), g: g}
}

// Settle looks t up once (trying again when the lookup itself fails, up
// to LookupTries), and records a conclusive absence in ev.
func (s *Settler) Settle(ctx context.Context, t Target, ev *reward.Evidence) Settlement {
	card, noUser := s.card(ctx, t)
	if noUser {
		return s.noUser(ev)
	}
	var lk enkash.Lookup
	err := s.attempt(ctx, func() (err error) {
		lk, err = s.api.FindTransactions(ctx, t.Reference, card)
		return err
	})
	if err == nil {
		return s.judge(t, card, lk, ev)
	}
	return Settlement{Finding: LookupFailed, CardID: card, At: s.g.clock.Now(), Err: err}
}

// noUser is the finding of a search that lists no user with an
// allocation's e-mail or mobile. An applied allocation creates its user, so
// it is an absent lookup (and, like one, proves nothing until repeated
// over time).
func (s *Settler) noUser(ev *reward.Evidence) Settlement {
	st := Settlement{Finding: Absent, At: s.g.clock.Now()}
	NoteAbsent(ev, st.At)
	return st
}

// attempt calls f under the gate up to LookupTries times, pausing between
// tries, while its failure may be retried (every read may be, but a
// refused login). It returns f's last error, or the wait's.
func (s *Settler) attempt(ctx context.Context, f func() error) error {
	var err error
	for try := 1; try <= s.g.cfg.LookupTries; try++ {
		if try > 1 {
			if serr := s.g.clock.Sleep(ctx, nil, s.g.retryDelay(try-1, err)); serr != nil {
				return serr
			}
		}
		if werr := s.g.wait(ctx, false); werr != nil {
			return werr
		}
		if err = f(); err == nil || !s.retryable(err) {
			return err
		}
	}
	return err
}

// retryable handles a failed lookup and reports whether to try again. A
// lookup is a read, so every failure but a refused login may be retried.
func (s *Settler) retryable(err error) bool {
	switch enkash.Classify(err) {
	case enkash.SafetyFatal:
		s.g.stop.trip("the EnKash login was refused")
		return false
	case enkash.SafetyNotApplied:
		s.g.notApplied(err)
	}
	return true
}

func (s *Settler) judge(t Target, card string, lk enkash.Lookup, ev *reward.Evidence) Settlement {
	st := Settlement{CardID: card, At: s.g.clock.Now()}
	switch {
	case len(lk.Transactions) > 0:
		st.Finding = Found
		st.Judgement = Judge(t.Operation, t.Amount, t.Reference, lk.Transactions)
	case lk.Conclusive && card != "":
		st.Finding = Absent
		NoteAbsent(ev, st.At)
	default:
		st.Finding = Unproven
	}
	return st
}

// card returns the target's card, finding an allocation's through the
// user's e-mail or mobile; noUser says the search listed no such user.
// Without a card, the lookup goes without it and an empty answer proves
// nothing.
func (s *Settler) card(ctx context.Context, t Target) (card string, noUser bool) {
	if t.CardID != "" || (t.Email == "" && t.Mobile == "") {
		return t.CardID, false
	}
	err := s.attempt(ctx, func() (err error) {
		card, err = s.api.FindCard(ctx, t.Email, t.Mobile)
		if errors.Is(err, enkash.ErrNoCard) {
			noUser, err = t.Operation == reward.OpAllocate, nil // an answer: no such user
		}
		return err
	})
	if err != nil {
		s.g.log.Debug("finding the card failed; looking up without it", zap.String("email", mask.Email(t.Email)), zap.Error(err))
		return "", false
	}
	return card, noUser
}

// MayResend reports whether the evidence permits a later run to send the
// reference again: it was absent in at least two conclusive lookups, the
// last at least ResendAfter after the last attempt (or, when the attempt
// time was lost in a crash, after the first absent lookup). When EnKash
// deduplicates references one conclusive absence is enough. The run that
// sent a reference never resends it; callers enforce that.
func (s *Settler) MayResend(ev reward.Evidence) bool {
	if ev.AbsentLookups == 0 {
		return false
	}
	if s.g.cfg.Deduplicates {
		return true
	}
	start := ev.LastAttemptAt
	if start.IsZero() {
		start = ev.FirstAbsentAt
	}
	return ev.AbsentLookups >= 2 && ev.LastAbsentAt.Sub(start) >= s.g.cfg.ResendAfter
}

// NoteAbsent records a conclusive absent lookup at t.
func NoteAbsent(ev *reward.Evidence, t time.Time) {
	if ev == nil {
		return
	}
	if ev.AbsentLookups == 0 {
		ev.FirstAbsentAt = t
	}
	ev.AbsentLookups++
	ev.LastAbsentAt = t
}

// Stopped returns why the settler's requests stopped ("" when they did
// not): a refused login, or a pause longer than MaxPause.
func (s *Settler) Stopped() string { return s.g.stop.why() }
