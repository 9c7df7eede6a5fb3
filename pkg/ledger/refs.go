package ledger

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// Ref is the ledger's record of one reference.
type Ref struct {
	Scope, Reference, Fingerprint, Operation, Amount, CardID, Person string
	// Email, Mobile, CompanyID and CardAccountID are the rest of what the
	// fingerprint covers (empty in records made before schema version 2);
	// Email and Mobile are tokens: the masked value and a hash, never the
	// value itself.
	Email, Mobile, CompanyID, CardAccountID        string
	State, RunID, FirstRunID                       string
	PGReference, EnKashCard, EnKashTxn, OTBBalance string
	ErrorCode, ErrorMessage                        string
	Attempts                                       int
	// Ambiguous is set once any attempt's outcome was unknown (a lost
	// answer, a crash while sending, a lookup): such a reference is never
	// taken for one that EnKash only ever refused.
	Ambiguous bool
	// Evidence is what lookups showed since the last attempt.
	Evidence  reward.Evidence
	UpdatedAt time.Time
}

const refColumns = `scope, reference, fingerprint, operation, amount, card_id, person, email, mobile, company_id,
	card_account_id, state, run_id, first_run_id, pg_reference, enkash_card, enkash_txn, otb_balance, error_code,
	error_message, attempts, ambiguous, last_attempt_at, absent_lookups, first_absent_at, last_absent_at, updated_at`

func scanRef(sc interface{ Scan(...any) error }) (Ref, error) {
	var (
		r                                  Ref
		last, firstAbsent, lastAbsent, upd string
	)
	err := sc.Scan(&r.Scope, &r.Reference, &r.Fingerprint, &r.Operation, &r.Amount, &r.CardID, &r.Person, &r.Email,
		&r.Mobile, &r.CompanyID, &r.CardAccountID, &r.State, &r.RunID, &r.FirstRunID, &r.PGReference, &r.EnKashCard,
		&r.EnKashTxn, &r.OTBBalance, &r.ErrorCode, &r.ErrorMessage, &r.Attempts, &r.Ambiguous, &last,
		&r.Evidence.AbsentLookups, &firstAbsent, &lastAbsent, &upd)
	r.Evidence.LastAttemptAt = parseTime(last)
	r.Evidence.FirstAbsentAt = parseTime(firstAbsent)
	r.Evidence.LastAbsentAt = parseTime(lastAbsent)
	r.UpdatedAt = parseTime(upd)
	return r, err
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// stamp formats a time for the ledger; the zero time is "".
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// evidenceArgs are the evidence columns' values, in refColumns' order.
func evidenceArgs(e reward.Evidence) []any {
	return []any{stamp(e.LastAttemptAt), e.AbsentLookups, stamp(e.FirstAbsentAt), stamp(e.LastAbsentAt)}
}

// RefsOfRun returns the references a run recorded in the given state.
func (l *Ledger) RefsOfRun(ctx context.Context, runID, state string) ([]Ref, error) {
	return queryAll(ctx, l.db, scanRef, "references", `SELECT `+refColumns+` FROM refs WHERE run_id = ? AND state = ?`, runID, state)
}

// Settle records the settled outcome of a reference (reconcile), with
// the evidence of its lookups. A reference settled by a lookup had an
// ambiguous attempt, and stays marked so.
func (l *Ledger) Settle(ctx context.Context, r Ref) error {
	args := append([]any{r.State, r.PGReference, r.EnKashCard, r.EnKashTxn, r.ErrorCode, r.ErrorMessage},
		evidenceArgs(r.Evidence)...)
	args = append(args, now(), r.Scope, r.Reference)
	_, err := l.db.ExecContext(ctx, `UPDATE refs SET state = ?, pg_reference = ?, enkash_card = ?, enkash_txn = ?,
		error_code = ?, error_message = ?, ambiguous = 1, last_attempt_at = ?, absent_lookups = ?, first_absent_at = ?,
		last_absent_at = ?, updated_at = ? WHERE scope = ? AND reference = ?`, args...)
	if err != nil {
		return fmt.Errorf("ledger: settling %s: %w", r.Reference, err)
	}
	return nil
}

// ConfirmedAmounts returns, among refs, the ones confirmed in scope, with
// their amounts.
func (l *Ledger) ConfirmedAmounts(ctx context.Context, scope string, refs []string) (map[string]string, error) {
	out := map[string]string{}
	for len(refs) > 0 {
		n := min(len(refs), 500)
		args := make([]any, 0, n+1)
		args = append(args, scope)
		for _, r := range refs[:n] {
			args = append(args, r)
		}
		pairs, err := queryAll(ctx, l.db, func(sc interface{ Scan(...any) error }) ([2]string, error) {
			var p [2]string
			err := sc.Scan(&p[0], &p[1])
			return p, err
		}, "confirmed references", `SELECT reference, amount FROM refs WHERE scope = ? AND state = '`+StateConfirmed+
			`' AND reference IN (?`+strings.Repeat(",?", n-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, p := range pairs {
			out[p[0]] = p[1]
		}
		refs = refs[n:]
	}
	return out, nil
}
