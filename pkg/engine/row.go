package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/mask"
)

// process turns one row into its outcome.
func (e *Engine) process(ctx context.Context, j job) *reward.Outcome {
	it := j.item
	o := &reward.Outcome{Seq: j.seq, Item: it}
	defer func() {
		e.count.done.Add(1)
		if !o.Status.Done() {
			e.count.failed.Add(1)
		}
		e.logOutcome(o)
	}()
	if !it.Valid {
		o.Status, o.ErrorCode, o.ErrorMessage = reward.StatusInvalid, reward.CodeInvalid, it.ErrorText()
		return o
	}
	if e.stop.tripped() && !j.begun {
		e.notSent(o)
		return o
	}
	e.count.enter()
	defer e.count.leave()
	start := time.Now()
	defer func() { o.Latency = time.Since(start) }()

	settleFirst := false
	if e.journal != nil {
		if !j.begun { // the begin stage stopped: nothing was recorded, nothing is sent
			e.notSent(o)
			return o
		}
		switch prior := j.prior; prior.Kind {
		case reward.PriorDone:
			o.Status = reward.StatusSkipped
			o.PGReferenceNumber, o.EnKashCardID, o.EnkashCardTxnID, o.OTBBalance = prior.PGReferenceNumber, prior.EnKashCardID, prior.EnkashCardTxnID, prior.OTBBalance
			return o
		case reward.PriorConflict:
			o.Status, o.ErrorCode, o.ErrorMessage = reward.StatusFailed, reward.CodeConflict, prior.Message
			return o
		case reward.PriorHeld:
			o.Status, o.ErrorCode, o.ErrorMessage = reward.StatusMismatch, reward.CodeHeld, prior.Message
			return o
		case reward.PriorUnsettled:
			settleFirst = true
		}
	}
	e.send(ctx, o, settleFirst)
	if e.journal != nil {
		if err := e.journal.Record(o); err != nil {
			e.abort(fmt.Errorf("ledger: %w", err))
		}
	}
	return o
}

// send runs the attempts of one row. When settleFirst is set an earlier
// run sent the row without recording its outcome, so a lookup comes first.
func (e *Engine) send(ctx context.Context, o *reward.Outcome, settleFirst bool) {
	it := o.Item
	if settleFirst {
		if e.settle(ctx, o) {
			return
		}
	}
	for {
		if e.stop.tripped() {
			e.notSent(o)
			return
		}
		if err := e.wait(ctx); err != nil {
			e.notSent(o)
			return
		}
		o.Attempts++
		res, err := e.api.Allocate(ctx, it.Allocation)
		e.observe(err)
		switch enkash.Classify(err) {
		case enkash.SafetyNone:
			e.applied(o, res)
			return
		case enkash.SafetyRejected:
			var rej *enkash.RejectedError
			errors.As(err, &rej)
			o.Status, o.ErrorCode, o.ErrorMessage = reward.StatusFailed, reward.CodeRejected, rejectionText(rej)
			return
		case enkash.SafetyFatal:
			e.stop.trip("the EnKash login was refused")
			o.Attempts-- // the login or authorisation failed: nothing was applied
			o.ErrorCode, o.ErrorMessage = reward.CodeAuth, err.Error()
			o.Status = reward.StatusNotSent
			return
		case enkash.SafetyNotApplied:
			var le *enkash.LoginError
			if errors.As(err, &le) {
				o.Attempts-- // the token call failed; the allocation never left
			}
			var na *enkash.NotAppliedError
			if errors.As(err, &na) && na.HTTPStatus == 429 {
				e.pause.extend(cmp.Or(na.RetryAfter, e.cfg.Default429))
			}
			if o.Attempts >= e.cfg.MaxAttempts {
				o.Status, o.ErrorCode = reward.StatusFailed, reward.CodeRetriesExhausted
				o.ErrorMessage = fmt.Sprintf("not applied after %d attempts: %v", o.Attempts, err)
				return
			}
			if serr := sleep(ctx, e.stop.ch, e.backoff(o.Attempts)); serr != nil {
				e.notSent(o)
				return
			}
		case enkash.SafetyDuplicate:
			if !e.settle(ctx, o) {
				o.Status, o.ErrorCode = reward.StatusUnknown, reward.CodeDuplicateRef
				o.ErrorMessage = "EnKash says this reference already exists, but the lookup does not show it; do not send it again; run `rewardbatch reconcile` later"
			}
			return
		case enkash.SafetyAmbiguous:
			e.log.Debug("ambiguous answer; looking the reference up", zap.Int("line", it.Line), zap.Error(err))
			_ = sleep(ctx, nil, e.cfg.LookupGrace)
			if e.settle(ctx, o) {
				return
			}
			if o.Attempts >= e.cfg.MaxAttempts {
				o.Status, o.ErrorCode = reward.StatusFailed, reward.CodeRetriesExhausted
				o.ErrorMessage = fmt.Sprintf("EnKash does not have the reference after %d attempts: %v", o.Attempts, err)
				return
			}
		}
	}
}

