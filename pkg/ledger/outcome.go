package ledger

import (
	"context"
	"fmt"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// pendingOutcome is an outcome waiting for its commit: its reference and
// the values it records (v.column1 to v.column15 of outcomeSet), computed
// by the caller of Record.
type pendingOutcome struct {
	ref  string
	vals []any
}

func newPendingOutcome(o *reward.Outcome) pendingOutcome {
	vals := make([]any, 0, nOutcomeColumns)
	vals = append(vals, StateOf(o.Status, o.ErrorCode), o.PGReferenceNumber, o.EnKashCardID, o.EnkashCardTxnID,
		o.OTBBalance, o.ErrorCode, o.ErrorMessage, o.Attempts, boolInt(ambiguous(o)))
	vals = append(append(vals, evidenceArgs(o.Evidence)...), now(), o.Item.Allocation.Reference)
	return pendingOutcome{ref: o.Item.Allocation.Reference, vals: vals}
}

// outcomeChunks cuts outcomes into statements (see chunks), in order,
// and never two outcomes of one reference in one statement: an UPDATE ...
// FROM applies only one of them, and attempts add up.
func outcomeChunks(outs []pendingOutcome) [][]pendingOutcome {
	var out [][]pendingOutcome
	refs := make(map[string]bool, len(outs))
	start := 0
	for i, o := range outs {
		if refs[o.ref] {
			out = append(out, chunks(outs[start:i])...)
			start = i
			clear(refs)
		}
		refs[o.ref] = true
	}
	return append(out, chunks(outs[start:])...)
}

// recordChunk records outcomes in one statement.
func (j *Journal) recordChunk(ctx context.Context, tx txStmts, outs []pendingOutcome) error {
	args := make([]any, 0, len(outs)*nOutcomeColumns+1)
	for _, o := range outs {
		args = append(args, o.vals...)
	}
	args = append(args, j.run.Scope)
	if _, err := tx.exec(ctx, stmtKey{stOutcome, len(outs)}, args...); err != nil {
		return fmt.Errorf("recording the outcomes of %d rows from %s on: %w", len(outs), outs[0].ref, err)
	}
	return nil
}

// recorded reports whether an outcome is worth recording.
func recorded(o *reward.Outcome) bool {
	skippedFromLedger := o.Status == reward.StatusSkipped && o.ErrorCode != reward.CodeAlreadyAtEnKash
	// Nothing new to remember in these (the last: a refusal repeated from
	// the ledger, not sent). A row found at EnKash before its first send
	// is recorded: it is confirmed from now on.
	return !(skippedFromLedger || o.Status == reward.StatusInvalid || o.ErrorCode == reward.CodeConflict ||
		o.ErrorCode == reward.CodeHeld || (o.ErrorCode == reward.CodeRejected && o.Attempts == 0))
}

// StateOf maps an outcome's status and error code to the state a rerun
// acts on.
func StateOf(status reward.Status, code string) string {
	switch status {
	case reward.StatusMatched, reward.StatusSkipped: // SKIPPED reaches here only when found at EnKash
		return StateConfirmed
	case reward.StatusMismatch:
		return StateMismatch
	case reward.StatusUnknown:
		return StateUnknown
	case reward.StatusFailed:
		if code == reward.CodeRejected || code == reward.CodeTxnFailed {
			return StateRejected
		}
	}
	return StateNotApplied
}

// ambiguous reports whether an outcome leaves any doubt that EnKash
// applied the row: only a refusal, or failures that provably never
// reached EnKash, leave none.
func ambiguous(o *reward.Outcome) bool {
	if o.Evidence != (reward.Evidence{}) {
		return true // lookups were needed: the answer was lost
	}
	if o.Status.Done() {
		return false
	}
	switch o.ErrorCode {
	case reward.CodeRejected, reward.CodeRetriesExhausted, reward.CodeStopped, reward.CodeAuth, reward.CodeRemoteCheck:
		return o.Status == reward.StatusUnknown
	}
	return true
}
