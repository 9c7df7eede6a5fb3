package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/mask"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// begin records one row before its first request and says what an earlier
// run did with its reference.
func (j *Journal) begin(ctx context.Context, tx *sql.Tx, it *reward.Item, stamp string) (reward.Prior, error) {
	a := it.Allocation
	fp := Fingerprint(it)
	res, err := tx.StmtContext(ctx, j.stmts.insert).ExecContext(ctx, j.run.Scope, a.Reference, fp, string(a.Operation),
		a.Amount.String(), a.EnkashCardID, person(a), emailToken(a), mobileToken(a), a.CompanyID, a.CardAccountID,
		StateSending, j.run.ID, j.run.ID, j.run.InputSHA256, stamp)
	if err != nil {
		return reward.Prior{}, fmt.Errorf("recording %s: %w", a.Reference, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return reward.Prior{Kind: reward.PriorNew}, nil // the common case: a reference never seen
	}
	ref, err := scanRef(tx.StmtContext(ctx, j.stmts.selectRef).QueryRowContext(ctx, j.run.Scope, a.Reference))
	if err != nil {
		return reward.Prior{}, fmt.Errorf("reading %s: %w", a.Reference, err)
	}
	onlyRefused := !ref.Ambiguous && (ref.State == StateRejected || ref.State == StateNotApplied)
	if ref.Fingerprint != fp {
		if !onlyRefused {
			return reward.Prior{Kind: reward.PriorConflict, Message: conflictMessage(ref, a)}, nil
		}
		// EnKash never applied it: the corrected row may use the reference.
		_, err := tx.StmtContext(ctx, j.stmts.correct).ExecContext(ctx, fp, string(a.Operation), a.Amount.String(),
			a.EnkashCardID, person(a), emailToken(a), mobileToken(a), a.CompanyID, a.CardAccountID, StateSending,
			j.run.ID, j.run.InputSHA256, stamp, j.run.Scope, a.Reference)
		if err != nil {
			return reward.Prior{}, fmt.Errorf("recording the corrected %s: %w", a.Reference, err)
		}
		return reward.Prior{Kind: reward.PriorRefused}, nil
	}
	p, resend := priorOf(ref, onlyRefused)
	if !resend {
		return p, nil
	}
	wasSending := ref.State == StateSending // a crash, or a run killed while it sent
	if _, err := tx.StmtContext(ctx, j.stmts.resend).ExecContext(ctx, StateSending, j.run.ID, j.run.InputSHA256,
		wasSending, stamp, j.run.Scope, a.Reference); err != nil {
		return reward.Prior{}, fmt.Errorf("recording %s: %w", a.Reference, err)
	}
	return p, nil
}

// priorOf turns the record of an unchanged row into its prior; resend
// says whether the row may leave again (it is then marked SENDING).
func priorOf(ref Ref, onlyRefused bool) (p reward.Prior, resend bool) {
	switch {
	case ref.State == StateConfirmed:
		return reward.Prior{Kind: reward.PriorDone, Receipt: reward.Receipt{PGReferenceNumber: ref.PGReference,
			EnKashCardID: ref.EnKashCard, EnkashCardTxnID: ref.EnKashTxn, OTBBalance: ref.OTBBalance}}, false
	case ref.State == StateMismatch:
		return reward.Prior{Kind: reward.PriorHeld, Message: fmt.Sprintf("run %s got an answer that did not match (%s); "+
			"it is not resent automatically: check the transaction with EnKash", ref.RunID, ref.ErrorMessage)}, false
	case onlyRefused && ref.State == StateRejected:
		return reward.Prior{Kind: reward.PriorRejected, Message: fmt.Sprintf("EnKash refused this reference in run %s (%s); "+
			"the row is unchanged, so it is not sent again: correct the row (keeping its reference) and feed it back",
			ref.RunID, ref.ErrorMessage)}, false
	case onlyRefused: // NOT_APPLIED, never ambiguous: it provably never reached EnKash
		return reward.Prior{Kind: reward.PriorNew}, true
	case ref.State == StateSending:
		// The attempt's time is unknown: the engine starts the clock at
		// its first absent lookup.
		return reward.Prior{Kind: reward.PriorUnsettled}, true
	default: // UNKNOWN, or a refusal or absence after an ambiguous attempt
		return reward.Prior{Kind: reward.PriorUnsettled, Evidence: ref.Evidence}, true
	}
}

// The ledger keeps no full personal data: an e-mail or a mobile is kept as
// a token, its masked form and a hash, enough to tell that it changed and
// to show which one it was.
func emailToken(a reward.Allocation) string  { return token(mask.Email, strings.ToLower(a.Email)) }
func mobileToken(a reward.Allocation) string { return token(mask.Mobile, a.Mobile) }

func token(maskFn func(string) string, v string) string {
	if v == "" {
		return ""
	}
	h := sha256.Sum256([]byte("rewardbatch personal field\x1f" + v))
	return maskFn(v) + "#" + hex.EncodeToString(h[:8])
}

// shown is the masked part of a token.
func shown(tok string) string {
	if i := strings.LastIndexByte(tok, '#'); i >= 0 {
		return tok[:i]
	}
	return tok
}

// person is the masked e-mail, else the masked mobile, of a row.
func person(a reward.Allocation) string {
	if p := mask.Email(a.Email); p != "" {
		return p
	}
	return mask.Mobile(a.Mobile)
}

// conflictMessage names every field of the fingerprint that differs,
// with the earlier and the new value (personal data masked).
func conflictMessage(ref Ref, a reward.Allocation) string {
	type field struct{ name, was, now, wasShown, nowShown string }
	plain := func(name, was, now string) field { return field{name, was, now, was, now} }
	fields := []field{
		plain("operation", ref.Operation, string(a.Operation)),
		plain("amount", ref.Amount, a.Amount.String()),
		plain("enKashCardId", ref.CardID, a.EnkashCardID),
	}
	if ref.Email != "" || ref.Mobile != "" || ref.CompanyID != "" { // kept since schema version 2
		fields = append(fields,
			field{"email", ref.Email, emailToken(a), shown(ref.Email), mask.Email(a.Email)},
			field{"mobile", ref.Mobile, mobileToken(a), shown(ref.Mobile), mask.Mobile(a.Mobile)},
			plain("companyId", ref.CompanyID, a.CompanyID),
			plain("cardAccountId", ref.CardAccountID, a.CardAccountID))
	}
	var diffs []string
	for _, f := range fields {
		if f.was != f.now {
			diffs = append(diffs, fmt.Sprintf("%s was %q, now %q", f.name, f.wasShown, f.nowShown))
		}
	}
	if len(diffs) == 0 {
		diffs = append(diffs, "the person or account differs (this ledger entry predates the record of which)")
	}
	return fmt.Sprintf("the reference %s was used by run %s for %s %s (%s); this row asks for %s %s: not sent. "+
		"If this is a new payment, give it a new reference; if it corrects the earlier one, do not resend it: "+
		"EnKash may have applied the earlier row. What differs: %s", a.Reference, ref.FirstRunID, ref.Operation, ref.Amount,
		ref.Person+ref.CardID, a.Operation, a.Amount, strings.Join(diffs, "; "))
}
