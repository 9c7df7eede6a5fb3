package engine

import (
	"fmt"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// Judge settles a row from the transactions a lookup found under its
// reference (at least one): it judges the applied one with [Verdict], and
// reports MISMATCH when EnKash applied the reference more than once.
func Judge(op reward.Operation, amount money.Amount, ref string, txns []enkash.Transaction) (enkash.Transaction, reward.Status, string, string) {
	var applied []enkash.Transaction
	for _, t := range txns {
		if !isFailedStatus(t.Status) {
			applied = append(applied, t)
		}
	}
	switch len(applied) {
	case 0:
		st, code, msg := Verdict(op, amount, ref, txns[0])
		return txns[0], st, code, msg
	case 1:
		st, code, msg := Verdict(op, amount, ref, applied[0])
		return applied[0], st, code, msg
	}
	return applied[0], reward.StatusMismatch, reward.CodeAppliedTwice, fmt.Sprintf("EnKash applied reference %s %d times; ask EnKash to reverse the extra ones", ref, len(applied))
}

// Verdict judges a transaction that a lookup found under reference ref,
// for a row that asked for op and amount: MATCHED when it is what the row
// asked for, MISMATCH when EnKash has the reference with another amount or
// type, FAILED when EnKash recorded it as failed.
func Verdict(op reward.Operation, amount money.Amount, ref string, t enkash.Transaction) (reward.Status, string, string) {
	wantType := enkash.TypeCredit
	if op == reward.OpDebit {
		wantType = enkash.TypeDebit
	}
	switch {
	case isFailedStatus(t.Status):
		return reward.StatusFailed, reward.CodeTxnFailed, fmt.Sprintf("EnKash recorded the transaction with status %s", t.Status)
	case !sameAmount(t.Amount.String(), amount.Hundredths()) || (t.CardTransactionType != "" && t.CardTransactionType != wantType):
		return reward.StatusMismatch, reward.CodeAmountMismatch, fmt.Sprintf("EnKash has reference %s as %s %s, the row asks for %s %s",
			ref, t.CardTransactionType, t.Amount, wantType, amount)
	}
	return reward.StatusMatched, "", ""
}

func isFailedStatus(s string) bool {
	switch strings.ToUpper(s) {
	case "FAILED", "FAILURE", "DECLINED", "REVERSED", "CANCELLED", "CANCELED", "REJECTED":
		return true
	}
	return false
}

// sameAmount compares an amount EnKash reported with hundredths; an
// unreadable amount is not the same.
func sameAmount(reported string, hundredths int64) bool {
	a, err := money.Parse(reported)
	return err == nil && a.Hundredths() == hundredths
}
