package engine

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/mask"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// row is one row between its steps.
type row struct {
	o      *reward.Outcome
	target Target
	prior  reward.Prior
	begun  bool
	start  time.Time
	// sentBefore: an earlier run sent the reference and never learnt
	// whether EnKash applied it.
	sentBefore bool
	// code is what a parked row ends with when no lookup settles it:
	// OUTCOME_UNKNOWN, or DUPLICATE_REFERENCE after a duplicate refusal.
	code    string
	cause   error  // the error that parked it
	refusal string // EnKash's refusal of a resend, for a parked row
	logins  int    // failed token calls while sending it
	// splits counts the bulk calls of it that EnKash refused whole with
	// a body proving nothing was applied, so it was sent again in a
	// smaller call: they do not use up its retries.
	splits int
	last   Settlement // the last lookup of a parked row
}

// action is what a step decided for a row.
type action int

const (
	actDone   action = iota // the outcome is final
	actSend                 // send the row
	actPark                 // settle it beside the workers
	actQueued               // handed to the bulker, which ends it
)

// safeProcess turns a row into its result; a panic becomes a fatal stop
// and an outcome that claims nothing it cannot know.
func (e *Engine) safeProcess(ctx context.Context, j job) (res result) {
	r := &row{o: &reward.Outcome{Seq: j.seq, Item: j.item}, target: TargetOf(j.item.Allocation), prior: j.prior, begun: j.begun}
	defer func() {
		if p := recover(); p != nil {
			e.crashed(r, p)
			res = result{o: r.o}
		}
	}()
	act := e.process(ctx, r)
	return result{o: r.o, parked: act == actPark, queued: act == actQueued}
}

