package enkash

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// BulkState is what a bulk answer proves of one row.
type BulkState int

// The states of a [BulkFinding].
const (
	// BulkUnsettled: the answer does not settle the row (it gave counts
	// only, listed no item with its reference, or listed it ambiguously).
	// EnKash may have applied it: look it up, never resend it on this alone.
	BulkUnsettled BulkState = iota
	// BulkApplied: the success list holds an item with the row's reference.
	BulkApplied
	// BulkRefused: the failure list holds an item with the row's
	// reference: this attempt was not applied.
	BulkRefused
)

// BulkFinding is what a bulk answer says of one row, found by its
// reference alone (never by name, e-mail or amount).
type BulkFinding struct {
	State BulkState
	// Applied holds the success item when State is BulkApplied, shaped as
	// a single call's answer: PGReferenceNumber is the echoed reference.
	Applied *AllocateResult
	// Err is the refusal when State is BulkRefused: a [*DuplicateError]
	// when the reason says the reference was used before, else a
	// [*RejectedError]; [Classify] treats it as a single call's.
	Err error
	// Why says, when State is BulkUnsettled, why the answer settles nothing.
	Why string
}

// BulkCounts are the counters of a bulk answer; a counter EnKash did not
// send (or sent unreadable) is -1. They are informational: a row is never
// settled by a count.
type BulkCounts struct {
	Success, Failure, Total int
}

// BulkAnswer is a decoded answer of bulk create-and-allocate, reference by
// reference.
type BulkAnswer struct {
	Counts BulkCounts
	// Unmatched counts the listed items whose reference was missing, not
	// one that was sent, or unreadable: they settle nothing.
	Unmatched int
	// Raw keeps the whole payload, because the portal does not document
	// all of its keys.
	Raw      json.RawMessage
	findings map[string]BulkFinding
}

// Finding returns what the answer says of the row sent with reference ref;
// a reference the answer does not settle is BulkUnsettled.
func (a *BulkAnswer) Finding(ref string) BulkFinding {
	if f, ok := a.findings[ref]; ok {
		return f
	}
	if a.Raw == nil || string(a.Raw) == "null" {
		return BulkFinding{Why: "the bulk answer had no payload"}
	}
	return BulkFinding{Why: "the bulk answer lists no item with this reference"}
}

// AllocateBulk sends allocs (create-and-allocate rows, for the configured
// company and reward account) in one bulk-create-allocate-points-json call
// with isPointsAllocation=true, so that existing users are credited too. It
// uses the token flow, the envelope encryption and the error classes of
// [Client.Allocate]: an error concerns the whole call. A nil error returns
// a finding for every row; the rows the answer does not settle are
// BulkUnsettled.
//
// EnKash's refusal of the call (HTTP 400, 404, 422 or another 4xx, or
// HTTP 200 with a non-zero code) is trusted only as far as its body goes
// (see [Client.bulkRefused]): a *RejectedError or *DuplicateError is
// EnKash refusing the whole call with a body that proves nothing of it
// was applied. Any other refusal is an [*AmbiguousError], with the answer
// its payload holds, if any: the answer settles the rows it names, and
// the others must be looked up.
func (c *Client) AllocateBulk(ctx context.Context, allocs []reward.Allocation) (*BulkAnswer, error) {
	items := make([]BulkItem, len(allocs))
	sent := make(map[string]money.Amount, len(allocs))
	for i, a := range allocs {
		if _, twice := sent[a.Reference]; twice || a.Operation != reward.OpAllocate || a.Reference == "" ||
			cmp.Or(a.CompanyID, c.cfg.CompanyID) != c.cfg.CompanyID || cmp.Or(a.CardAccountID, c.cfg.CardAccountID) != c.cfg.CardAccountID {
			return nil, &NotAppliedError{Endpoint: PathBulkAllocate, Err: fmt.Errorf("row %d of the batch is not a create-and-allocate row "+
				"with a reference of its own for the configured reward account; nothing was sent", i+1)}
		}
		items[i] = BulkItem{Title: a.Title, Name: a.FirstName, Email: a.Email, Mobile: a.Mobile, LoadAmount: a.Amount,
			UniqueReferenceNumber: a.Reference}
		sent[a.Reference] = a.Amount
	}
	raw, err := c.postBulk(ctx, items, true) // true: existing users are credited too
	if err != nil {
		return c.bulkRefused(err, sent)
	}
	return DecodeBulk(raw, sent), nil
}

// bulkRefused judges the error of a bulk call. A refusal is returned as
// it is (nothing of the call was applied: after a 400 the caller may send
// its rows again) only when [wholeRefusal] finds that positive evidence in
// EnKash's envelope. The docs do not say that the call is all or nothing,
// so any other refusal is an [*AmbiguousError]; when its payload is an
// object, it comes with the answer decoded from it, which settles the rows
// it names. A refusal that is not EnKash's envelope (a gateway's page) is
// an [*AmbiguousError] for the whole call. Every other error is returned
// as it is.
func (c *Client) bulkRefused(err error, sent map[string]money.Amount) (*BulkAnswer, error) {
	var rb *refusedBody
	if !errors.As(err, &rb) {
		return nil, err
	}
	plain, _, derr := OpenJSON(c.key, rb.body)
	var env Envelope
	if derr == nil {
		env, derr = DecodeEnvelope(plain)
	}
	if derr != nil {
		return nil, &AmbiguousError{Endpoint: PathBulkAllocate, HTTPStatus: rb.status,
			Err: fmt.Errorf("a refusal that is not EnKash's answer (%w) does not prove that nothing was applied: %s", derr, c.failureText(rb.body))}
	}
	if wholeRefusal(plain, sent, rb.status) {
		return nil, rb.err
	}
	amb := &AmbiguousError{Endpoint: PathBulkAllocate, HTTPStatus: rb.status,
		Err: fmt.Errorf("EnKash refused the call (code %d: %s) but its answer does not prove that nothing of it was applied", env.Code, env.FailureText())}
	if p := bytes.TrimSpace(env.Payload); len(p) == 0 || p[0] != '{' {
		return nil, amb
	}
	return DecodeBulk(env.Payload, sent), amb
}

// refusedBody is the refusal of a bulk call kept with the answer's status
// and body, for [Client.bulkRefused] to read; through Unwrap it is the
// refusal.
type refusedBody struct {
	err    error
	status int
	body   []byte
}

func (e *refusedBody) Error() string { return e.err.Error() }
func (e *refusedBody) Unwrap() error { return e.err }

// keepBody keeps the answer of a bulk call with its refusal err (an HTTP
// 4xx that [Client.statusError] calls a refusal, or a non-zero code);
// a refusal of any other call is returned as it is.
func keepBody(path string, ans answer, err error) error {
	if path != PathBulkAllocate {
		return err
	}
	return &refusedBody{err: err, status: ans.status, body: ans.body}
}
