package reward

import "time"

// Status is the final state of one row.
type Status string

// The statuses, in the order reports list them.
const (
	StatusMatched  Status = "MATCHED"  // EnKash applied it and echoed our reference
	StatusMismatch Status = "MISMATCH" // EnKash applied something, but the reference or amount differs
	StatusFailed   Status = "FAILED"   // refused, or provably not applied after every attempt
	StatusUnknown  Status = "UNKNOWN"  // the outcome could not be established; reconcile later
	StatusInvalid  Status = "INVALID"  // refused by validation; never sent
	StatusSkipped  Status = "SKIPPED"  // an earlier run already applied it
	StatusNotSent  Status = "NOT_SENT" // the run stopped before this row was sent
)

// Statuses lists every status in report order.
var Statuses = []Status{StatusMatched, StatusMismatch, StatusFailed, StatusUnknown, StatusInvalid, StatusSkipped, StatusNotSent}

// Done reports whether the row needs nothing more: MATCHED or SKIPPED.
func (s Status) Done() bool { return s == StatusMatched || s == StatusSkipped }

// Stable error codes of an [Outcome]; the message carries the detail.
const (
	CodeRejected         = "REJECTED"            // EnKash refused the request
	CodeRetriesExhausted = "RETRIES_EXHAUSTED"   // not applied after every attempt
	CodeAmbiguous        = "OUTCOME_UNKNOWN"     // sent, and no lookup could settle it
	CodeRefMismatch      = "REFERENCE_MISMATCH"  // pgReferenceNumber differs from our reference
	CodeAmountMismatch   = "AMOUNT_MISMATCH"     // EnKash has the reference with another amount or type
	CodeTxnFailed        = "TRANSACTION_FAILED"  // EnKash recorded the reference as failed
	CodeInvalid          = "INVALID"             // validation refused the row
	CodeConflict         = "CONFLICT"            // the reference was used earlier for something else
	CodeHeld             = "EARLIER_MISMATCH"    // an earlier run's answer did not match; not resent
	CodeNotApplied       = "NOT_APPLIED"         // a later lookup proved EnKash does not have it
	CodeAppliedTwice     = "APPLIED_TWICE"       // a lookup found the reference applied more than once
	CodeStopped          = "STOPPED"             // the run stopped before the row was sent
	CodeAuth             = "AUTH"                // login or authorisation failed
	CodePending          = "PENDING"             // EnKash has the reference with a non-final status
	CodeDuplicateRef     = "DUPLICATE_REFERENCE" // EnKash says the reference already exists
	CodeAlreadyAtEnKash  = "ALREADY_AT_ENKASH"   // found at EnKash before the first send (a new ledger)
	CodeRemoteCheck      = "REMOTE_CHECK_FAILED" // the lookup before a first send could not be made: not sent
)

// Outcome is the result of one input row.
type Outcome struct {
	Seq    int // position among the file's rows, from 0
	Item   *Item
	Status Status
	Receipt
	// Evidence is what the lookups of this row showed, for a row whose
	// answer was lost; the ledger keeps it for later runs and reconcile.
	Evidence     Evidence
	Attempts     int // requests that left for this row (lookups excluded)
	ErrorCode    string
	ErrorMessage string
	Latency      time.Duration
}

// Sent reports whether at least one request for the row left the process.
func (o *Outcome) Sent() bool { return o.Attempts > 0 }
