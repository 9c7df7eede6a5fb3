package engine

import (
	"context"
	"errors"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// RosterBudget is the [Config.RosterPages] of a run of validRows rows: a
// quarter of them, at least one, so that listing the account's users never
// costs more than a quarter of the searches the rows would need.
func RosterBudget(validRows int) int { return max(1, validRows/4) }

// roster is one listing of the account's users, read at the first check
// before a first send and used by those checks only. It is the account as
// it was before this run sent anything, or it is discarded: that is what
// the check asks about (did a run with another ledger pay this reference
// already? then its user was listed). It is never used to settle a lost
// answer of this run, nor an earlier run's unsettled row: those need fresh
// searches, since this run may have just created the user. The listing is
// older than a search per row would be, by at most the run's length: a
// run of another ledger that ended before this one began is in both alike
// (the lag of EnKash's replicas aside, which a search has too).
type roster struct {
	pages int // Config.RosterPages

	begun atomic.Bool   // the listing started
	done  chan struct{} // closed once users is set
	users *enkash.Roster

	// sends started and ended by this run (single calls and bulk calls):
	// a send during the listing changes the account while it is read.
	started, ended atomic.Int64
}

func newRoster(pages int) *roster { return &roster{pages: pages, done: make(chan struct{})} }

// sending counts a send that starts; the function it returns counts its
// end. Every send of the engine goes through it. A send that would start
// while the users are being listed waits for the listing (or for ctx), so
// that the listing sees the account as it was, and is kept.
func (ro *roster) sending(ctx context.Context) func() {
	if ro.begun.Load() {
		select {
		case <-ro.done:
		case <-ctx.Done():
		}
	}
	ro.started.Add(1)
	return func() { ro.ended.Add(1) }
}

// checkLookup is the lookup of the check before a row's first send: on the
// card the roster names, or the same absent finding as a search that lists
// no such user, or, when the roster cannot tell, [Settler.Settle]'s own
// search.
func (e *Engine) checkLookup(ctx context.Context, r *row) Settlement {
	t := r.target
	card, noUser, ok := e.rosterCard(ctx, t)
	switch {
	case ok && noUser:
		return e.settler.noUser(nil)
	case ok:
		t.CardID = card
	}
	return e.settler.Settle(ctx, t, nil)
}

// rosterCard finds t's card in the roster, for the check before a first
// send: the card, or noUser when the listing has no user with an
// allocation's e-mail or mobile. ok false: the roster cannot tell (no
// roster, several cards, not an allocation), and the row's card is
// searched for as before.
func (e *Engine) rosterCard(ctx context.Context, t Target) (card string, noUser, ok bool) {
	if t.CardID != "" || (t.Email == "" && t.Mobile == "") {
		return "", false, false
	}
	users := e.listed(ctx)
	if users == nil {
		return "", false, false
	}
	card, err := users.Card(t.Email, t.Mobile)
	switch {
	case err == nil:
		return card, false, true
	case errors.Is(err, enkash.ErrNoCard) && t.Operation == reward.OpAllocate:
		return "", true, true
	}
	return "", false, false // ErrManyCards: today's search decides
}

// listed returns the run's roster, listing it at the first call; every
// other call waits for that listing, or for ctx. nil: no usable roster.
func (e *Engine) listed(ctx context.Context) *enkash.Roster {
	ro := e.roster
	if ro.pages <= 0 {
		return nil
	}
	if ro.begun.CompareAndSwap(false, true) {
		func() {
			defer close(ro.done)
			ro.users = e.listUsers(ctx)
		}()
	}
	select {
	case <-ro.done:
		return ro.users
	case <-ctx.Done():
		return nil
	}
}

// errSentWhileListing discards a listing read while this run sent.
var errSentWhileListing = errors.New("this run sent while the users were listed, so the listing may be inconsistent")

// listUsers lists the account's users, each page under the gate as any
// lookup, and keeps the listing only when no send of this run was under
// way or started while it was read.
func (e *Engine) listUsers(ctx context.Context) *enkash.Roster {
	ro := e.roster
	started := ro.started.Load()
	quiet := ro.ended.Load() == started // loaded after started: no send in flight
	users, err := e.api.ListUsers(ctx, ro.pages, func(ctx context.Context, fetch func() error) error {
		return e.settler.attempt(ctx, fetch)
	})
	if err == nil && (!quiet || ro.started.Load() != started) {
		err = errSentWhileListing
	}
	if err != nil {
		e.log.Info("the account's users were not listed once; the check before each first send searches for the row's card",
			zap.Int("maxPages", ro.pages), zap.Error(err))
		return nil
	}
	e.log.Info("listed the account's users once, for the checks before first sends", zap.Int("users", len(users)))
	return enkash.NewRoster(users)
}
