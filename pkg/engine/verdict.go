package engine

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// Judgement is what a lookup that found a reference says of the row.
type Judgement struct {
	// Status is MATCHED or MISMATCH (applied), FAILED (EnKash recorded
	// every try as failed: not applied), or UNKNOWN with code PENDING (a
	// status that is not final yet).
	Status  reward.Status
	Code    string
	Message string
	// Receipt holds EnKash's ids of the transaction judged.
	Receipt reward.Receipt
}

// Judge settles a row from the transactions a lookup found under its
// reference (at least one). Only a success status is applied; a pending
// one keeps the row UNKNOWN, since it may still fail or succeed; a failed
// one is not applied. Two applied transactions are APPLIED_TWICE.
func Judge(op reward.Operation, amount money.Amount, ref string, txns []enkash.Transaction) Judgement {
	var applied, pending, failed []enkash.Transaction
	for _, t := range txns {
		switch t.State() {
		case enkash.TxnApplied:
			applied = append(applied, t)
		case enkash.TxnFailed:
			failed = append(failed, t)
		default:
			pending = append(pending, t)
		}
	}
	switch {
	case len(applied) > 1:
		return Judgement{Status: reward.StatusMismatch, Code: reward.CodeAppliedTwice, Receipt: receiptOf(applied[0]),
			Message: fmt.Sprintf("EnKash applied reference %s %d times; ask EnKash to reverse the extra ones", ref, len(applied))}
	case len(pending) > 0:
		j := Judgement{Status: reward.StatusUnknown, Code: reward.CodePending, Receipt: receiptOf(pending[0]),
			Message: fmt.Sprintf("EnKash has reference %s with status %s, which is not final; run `rewardbatch reconcile` later", ref, pending[0].Status)}
		if len(applied) > 0 {
			j.Message += " (another transaction of it is applied: it may end applied twice)"
		}
		return j
	case len(applied) == 1:
		return Verdict(op, amount, ref, applied[0])
	}
	return Judgement{Status: reward.StatusFailed, Code: reward.CodeTxnFailed, Receipt: receiptOf(failed[0]),
		Message: fmt.Sprintf("EnKash recorded the transaction with status %s: not applied; a rerun of the file sends it again", failed[0].Status)}
}

// Verdict judges an applied transaction that a lookup found under
// reference ref, for a row that asked for op and amount: MATCHED when it
// is what the row asked for, MISMATCH when EnKash has the reference with
// another amount or type.
func Verdict(op reward.Operation, amount money.Amount, ref string, t enkash.Transaction) Judgement {
	wantType := enkash.TypeCredit
	if op == reward.OpDebit {
		wantType = enkash.TypeDebit
	}
	j := Judgement{Status: reward.StatusMatched, Receipt: receiptOf(t)}
	if !sameAmount(t.Amount.String(), amount.Hundredths()) || (t.CardTransactionType != "" && !strings.EqualFold(t.CardTransactionType, wantType)) {
		j.Status, j.Code = reward.StatusMismatch, reward.CodeAmountMismatch
		j.Message = fmt.Sprintf("EnKash has reference %s as %s %s, the row asks for %s %s", ref, t.CardTransactionType, t.Amount, wantType, amount)
	}
	return j
}

func receiptOf(t enkash.Transaction) reward.Receipt {
	return reward.Receipt{PGReferenceNumber: t.PGReferenceNumber, EnKashCardID: t.EnKashCardID, EnkashCardTxnID: t.EnKashTransactionID}
}

// sameAmount compares an amount EnKash printed, in any JSON number form
// (12.5, 1.25E1, "12.50"), with hundredths, exactly; an unreadable amount
// is not the same.
func sameAmount(reported string, hundredths int64) bool {
	r, ok := new(big.Rat).SetString(strings.Trim(strings.TrimSpace(reported), `"`))
	return ok && r.Cmp(new(big.Rat).SetFrac64(hundredths, 100)) == 0
}
