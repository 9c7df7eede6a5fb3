package enginetest

import (
	"context"
	"errors"
	"sync"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// MemJournal is an in-memory [engine.Journal] that keeps what the ledger
// keeps (state, EnKash's ids, the evidence of lookups) and answers Begin
// with the same prior kinds. Kill makes it drop every later write, as a
// killed process would; FailAfter makes it fail after that many writes.
type MemJournal struct {
	mu     sync.Mutex
	refs   map[string]*Entry
	dead   bool
	writes int
	// FailAfter, when positive, makes every write after that many fail.
	FailAfter int
}

// Entry is the journal's record of one reference.
type Entry struct {
	State    string // SENDING, CONFIRMED, MISMATCH, UNKNOWN, REJECTED, NOT_APPLIED
	Receipt  reward.Receipt
	Evidence reward.Evidence
	Message  string
}

var _ engine.Journal = (*MemJournal)(nil)

// ErrJournal is the error of a journal past FailAfter.
var ErrJournal = errors.New("journal: disk full")

// NewJournal returns an empty journal.
func NewJournal() *MemJournal { return &MemJournal{refs: map[string]*Entry{}} }

// Kill drops every later write; Revive starts a new process on the same
// records.
func (j *MemJournal) Kill() { j.mu.Lock(); j.dead = true; j.mu.Unlock() }

// Revive makes the journal accept writes again (the rerun).
func (j *MemJournal) Revive() { j.mu.Lock(); j.dead = false; j.mu.Unlock() }

// Entry returns the record of a reference.
func (j *MemJournal) Entry(ref string) (Entry, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	e, ok := j.refs[ref]
	if !ok {
		return Entry{}, false
	}
	return *e, true
}

func (j *MemJournal) write() error {
	j.writes++
	if j.FailAfter > 0 && j.writes > j.FailAfter {
		return ErrJournal
	}
	return nil
}

// Begin records the rows as being sent and returns their priors.
func (j *MemJournal) Begin(_ context.Context, items []*reward.Item) ([]reward.Prior, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.write(); err != nil {
		return nil, err
	}
	out := make([]reward.Prior, len(items))
	for i, it := range items {
		out[i] = j.begin(it.Allocation.Reference)
	}
	return out, nil
}

func (j *MemJournal) begin(ref string) reward.Prior {
	e, ok := j.refs[ref]
	if !ok {
		if !j.dead {
			j.refs[ref] = &Entry{State: "SENDING"}
		}
		return reward.Prior{Kind: reward.PriorNew}
	}
	p := reward.Prior{Receipt: e.Receipt, Evidence: e.Evidence, Message: e.Message}
	switch e.State {
	case "CONFIRMED":
		p.Kind = reward.PriorDone
		return p
	case "MISMATCH":
		p.Kind = reward.PriorHeld
		return p
	case "REJECTED":
		p.Kind = reward.PriorRejected
		return p
	case "SENDING", "UNKNOWN":
		p.Kind = reward.PriorUnsettled
	default:
		p.Kind = reward.PriorNew
	}
	if !j.dead {
		e.State = "SENDING"
	}
	return p
}

// Record stores an outcome, as the ledger does.
func (j *MemJournal) Record(o *reward.Outcome) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.write(); err != nil {
		return err
	}
	if j.dead || o.Status == reward.StatusSkipped || o.Status == reward.StatusInvalid ||
		o.ErrorCode == reward.CodeConflict || o.ErrorCode == reward.CodeHeld {
		return nil
	}
	e := j.refs[o.Item.Allocation.Reference]
	if e == nil {
		e = &Entry{}
		j.refs[o.Item.Allocation.Reference] = e
	}
	e.State, e.Receipt, e.Evidence, e.Message = StateOf(o), o.Receipt, o.Evidence, o.ErrorMessage
	return nil
}

// StateOf is the ledger's state for an outcome.
func StateOf(o *reward.Outcome) string {
	switch o.Status {
	case reward.StatusMatched:
		return "CONFIRMED"
	case reward.StatusMismatch:
		return "MISMATCH"
	case reward.StatusUnknown:
		return "UNKNOWN"
	case reward.StatusFailed:
		if o.ErrorCode == reward.CodeRejected {
			return "REJECTED"
		}
	}
	return "NOT_APPLIED"
}
