package enginetest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// Shape is what an answered bulk call lists.
type Shape int

// The shapes of a bulk answer.
const (
	ShapeBoth        Shape = iota // a success list and a failure list, each item with its reference
	ShapeSuccessOnly              // the success list only: refused items are left out
	ShapeCounts                   // the counters only
	ShapeNoEcho                   // both lists, the success items without the reference
	numShapes
)

var shapeNames = [...]string{"both", "success-only", "counts", "no-echo"}

func (s Shape) String() string { return shapeNames[s] }

// Bulk is how the fake answers one bulk call.
type Bulk struct {
	// Call is the fate of the whole call, as for a single call; SendOK
	// (the zero value) answers item by item. Send5xxApplied and
	// SendTimeoutApplied apply every item first, as SendOK would.
	Call Send
	// Shape is what an answered call lists.
	Shape Shape
	// Items are the items' fates, in order (missing: SendOK): SendOK
	// applies it; SendRefuse and SendDuplicate list it as failed;
	// Send5xxApplied applies it and leaves it out of the lists;
	// Send5xxNotApplied leaves it out without applying it.
	Items []Send
}

// BulkScript is a [Script] that answers bulk calls too; a script that is
// not one answers every bulk call with the zero [Bulk].
type BulkScript interface {
	Bulk() Bulk
}

// Bulk returns the next answer to a bulk call.
func (q *Queue) Bulk() Bulk { return pop(&q.mu, &q.Bulks, Bulk{}) }

var _ engine.BulkAPI = (*API)(nil)

// BulkCalls returns the sizes of the bulk calls that reached the fake.
func (f *API) BulkCalls() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.bulks...)
}

// AllocateBulk applies or refuses a batch as the script says, and answers
// through the client's own decoder of bulk answers.
func (f *API) AllocateBulk(_ context.Context, allocs []reward.Allocation) (*enkash.BulkAnswer, error) {
	dead, done := f.call(enkash.PathBulkAllocate)
	if dead {
		return nil, errDead
	}
	var b Bulk
	if s, ok := f.script.(BulkScript); ok {
		b = s.Bulk() // outside the lock: a script may block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	defer done()
	f.bulks = append(f.bulks, len(allocs))
	switch b.Call {
	case SendOK, Send5xxApplied, SendTimeoutApplied:
	default:
		_, err := f.answer(b.Call, reward.Allocation{})
		return nil, bulkPath(err)
	}
	payload, sent := f.applyBulk(b, allocs)
	if b.Call != SendOK {
		_, err := f.answer(b.Call, reward.Allocation{})
		return nil, bulkPath(err)
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	return enkash.DecodeBulk(raw, sent), nil
}

// bulkPath moves a scripted single-call error onto the bulk endpoint.
func bulkPath(err error) error {
	switch e := err.(type) {
	case *enkash.RejectedError:
		e.Endpoint = enkash.PathBulkAllocate
		if e.HTTPStatus == 200 { // a business refusal: the bulk page's 422
			e.HTTPStatus, e.Message = 422, "Primary Enkash card is not present. So bulk upload cannot be done"
		}
	case *enkash.DuplicateError:
		e.Endpoint, e.HTTPStatus = enkash.PathBulkAllocate, 409
	case *enkash.NotAppliedError:
		e.Endpoint = enkash.PathBulkAllocate
	case *enkash.AmbiguousError:
		e.Endpoint = enkash.PathBulkAllocate
	}
	return err
}

// applyBulk applies the items as b says (under f.mu) and returns the
// payload of the answer and the rows sent.
func (f *API) applyBulk(b Bulk, allocs []reward.Allocation) (map[string]any, map[string]money.Amount) {
	var ok, failed []map[string]any
	sent := map[string]money.Amount{}
	for i, a := range allocs {
		sent[a.Reference] = a.Amount
		s := SendOK
		if i < len(b.Items) {
			s = b.Items[i]
		}
		if (s == SendOK || s == Send5xxApplied) && f.Deduplicates && f.applied(a.Reference) {
			s = SendDuplicate
		}
		switch s {
		case SendOK, Send5xxApplied:
			f.credits = append(f.credits, Credit{Reference: a.Reference, Card: cardOf(a), Amount: a.Amount.String(), At: f.clock.Now()})
			if s == SendOK {
				item := map[string]any{"loadAmount": json.RawMessage(a.Amount.String()), "enKashCardId": cardOf(a),
					"enkashCardTxnId": fmt.Sprintf("T%d", len(f.credits)), "otbBalance": "100"}
				if b.Shape != ShapeNoEcho {
					item["uniqueReferenceNumber"] = a.Reference
				}
				ok = append(ok, item)
			}
		case SendRefuse:
			failed = append(failed, map[string]any{"uniqueReferenceNumber": a.Reference, "failureReason": "KYC is not uploaded or under review for the primary card"})
		case SendDuplicate:
			failed = append(failed, map[string]any{"uniqueReferenceNumber": a.Reference, "failureReason": "Duplicate reference number"})
		}
	}
	p := map[string]any{"successCount": len(ok), "failureCount": len(failed), "totalCount": len(allocs)}
	switch b.Shape {
	case ShapeBoth, ShapeNoEcho:
		p["successBulkEnKashCardCreateDTOs"], p["failureBulkEnKashCardCreateDTOs"] = ok, failed
	case ShapeSuccessOnly:
		p["successBulkEnKashCardCreateDTOs"] = ok
	}
	return p, sent
}
