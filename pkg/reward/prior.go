package reward

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
	Kind PriorKind
	Receipt
	Message string // for PriorConflict and PriorHeld: why the row is not sent
}
