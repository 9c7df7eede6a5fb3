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

// beginRow is one row of a Begin: its item, its fingerprint and time, and
// the values its insert records (insertColumns), computed by the caller.
type beginRow struct {
	it        *reward.Item
	fp, stamp string
	vals      []any
}

func (j *Journal) beginRow(it *reward.Item, stamp string) beginRow {
	a := it.Allocation
	fp := Fingerprint(it)
	return beginRow{it, fp, stamp, []any{j.run.Scope, a.Reference, fp, string(a.Operation), a.Amount.String(),
		a.EnkashCardID, person(a), emailToken(a), mobileToken(a), a.CompanyID, a.CardAccountID,
		StateSending, j.run.ID, j.run.ID, j.run.InputSHA256, stamp}}
}

// described is what the row says of its credit, fingerprint to
// card_account_id in insertColumns: the values a correction rewrites.
func (r beginRow) described() []any { return r.vals[2:11] }

// beginChunk records rows before their first request and says for each
// what an earlier run did with its reference. One statement inserts every
// reference never seen (the common case); the others, already held, are
// then examined one by one, in order: the same answers as recording the
// rows one at a time.
func (j *Journal) beginChunk(ctx context.Context, tx txStmts, rows []beginRow) ([]reward.Prior, error) {
	args := make([]any, 0, len(rows)*nInsertColumns)
	for _, r := range rows {
		args = append(args, r.vals...)
	}
	inserted, err := insertedRefs(ctx, tx, len(rows), args)
	if err != nil {
		return nil, fmt.Errorf("recording %d rows from %s on: %w", len(rows), rows[0].it.Allocation.Reference, err)
	}
	priors := make([]reward.Prior, len(rows))
	for i, r := range rows {
		if ref := r.it.Allocation.Reference; inserted[ref] > 0 {
			inserted[ref]-- // the first of the rows with this reference: the one inserted
			priors[i] = reward.Prior{Kind: reward.PriorNew}
			continue
		}
		if priors[i], err = j.examine(ctx, tx, r); err != nil {
			return nil, err
		}
	}
	return priors, nil
}

// insertedRefs runs the insert of n rows and counts the references it
// inserted.
func insertedRefs(ctx context.Context, tx txStmts, n int, args []any) (map[string]int, error) {
	rows, err := tx.query(ctx, stmtKey{stInsert, n}, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	inserted := make(map[string]int, n)
	for rows.Next() {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			return nil, err
		}
		inserted[ref]++
	}
	return inserted, rows.Err()
}

// examine decides about a row whose reference the ledger already held,
// and claims the reference when the row may be sent.
func (j *Journal) examine(ctx context.Context, tx txStmts, r beginRow) (reward.Prior, error) {
	a := r.it.Allocation
	fp, stamp := r.fp, r.stamp
	ref, err := scanRef(tx.queryRow(ctx, stmtKey{kind: stSelectRef}, j.run.Scope, a.Reference))
	if err != nil {
		return reward.Prior{}, fmt.Errorf("reading %s: %w", a.Reference, err)
	}
	onlyRefused := !ref.Ambiguous && (ref.State == StateRejected || ref.State == StateNotApplied)
	if ref.Fingerprint != fp {
		if !onlyRefused {
			return reward.Prior{Kind: reward.PriorConflict, Message: conflictMessage(ref, a)}, nil
		}
		// EnKash never applied it: the corrected row may use the reference.
		args := append(append([]any{}, r.described()...), StateSending, j.run.ID, j.run.InputSHA256, stamp,
			j.run.Scope, a.Reference, ref.Fingerprint)
		res, err := tx.exec(ctx, stmtKey{kind: stCorrect}, args...)
		if err != nil {
			return reward.Prior{}, fmt.Errorf("recording the corrected %s: %w", a.Reference, err)
		}
		if !claimed(res) {
			return claimedElsewhere(a.Reference), nil
		}
		return reward.Prior{Kind: reward.PriorRefused}, nil
	}
	p, resend := priorOf(ref, onlyRefused)
	if !resend {
		return p, nil
	}
	wasSending := ref.State == StateSending // a crash, or a run killed while it sent
	res, err := tx.exec(ctx, stmtKey{kind: stResend}, StateSending, j.run.ID, j.run.InputSHA256,
		boolInt(wasSending), stamp, j.run.Scope, a.Reference, ref.RunID, ref.State)
	if err != nil {
		return reward.Prior{}, fmt.Errorf("recording %s: %w", a.Reference, err)
	}
	if !claimed(res) {
		return claimedElsewhere(a.Reference), nil
	}
	return p, nil
}

// claimed reports whether a conditional claim changed the record.
func claimed(res sql.Result) bool {
	n, err := res.RowsAffected()
	return err == nil && n == 1
}

// claimedElsewhere is the prior of a reference that another run claimed
// between this run's read and its claim: only possible when two processes
// share a ledger without its lock. It is held, never sent.
func claimedElsewhere(ref string) reward.Prior {
	return reward.Prior{Kind: reward.PriorHeld, Message: fmt.Sprintf("another run claimed the reference %s at the same "+
		"moment (two processes on one ledger without its lock); not sent by this run: rerun after it ends", ref)}
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
	case ref.State == StateUnknown && ref.ErrorCode == reward.CodeDuplicateRef:
		// EnKash said the reference exists after one of our answers was
		// lost: an earlier attempt may have been applied. reconcile may
		// still find it; a run never sends it again.
		return reward.Prior{Kind: reward.PriorHeld, Message: fmt.Sprintf("in run %s EnKash said this reference already exists "+
			"after an answer was lost, and no lookup found it yet; it is never resent: run `rewardbatch reconcile %s` "+
			"to look it up again, or check it with EnKash", ref.RunID, ref.RunID)}, false
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
