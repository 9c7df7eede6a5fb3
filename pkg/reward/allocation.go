package reward

import "github.com/rewardbatch/rewardbatch/pkg/money"

// Operation is what a row asks EnKash to do.
type Operation string

// The operations of an allocation file.
const (
	OpAllocate Operation = "allocate" // create the user and card if new, then credit
	OpTopUp    Operation = "topup"    // credit an existing card
	OpDebit    Operation = "debit"    // take points back from a card
)

// Operations lists every operation, in the order plans and reports show them.
var Operations = []Operation{OpAllocate, OpTopUp, OpDebit}

// IsCredit reports whether the operation adds points to a card.
func (o Operation) IsCredit() bool { return o == OpAllocate || o == OpTopUp }

// Allocation is one create-allocate-points call, in domain terms.
type Allocation struct {
	Operation     Operation
	Reference     string // our uniqueReferenceNumber; EnKash echoes it as pgReferenceNumber
	CompanyID     string // empty: the configured company
	CardAccountID string // empty: the configured reward account
	EnkashCardID  string // the card, for topup and debit
	FirstName     string
	Title         string
	Gender        string
	Email         string
	Mobile        string
	Amount        money.Amount
}
