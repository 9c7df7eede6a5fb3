package ledger

import (
	"context"
	"fmt"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// RefsByReference returns the records of the given references in scope,
// keyed by reference; a reference the ledger does not have is absent.
// `rewardbatch report` reads a run's outcomes with it.
func (l *Ledger) RefsByReference(ctx context.Context, scope string, refs []string) (map[string]Ref, error) {
	out := make(map[string]Ref, len(refs))
	for len(refs) > 0 {
		n := min(len(refs), 500)
		args := make([]any, 0, n+1)
		args = append(args, scope)
		for _, r := range refs[:n] {
			args = append(args, r)
		}
		found, err := queryAll(ctx, l.db, scanRef, "references", `SELECT `+refColumns+` FROM refs WHERE scope = ? AND reference IN (?`+
			strings.Repeat(",?", n-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, r := range found {
			out[r.Reference] = r
		}
		refs = refs[n:]
	}
	return out, nil
}

// ConflictMessage is why a row whose reference an earlier run used for
// something else is not sent.
func ConflictMessage(ref Ref, it *reward.Item) string {
	a := it.Allocation
	return fmt.Sprintf("the reference %s was used by run %s for %s %s (%s); this row asks for %s %s: not sent. "+
		"If this is a new payment, give it a new reference", a.Reference, ref.FirstRunID, ref.Operation, ref.Amount,
		ref.Person+ref.CardID, a.Operation, a.Amount)
}

// HeldMessage is why a row whose earlier answer did not match is not
// resent.
func HeldMessage(ref Ref) string {
	return fmt.Sprintf("run %s got an answer that did not match (%s); "+
		"it is not resent automatically: check the transaction with EnKash", ref.RunID, ref.ErrorMessage)
}
