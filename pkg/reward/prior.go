package reward

import "time"

// PriorKind is what an earlier run did with a reference.
type PriorKind int

// The kinds of [Prior].
const (
	PriorNew       PriorKind = iota // never seen: send it
	PriorDone                       // confirmed applied: do not send (SKIPPED)
	PriorConflict                   // used for another person or amount: refuse
	PriorUnsettled                  // sent, outcome never recorded: look it up first
	PriorHeld                       // an earlier answer did not match: never resend automatically
	PriorRefused                    // every earlier attempt was refused by EnKash and the row was corrected: send it
	PriorRejected                   // every earlier attempt was refused and the row is unchanged: report FAILED, do not resend
)

// Prior is an earlier run's record of a reference.
type Prior struct {
	Kind PriorKind
	Receipt
	// Evidence is what lookups showed since the last attempt (PriorUnsettled).
	Evidence Evidence
	Message  string // for PriorConflict, PriorHeld and PriorRejected: why the row is not sent
}

// Evidence is what lookups have shown about a reference whose answer was
// lost. Absence proves nothing while a request may still be in flight or a
// replica may lag, so a resend needs repeated absence spread over time.
type Evidence struct {
	// LastAttemptAt is when the last request for the reference left the
	// process (zero: never sent).
	LastAttemptAt time.Time
	// AbsentLookups counts the conclusive lookups since LastAttemptAt that
	// did not find the reference.
	AbsentLookups int
	// FirstAbsentAt and LastAbsentAt bound those lookups.
	FirstAbsentAt, LastAbsentAt time.Time
}