// settle looks the row's reference up. It reports true when it decided the
// outcome (applied, failed, or not decidable: UNKNOWN), and false when
// EnKash provably does not have the reference, so sending is safe.
func (e *Engine) settle(ctx context.Context, o *reward.Outcome) bool {
	it := o.Item
	var lastErr error
	for try := 1; try <= e.cfg.LookupTries; try++ {
		if err := e.wait(ctx); err != nil && !errors.Is(err, errStopped) {
			lastErr = err
			break
		}
		lk, err := e.api.FindTransactions(ctx, it.Allocation.Reference, it.Allocation.EnkashCardID)
		txns := lk.Transactions
		if err == nil && !lk.Conclusive {
			lastErr = errors.New("an empty lookup without the card proves nothing")
			break
		}
		if err == nil {
			if len(txns) == 0 {
				return false
			}
			a := it.Allocation
			var t enkash.Transaction
			t, o.Status, o.ErrorCode, o.ErrorMessage = Judge(a.Operation, a.Amount, a.Reference, txns)
			o.PGReferenceNumber, o.EnKashCardID, o.EnkashCardTxnID = t.PGReferenceNumber, t.EnKashCardID, t.EnKashTransactionID
			return true
		}
		lastErr = err
		var na *enkash.NotAppliedError
		if !errors.As(err, &na) {
			break
		}
		if na.HTTPStatus == 429 {
			e.pause.extend(cmp.Or(na.RetryAfter, e.cfg.Default429))
		}
		_ = sleep(ctx, nil, e.backoff(try))
	}
	o.Status, o.ErrorCode = reward.StatusUnknown, reward.CodeAmbiguous
	o.ErrorMessage = fmt.Sprintf("sent, but EnKash's answer was lost and the lookup could not settle it (%v); run `rewardbatch reconcile` later", lastErr)
	return true
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

func (e *Engine) notSent(o *reward.Outcome) {
	o.Status, o.ErrorCode = reward.StatusNotSent, reward.CodeStopped
	if o.Attempts > 0 {
		o.ErrorMessage = "not applied; the run stopped before another attempt (" + e.stop.why() + "); a rerun sends it"
	} else {
		o.ErrorMessage = "the run stopped before this row was sent (" + e.stop.why() + "); a rerun sends it"
	}
}

// wait holds a request back for any 429 pause and the shared rate limit.
func (e *Engine) wait(ctx context.Context) error {
	if err := e.pause.wait(ctx, e.stop.ch); err != nil {
		return err
	}
	if err := e.limiter.Wait(ctx); err != nil {
		return err
	}
	return e.pause.wait(ctx, e.stop.ch) // a 429 may have arrived while waiting for a token
}

// observe feeds the failure threshold.
func (e *Engine) observe(err error) {
	if e.brk.observe(err != nil) {
		e.stop.trip(fmt.Sprintf("at least %.0f%% of the last %d requests failed", e.cfg.FailRatio*100, e.cfg.FailWindow))
	}
}

// backoff is a capped exponential delay with jitter for retry n (from 1).
func (e *Engine) backoff(n int) time.Duration {
	d := e.cfg.BackoffBase << min(max(n-1, 0), 16)
	if d > e.cfg.BackoffMax || d <= 0 {
		d = e.cfg.BackoffMax
	}
	return d/2 + rand.N(d/2+1)
}

func (e *Engine) logOutcome(o *reward.Outcome) {
	if ce := e.log.Check(zap.DebugLevel, "row"); ce != nil {
		a := o.Item.Allocation
		ce.Write(zap.Int("line", o.Item.Line), zap.String("reference", a.Reference), zap.String("operation", string(a.Operation)),
			zap.String("status", string(o.Status)), zap.Int("attempts", o.Attempts), zap.String("email", mask.Email(a.Email)),
			zap.String("mobile", mask.Mobile(a.Mobile)), zap.String("code", o.ErrorCode), zap.Duration("latency", o.Latency))
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
