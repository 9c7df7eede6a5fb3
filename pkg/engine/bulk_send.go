package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// bulkSend runs the attempts of one batch and returns each row's action,
// by the rules of [Engine.send]: only a whole call that provably never
// reached EnKash (a 429, a connection never made, a failed token call) is
// sent again, as a batch, under the same MaxAttempts and backoff. A row
// the answer lists as applied is done; one it lists as refused is a
// single call's refusal; every other row, and every row of a call whose
// answer was lost, is parked for the lookups and never resent on an
// absence alone.
func (e *Engine) bulkSend(ctx context.Context, api BulkAPI, rows []*row) []action {
	acts := make([]action, len(rows))
	for _, r := range rows {
		if e.journal != nil && !r.begun {
			// the begin stage records every row before a worker sees it
			panic("engine: a row reached the bulk call before the journal recorded it")
		}
	}
	live := make([]int, len(rows))
	for i := range live {
		live[i] = i
	}
	e.bulkCall(ctx, api, rows, live, acts)
	return acts
}

// bulkCall sends the rows live in one call, again while EnKash provably
// did not take it, and sets their actions. When EnKash refuses the whole
// call with HTTP 400 in a body that proves nothing was applied (the client
// judges that, see [enkash.Client.AllocateBulk]), which is how a server
// meets an array larger than it allows (the limit is not documented), the
// call was not applied: its rows are sent in two halves, down to single
// rows, so that only a row EnKash refuses on its own fails. A refusal
// (of any status) whose body does not prove that comes as an ambiguous
// error, with the answer its payload holds, if any: its rows are settled
// by the answer or looked up, never sent again. It reports whether the
// call met a 400 (and was split, its one row refused, or settled from its
// answer).
func (e *Engine) bulkCall(ctx context.Context, api BulkAPI, rows []*row, live []int, acts []action) bool {
	for len(live) > 0 {
		if e.g.stop.tripped() || e.g.wait(ctx, true) != nil {
			for _, i := range live {
				acts[i] = e.stopped(rows[i])
			}
			return false
		}
		allocs := make([]reward.Allocation, len(live))
		for k, i := range live {
			rows[i].o.Attempts++
			allocs[k] = rows[i].o.Item.Allocation
		}
		at := e.g.clock.Now()
		sent := e.roster.sending(ctx)
		ans, err := api.AllocateBulk(ctx, allocs)
		sent()
		switch {
		case ans != nil && err != nil:
			e.bulkPartly(rows, live, acts, ans, err, at)
			return true
		case !badRequest(err):
			live = e.bulkAnswered(ctx, rows, live, acts, ans, err, at)
		case len(live) == 1:
			e.bulkAnswered(ctx, rows, live, acts, ans, err, at) // refused on its own
			return true
		default:
			e.split(ctx, api, rows, live, acts, err)
			return true
		}
	}
	return false
}

// split sends the rows of a call EnKash refused as a whole with HTTP 400,
// in a body that proves nothing was applied, in two halves. When neither
// half meets a 400, the size was the cause: later batches are no larger
// than the larger half.
func (e *Engine) split(ctx context.Context, api BulkAPI, rows []*row, live []int, acts []action, err error) {
	for _, i := range live {
		rows[i].splits++
	}
	half := len(live) / 2
	e.log.Info("EnKash refused a bulk call as a whole with HTTP 400, in a body that proves nothing of it was applied; sending its rows in two halves",
		zap.Int("rows", len(live)), zap.Error(err))
	first := e.bulkCall(ctx, api, rows, live[:half], acts)
	second := e.bulkCall(ctx, api, rows, live[half:], acts)
	if !first && !second {
		e.bulk.lower(len(live) - half)
	}
}

// badRequest reports whether err is a whole call refused with HTTP 400
// (and no answer came with it: see [Engine.bulkCall]).
func badRequest(err error) bool {
	var rej *enkash.RejectedError
	return errors.As(err, &rej) && rej.HTTPStatus == http.StatusBadRequest
}

