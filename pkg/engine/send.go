package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// send runs the attempts of one row. Only an answer that proves the
// request was not applied (a 429, a connection never made, a failed token
// call) permits another attempt; every ambiguous answer parks the row, so
// the run that sent it never sends it again.
func (e *Engine) send(ctx context.Context, r *row) action {
	o := r.o
	for {
		if e.g.stop.tripped() {
			return e.stopped(r)
		}
		if err := e.g.wait(ctx, true); err != nil {
			return e.stopped(r)
		}
		o.Attempts++
		at := e.g.clock.Now()
		sent := e.roster.sending(ctx)
		res, err := e.api.Allocate(ctx, o.Item.Allocation)
		sent()
		e.observe(err)
		switch enkash.Classify(err) {
		case enkash.SafetyNone:
			e.applied(o, res)
			return actDone
		case enkash.SafetyRejected:
			return e.rejected(r, err)
		case enkash.SafetyDuplicate:
			return e.duplicate(r, err, at)
		case enkash.SafetyFatal:
			return e.authRefused(r, err)
		case enkash.SafetyNotApplied:
			if next, again := e.notApplied(ctx, r, err); !again {
				return next
			}
		default: // ambiguous: EnKash may have applied it
			return e.lost(r, err, at)
		}
	}
}

// authRefused stops the run on a refused login or authorisation, which
// applied nothing, and ends r as stopped with the reason.
func (e *Engine) authRefused(r *row, err error) action {
	e.g.stop.trip("the EnKash login was refused")
	r.o.Attempts-- // the login or authorisation failed: nothing was applied
	next := e.stopped(r)
	r.o.ErrorCode, r.o.ErrorMessage = reward.CodeAuth, err.Error()
	return next
}

// lost parks a row whose attempt may have been applied, to look it up.
func (e *Engine) lost(r *row, err error, at time.Time) action {
	e.log.Debug("answer lost; parking the row to look it up", zap.Int("line", r.o.Item.Line), zap.Error(err))
	r.o.Evidence = reward.Evidence{LastAttemptAt: at}
	r.code, r.cause = reward.CodeAmbiguous, err
	return actPark
}

// loginsExhausted counts a failed token call against r (its request never
// left, so it is no attempt) and reports whether the run stopped:
// MaxAttempts failed logins in a row stop it.
func (e *Engine) loginsExhausted(r *row, err error) bool {
	var le *enkash.LoginError
	if !errors.As(err, &le) {
		return false
	}
	r.o.Attempts--
	if r.logins++; r.logins >= e.cfg.MaxAttempts {
		e.g.stop.trip(fmt.Sprintf("the EnKash login failed %d times in a row: %v", r.logins, err))
		return true
	}
	return false
}

// notApplied handles an attempt that provably did not take effect, and
// reports whether to try again.
func (e *Engine) notApplied(ctx context.Context, r *row, err error) (action, bool) {
	o := r.o
	if e.loginsExhausted(r, err) {
		return e.stopped(r), false
	}
	e.g.notApplied(err)
	if o.Attempts >= e.cfg.MaxAttempts && r.sentBefore {
		// none of this run's attempts was applied, but an earlier run's
		// may have been: looked up, never FAILED
		r.code, r.cause, r.refusal = reward.CodeAmbiguous, err, fmt.Sprintf("not applied after %d attempts: %v", o.Attempts, err)
		return actPark, false
	}
	if o.Attempts >= e.cfg.MaxAttempts {
		o.Status, o.ErrorCode = reward.StatusFailed, reward.CodeRetriesExhausted
		o.ErrorMessage = fmt.Sprintf("not applied after %d attempts: %v", o.Attempts, err)
		return actDone, false
	}
	if e.g.sleep(ctx, e.g.retryDelay(max(o.Attempts, 1), err)) != nil {
		return e.stopped(r), false
	}
	return actSend, true
}

// duplicate handles a duplicate refusal. For a reference an earlier run
// or an earlier attempt of this run sent, it is evidence that that
// attempt was applied: the row is parked to be looked up, and never ends
// FAILED. For one this ledger never sent, the reference was used at
// EnKash by someone else.
func (e *Engine) duplicate(r *row, err error, at time.Time) action {
	o := r.o
	if !r.sentBefore && o.Attempts <= 1 && r.prior.Kind != reward.PriorRefused {
		o.Status, o.ErrorCode = reward.StatusFailed, reward.CodeDuplicateRef
		o.ErrorMessage = "EnKash says this reference already exists, though no run of this ledger sent it: it was used at EnKash " +
			"before (another tool, a manual upload, or a run with another ledger). Check that transaction with EnKash before paying this row again"
		return actDone
	}
	o.Evidence = reward.Evidence{LastAttemptAt: at}
	r.code, r.cause = reward.CodeDuplicateRef, err
	return actPark
}

// rejected handles a refusal. It proves this attempt was not applied,
// not that an earlier run's was (it may land late): such a row is looked
// up, and ends UNKNOWN rather than FAILED while that attempt is unsettled.
func (e *Engine) rejected(r *row, err error) action {
	var rej *enkash.RejectedError
	errors.As(err, &rej)
	if r.sentBefore {
		r.code, r.cause, r.refusal = reward.CodeAmbiguous, err, rejectionText(rej)
		return actPark
	}
	r.o.Status, r.o.ErrorCode, r.o.ErrorMessage = reward.StatusFailed, reward.CodeRejected, rejectionText(rej)
	return actDone
}

// stopped ends a row whose sending stopped: NOT_SENT when no request for
// it can have been applied, else UNKNOWN.
func (e *Engine) stopped(r *row) action {
	if r.sentBefore {
		r.code = reward.CodeAmbiguous
		if r.o.Attempts > 0 && r.refusal == "" {
			r.refusal = "the run stopped before it was taken"
		}
		return actPark // an earlier run's attempt is unsettled: never NOT_SENT, whatever this run's did not apply
	}
	e.notSent(r.o)
	return actDone
}

// applied records a success answer.
func (e *Engine) applied(o *reward.Outcome, res *enkash.AllocateResult) {
	o.PGReferenceNumber, o.EnKashCardID, o.EnkashCardTxnID, o.OTBBalance = res.PGReferenceNumber, res.EnKashCardID, res.EnkashCardTxnID, res.OTBBalance.String()
	if res.PGReferenceNumber == o.Item.Allocation.Reference {
		o.Status, o.ErrorCode, o.ErrorMessage = reward.StatusMatched, "", ""
		return
	}
	o.Status, o.ErrorCode = reward.StatusMismatch, reward.CodeRefMismatch
	if res.PGReferenceNumber == "" {
		o.ErrorMessage = "EnKash applied the request but returned no pgReferenceNumber; check the reference field setting (ENKASH_REFERENCE_FIELD)"
	} else {
		o.ErrorMessage = fmt.Sprintf("EnKash returned pgReferenceNumber %q for reference %q", res.PGReferenceNumber, o.Item.Allocation.Reference)
	}
}

// observe feeds the failure threshold.
func (e *Engine) observe(err error) {
	if e.brk.observe(err != nil) {
		e.g.stop.trip(fmt.Sprintf("at least %.0f%% of the last %d requests failed", e.cfg.FailRatio*100, e.cfg.FailWindow))
	}
}

func rejectionText(r *enkash.RejectedError) string {
	if r == nil {
		return "refused"
	}
	if r.HTTPStatus == 200 {
		return fmt.Sprintf("code %d: %s", r.Code, r.Message)
	}
	return fmt.Sprintf("HTTP %d: %s", r.HTTPStatus, r.Message)
}
