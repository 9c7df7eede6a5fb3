package engine

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// minSettlePause is the shortest pause between two lookups of a parked row.
const minSettlePause = 250 * time.Millisecond

// park settles a row beside the workers: it holds no worker and no rate
// token but its lookups, and gives its place in the report up at once.
func (e *Engine) park(ctx context.Context, r *row) {
	e.parked.Add(1)
	if e.count.parked.Add(1) == 1 {
		e.log.Warn("an answer was lost: such rows are looked up beside the others, for up to --settle-window each",
			zap.Duration("settleWindow", e.cfg.SettleWindow))
	}
	go func() {
		defer e.parked.Done()
		defer e.count.parked.Add(-1)
		defer func() {
			if p := recover(); p != nil {
				e.crashed(r, p)
				_ = e.emit(ctx, result{o: r.o, late: true})
			}
		}()
		e.settleParked(ctx, r)
		e.finish(r)
		_ = e.emit(ctx, result{o: r.o, late: true})
	}()
}

// settleParked looks the row up with growing pauses over the settle
// window. Only a lookup that finds the reference settles it; a row still
// not found ends UNKNOWN, never FAILED, and is not sent again in this run.
// When dispatching stops, the row ends at once with what is known.
func (e *Engine) settleParked(ctx context.Context, r *row) {
	clock := e.g.clock
	deadline := clock.Now().Add(e.cfg.SettleWindow)
	pause := e.cfg.LookupGrace
	for {
		if e.g.sleep(ctx, pause) != nil {
			break
		}
		st := e.settler.Settle(ctx, r.target, &r.o.Evidence)
		r.learn(st)
		if e.settled(r, st) {
			return
		}
		r.last = st
		now := clock.Now()
		if !now.Before(deadline) {
			break
		}
		pause = min(max(2*pause, minSettlePause), deadline.Sub(now))
	}
	e.unsettled(r)
}

// unsettled ends a parked row that no lookup settled: UNKNOWN, with what
// the lookups showed.
func (e *Engine) unsettled(r *row) {
	o, st := r.o, r.last
	if st.Finding == Found { // a status that is not final yet
		e.judged(r, st.Judgement)
		return
	}
	o.Status, o.ErrorCode = reward.StatusUnknown, r.code
	what := "sent, but EnKash's answer was lost"
	switch {
	case r.code == reward.CodeDuplicateRef:
		what = "EnKash says this reference already exists"
	case r.refusal != "":
		what = "EnKash did not take the resend (" + r.refusal + "), but an earlier run's attempt may have been applied"
	case r.sentBefore && o.Attempts == 0:
		what = "an earlier run sent it and never learnt the outcome"
	}
	var why string
	switch st.Finding {
	case Absent:
		why = fmt.Sprintf("%d lookups did not find it yet (it may still be in flight, or in a lagging replica)", o.Evidence.AbsentLookups)
	case Unproven:
		why = "the lookups cannot see it without the card"
	case LookupFailed:
		why = fmt.Sprintf("the lookup failed: %v", st.Err)
	default:
		why = "the run stopped before a lookup could settle it (" + e.g.stop.why() + ")"
	}
	o.ErrorMessage = what + "; " + why + ". Do not send it again by hand: run `rewardbatch reconcile` later, or run the same file again"
	e.log.Debug("row left unknown", zap.Int("line", o.Item.Line), zap.String("why", why), zap.NamedError("cause", r.cause))
}