// crashed turns a panic into a fatal stop. The row ends UNKNOWN if a
// request for it may have been applied, else NOT_SENT.
func (e *Engine) crashed(r *row, p any) {
	e.log.Error("a bug stopped the run", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
	e.abort(fmt.Errorf("internal error (please report it): %v", p))
	if r.o.Attempts > 0 || r.sentBefore {
		r.o.Status, r.o.ErrorCode = reward.StatusUnknown, reward.CodeAmbiguous
		r.o.ErrorMessage = "the run stopped on an internal error after sending this row; do not send it again by hand: run `rewardbatch reconcile` later"
	} else {
		e.notSent(r.o)
	}
	e.finish(r)
}

// process runs a row's steps and returns how it left the worker: done,
// parked, or handed to the bulker (which ends it and counts it out).
func (e *Engine) process(ctx context.Context, r *row) action {
	it := r.o.Item
	switch {
	case !it.Valid:
		r.o.Status, r.o.ErrorCode, r.o.ErrorMessage = reward.StatusInvalid, reward.CodeInvalid, it.ErrorText()
		e.finish(r)
		return actDone
	case !r.begun && (e.journal != nil || e.g.stop.tripped()):
		// nothing was recorded (the begin stage stopped): nothing is sent
		e.notSent(r.o)
		e.finish(r)
		return actDone
	}
	e.count.enter()
	r.start = e.g.clock.Now()
	next := e.fromPrior(ctx, r)
	switch {
	case next == actSend && e.bulk.takes(r):
		return e.queued(r)
	case next == actSend:
		next = e.send(ctx, r)
	}
	defer e.count.leave()
	if next == actPark {
		e.park(ctx, r)
		return actPark
	}
	e.finish(r)
	return actDone
}

// fromPrior acts on what the journal knew of the reference.
func (e *Engine) fromPrior(ctx context.Context, r *row) action {
	o, p := r.o, r.prior
	if e.journal == nil {
		return actSend
	}
	switch p.Kind {
	case reward.PriorDone:
		o.Status, o.Receipt = reward.StatusSkipped, p.Receipt
	case reward.PriorConflict:
		o.Status, o.ErrorCode, o.ErrorMessage = reward.StatusFailed, reward.CodeConflict, p.Message
	case reward.PriorHeld:
		o.Status, o.ErrorCode, o.ErrorMessage = reward.StatusMismatch, reward.CodeHeld, p.Message
	case reward.PriorRejected:
		o.Status, o.ErrorCode, o.ErrorMessage = reward.StatusFailed, reward.CodeRejected, p.Message
	case reward.PriorUnsettled:
		return e.resume(ctx, r)
	case reward.PriorRefused:
		return actSend
	default: // PriorNew
		if e.cfg.NoRemoteCheck || e.g.stop.tripped() {
			return actSend // (after a stop, the send ends NOT_SENT at once)
		}
		return e.remoteCheck(ctx, r)
	}
	return actDone
}

// resume settles a reference an earlier run sent without learning its
// fate. Only a lookup that finds it settles it; it is sent again only
// when the evidence rule permits, else it is parked.
func (e *Engine) resume(ctx context.Context, r *row) action {
	r.sentBefore, r.code = true, reward.CodeAmbiguous
	r.o.Evidence = r.prior.Evidence
	st := e.settler.Settle(ctx, r.target, &r.o.Evidence)
	r.learn(st)
	if st.Finding == Found && st.Judgement.Status == reward.StatusFailed {
		// Only a failed try is visible; a later, applied one may still be
		// hidden by a lagging replica: the same rule as an absence.
		NoteAbsent(&r.o.Evidence, st.At)
		if e.settler.MayResend(r.o.Evidence) {
			return actSend
		}
	}
	if e.settled(r, st) {
		return actDone
	}
	if st.Finding == Absent && e.settler.MayResend(r.o.Evidence) {
		e.log.Info("an earlier run's row is absent at EnKash, repeatedly and long enough: sending it again with the same reference",
			zap.Int("line", r.o.Item.Line), zap.Int("absentLookups", r.o.Evidence.AbsentLookups))
		return actSend
	}
	return actPark
}

// remoteCheck looks up a reference the ledger has never seen before its
// first send, in case an earlier run with another ledger sent it.
func (e *Engine) remoteCheck(ctx context.Context, r *row) action {
	st := e.checkLookup(ctx, r)
	r.learn(st)
	switch {
	case st.Finding == LookupFailed || st.Finding == Unproven:
		// Without an answer nothing shows that another ledger's run did
		// not pay it already: never send on a guess.
		o := r.o
		o.Status, o.ErrorCode = reward.StatusNotSent, reward.CodeRemoteCheck
		o.ErrorMessage = "not sent: the lookup at EnKash that comes before a reference's first send could not be made " +
			"(" + lookupTrouble(st) + "); a rerun looks it up again and sends it when EnKash does not have it"
		e.log.Warn("the lookup before the first send could not be made; the row is not sent", zap.Int("line", o.Item.Line), zap.Error(st.Err))
		return actDone
	case st.Finding != Found || st.Judgement.Status == reward.StatusFailed:
		// absent, or recorded as failed: not applied
	case st.Judgement.Status == reward.StatusMatched:
		o := r.o
		o.Status, o.ErrorCode, o.Receipt = reward.StatusSkipped, reward.CodeAlreadyAtEnKash, st.Judgement.Receipt
		o.ErrorMessage = "EnKash already has this reference (sent by a run whose ledger is not this one, or by another tool): not sent again"
		return actDone
	default:
		e.judged(r, st.Judgement)
		return actDone
	}
	return actSend
}

// lookupTrouble says why a lookup settled nothing.
func lookupTrouble(st Settlement) string {
	if st.Err != nil {
		return st.Err.Error()
	}
	return "no card is known for it, and EnKash's answer without the card proves nothing"
}

// settled applies a lookup that found the reference with a final status.
func (e *Engine) settled(r *row, st Settlement) bool {
	if st.Finding != Found || st.Judgement.Code == reward.CodePending {
		return false
	}
	e.judged(r, st.Judgement)
	return true
}

func (e *Engine) judged(r *row, j Judgement) {
	o := r.o
	otb := o.OTBBalance
	o.Status, o.ErrorCode, o.ErrorMessage, o.Receipt = j.Status, j.Code, j.Message, j.Receipt
	o.OTBBalance = otb
}

// learn keeps the card a lookup found, for the next lookups.
func (r *row) learn(st Settlement) {
	if st.CardID != "" {
		r.target.CardID = st.CardID
	}
}

// finish records a row's outcome with the journal and counts it.
func (e *Engine) finish(r *row) {
	o := r.o
	if !r.start.IsZero() {
		o.Latency = e.g.clock.Now().Sub(r.start)
	}
	if e.journal != nil && r.begun {
		if err := e.journal.Record(o); err != nil {
			e.abort(fmt.Errorf("recording the run: %w", err))
		}
	}
	e.count.done.Add(1)
	if !o.Status.Done() {
		e.count.failed.Add(1)
	}
	e.logOutcome(o)
}

func (e *Engine) notSent(o *reward.Outcome) {
	o.Status, o.ErrorCode = reward.StatusNotSent, reward.CodeStopped
	if o.Attempts > 0 {
		o.ErrorMessage = "not applied; the run stopped before another attempt (" + e.g.stop.why() + "); a rerun sends it"
	} else {
		o.ErrorMessage = "the run stopped before this row was sent (" + e.g.stop.why() + "); a rerun sends it"
	}
}

func (e *Engine) logOutcome(o *reward.Outcome) {
	if ce := e.log.Check(zap.DebugLevel, "row"); ce != nil {
		a := o.Item.Allocation
		ce.Write(zap.Int("line", o.Item.Line), zap.String("reference", a.Reference), zap.String("operation", string(a.Operation)),
			zap.String("status", string(o.Status)), zap.Int("attempts", o.Attempts), zap.String("email", mask.Email(a.Email)),
			zap.String("mobile", mask.Mobile(a.Mobile)), zap.String("code", o.ErrorCode), zap.Duration("latency", o.Latency))
	}
}