// bulkAnswered sets the action of each live row from one call's answer,
// and returns the rows to send again.
func (e *Engine) bulkAnswered(ctx context.Context, rows []*row, live []int, acts []action, ans *enkash.BulkAnswer, err error, at time.Time) []int {
	safety := enkash.Classify(err)
	if safety == enkash.SafetyNone {
		e.bulkSettled(rows, live, acts, ans, nil, at)
		return nil
	}
	e.observe(err)
	var again []int
	for _, i := range live {
		r := rows[i]
		switch safety {
		case enkash.SafetyRejected:
			acts[i] = e.rejected(r, err) // a whole-call refusal (422, 404) proves this attempt was not applied
		case enkash.SafetyFatal:
			acts[i] = e.authRefused(r, err)
		case enkash.SafetyNotApplied:
			if e.bulkNotApplied(r, err) {
				again = append(again, i)
			} else {
				acts[i] = e.exhausted(r, err)
			}
		default:
			// Ambiguous, or a duplicate refusal of the whole call, which
			// says no more than that some reference of it reached EnKash
			// before: every row is looked up.
			acts[i] = e.lost(r, err, at)
		}
	}
	if len(again) > 0 {
		e.g.notApplied(err)
		if e.g.sleep(ctx, e.g.retryDelay(max(rows[again[0]].o.Attempts, 1), err)) != nil {
			for _, i := range again {
				acts[i] = e.stopped(rows[i])
			}
			return nil
		}
	}
	return again
}

// bulkPartly settles the rows of a call EnKash refused (HTTP 400, 404,
// 422, or 200 with a non-zero code) in a body that does not prove nothing
// was applied (cause says so): part of the call may have been applied, so
// no row is sent again. A row the answer lists is settled by it; every
// other row is looked up.
func (e *Engine) bulkPartly(rows []*row, live []int, acts []action, ans *enkash.BulkAnswer, cause error, at time.Time) {
	e.log.Warn("EnKash refused a bulk call, but its answer does not prove that nothing was applied: "+
		"the rows it lists are settled by it, the others are looked up, and none is sent again", zap.Int("rows", len(live)), zap.Error(cause))
	e.bulkSettled(rows, live, acts, ans, cause, at)
}

// bulkSettled settles each row of a call EnKash answered, by its
// reference alone. cause is the error the answer came with (a refusal
// that lists items), nil for a success.
func (e *Engine) bulkSettled(rows []*row, live []int, acts []action, ans *enkash.BulkAnswer, cause error, at time.Time) {
	applied, unsettled := 0, 0
	for _, i := range live {
		r := rows[i]
		f := ans.Finding(r.o.Item.Allocation.Reference)
		switch f.State {
		case enkash.BulkApplied:
			applied++
			e.applied(r.o, f.Applied)
			acts[i] = actDone
		case enkash.BulkRefused:
			if enkash.Classify(f.Err) == enkash.SafetyDuplicate {
				acts[i] = e.duplicate(r, f.Err, at)
			} else {
				acts[i] = e.rejected(r, f.Err)
			}
		default:
			unsettled++
			why := errors.New("the bulk answer does not settle it: " + f.Why)
			if cause != nil {
				why = fmt.Errorf("%w; %w", cause, why)
			}
			acts[i] = e.lost(r, why, at)
		}
	}
	// The failure threshold watches requests: a bulk call failed when it
	// was refused, or refused every row. Rows the answer leaves unsettled
	// (a counts-only answer, items without their reference) are looked up,
	// not failures.
	failed := cause
	if failed == nil && applied == 0 && unsettled == 0 {
		failed = errors.New("the bulk call refused every row")
	}
	e.observe(failed)
	e.logBatch(ans, len(live), unsettled)
}

// bulkNotApplied counts a call that provably did not take effect against
// a row, and reports whether the row may be sent again. The calls split
// after a whole refusal do not count: a row deep in a split would
// otherwise meet its first 429 with no retry left.
func (e *Engine) bulkNotApplied(r *row, err error) bool {
	return !e.loginsExhausted(r, err) && r.o.Attempts-r.splits < e.cfg.MaxAttempts
}

// exhausted ends a row no attempt of which was applied.
func (e *Engine) exhausted(r *row, err error) action {
	if e.g.stop.tripped() {
		return e.stopped(r)
	}
	r.o.Status, r.o.ErrorCode = reward.StatusFailed, reward.CodeRetriesExhausted
	r.o.ErrorMessage = fmt.Sprintf("not applied after %d attempts: %v", r.o.Attempts, err)
	return actDone
}
