package engine

import (
	"context"

	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// Journal is a durable record of what was sent, consulted before a row's
// first request leaves the process. The ledger implements it.
type Journal interface {
	// Begin is called before rows are sent, with a batch of them. It must
	// have made every row's reference and fingerprint durable when it
	// returns, and it reports, row by row, what an earlier run did with the
	// reference.
	Begin(ctx context.Context, items []*validate.Item) ([]Prior, error)
	// Record stores a row's outcome. It may batch writes: an outcome lost
	// in a crash is recovered by a lookup on the next run.
	Record(o *Outcome) error
}

// PriorKind is what an earlier run did with a reference.
type PriorKind int

// The kinds of [Prior].
const (
	PriorNew       PriorKind = iota // never seen: send it
	PriorDone                       // confirmed applied: do not send (SKIPPED)
	PriorConflict                   // used for another person or amount: refuse
	PriorUnsettled                  // sent, outcome never recorded: look it up first
	PriorHeld                       // an earlier answer did not match: never resend automatically
)

// Prior is an earlier run's record of a reference.
type Prior struct {
	Kind              PriorKind
	PGReferenceNumber string
	EnKashCardID      string
	EnkashCardTxnID   string
	OTBBalance        string
	Message           string // for PriorConflict and PriorHeld: why the row is not sent
}
