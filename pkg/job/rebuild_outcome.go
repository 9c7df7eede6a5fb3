package job

import (
	"context"

	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// outcomes turns the items of a run's file back into the outcomes the run
// reported, from the ledger's record of each reference, in batches.
type outcomes struct {
	run     ledger.RunRecord
	ledger  *ledger.Ledger
	stopped string // why the run stopped, from its summary
	pending []*reward.Item
	seq     int
}

const outcomeBatch = 500

func (b *outcomes) add(ctx context.Context, it *reward.Item, emit func(*reward.Outcome) error) error {
	b.pending = append(b.pending, it)
	if len(b.pending) < outcomeBatch {
		return nil
	}
	return b.flush(ctx, emit)
}

func (b *outcomes) flush(ctx context.Context, emit func(*reward.Outcome) error) error {
	refs := make([]string, 0, len(b.pending))
	for _, it := range b.pending {
		if it.Valid {
			refs = append(refs, it.Allocation.Reference)
		}
	}
	found, err := b.ledger.RefsByReference(ctx, b.run.Scope, refs)
	if err != nil {
		return err
	}
	for _, it := range b.pending {
		ref, ok := found[it.Allocation.Reference]
		o := &reward.Outcome{Seq: b.seq, Item: it}
		b.seq++
		switch {
		case !it.Valid:
			o.Status, o.ErrorCode, o.ErrorMessage = reward.StatusInvalid, reward.CodeInvalid, it.ErrorText()
		case !ok:
			o.Status, o.ErrorCode = reward.StatusNotSent, reward.CodeStopped
			o.ErrorMessage = "the run stopped before this row was sent (" + b.why() + "); a rerun sends it"
		default:
			b.fromRef(o, ref)
		}
		if err := emit(o); err != nil {
			return err
		}
	}
	b.pending = b.pending[:0]
	return nil
}

func (b *outcomes) why() string {
	if b.stopped == "" {
		return "the run did not finish"
	}
	return b.stopped
}

// fromRef is the outcome the ledger's record of the row's reference
// shows; see ledger.StateOf for the mapping it reverses.
func (b *outcomes) fromRef(o *reward.Outcome, ref ledger.Ref) {
	own := ref.RunID == b.run.ID
	switch {
	case ref.Fingerprint != ledger.Fingerprint(o.Item):
		o.Status, o.ErrorCode, o.ErrorMessage = reward.StatusFailed, reward.CodeConflict, ledger.ConflictMessage(ref, o.Item)
		return
	case !own && ref.State == ledger.StateConfirmed:
		o.Status = reward.StatusSkipped
		o.Receipt = receiptOf(ref)
		return
	case !own && ref.State == ledger.StateMismatch:
		o.Status, o.ErrorCode, o.ErrorMessage = reward.StatusMismatch, reward.CodeHeld, ledger.HeldMessage(ref)
		return
	}
	o.Receipt, o.Attempts, o.ErrorCode, o.ErrorMessage = receiptOf(ref), ref.Attempts, ref.ErrorCode, ref.ErrorMessage
	switch ref.State {
	case ledger.StateConfirmed:
		o.Status = reward.StatusMatched
	case ledger.StateMismatch:
		o.Status = reward.StatusMismatch
	case ledger.StateRejected:
		o.Status = reward.StatusFailed
	case ledger.StateNotApplied:
		o.Status = reward.StatusFailed
		if ref.ErrorCode == reward.CodeStopped || ref.ErrorCode == reward.CodeAuth {
			o.Status = reward.StatusNotSent
		}
	case ledger.StateSending:
		o.Status, o.ErrorCode = reward.StatusUnknown, reward.CodeAmbiguous
		o.ErrorMessage = "sent, but the run recorded no outcome (it was stopped at once or killed); run `rewardbatch reconcile` to settle it"
	default:
		o.Status = reward.StatusUnknown
	}
}

func receiptOf(ref ledger.Ref) reward.Receipt {
	return reward.Receipt{PGReferenceNumber: ref.PGReference, EnKashCardID: ref.EnKashCard, EnkashCardTxnID: ref.EnKashTxn,
		OTBBalance: ref.OTBBalance}
}
