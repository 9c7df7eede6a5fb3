package engine

import (
	"context"
	"fmt"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// Journal is a durable record of what was sent, consulted before a row's
// first request leaves the process. The ledger implements it.
type Journal interface {
	// Begin is called before rows are sent, with a batch of them. It must
	// have made every row's reference and fingerprint durable when it
	// returns, and it reports, row by row, what an earlier run did with the
	// reference.
	Begin(ctx context.Context, items []*reward.Item) ([]reward.Prior, error)
	// Record stores a row's outcome. It may batch writes: an outcome lost
	// in a crash is recovered by a lookup on the next run.
	Record(o *reward.Outcome) error
}

// beginBatch is the most rows one begin commit records.
const beginBatch = 64

// beginStage records the valid rows coming from in with the journal, in
// batches of whatever has queued up, and passes every row on to out.
func (e *Engine) beginStage(ctx context.Context, in <-chan job, out chan<- job) error {
	for first := range in {
		batch := []job{first}
	fill:
		for len(batch) < beginBatch {
			select {
			case j, ok := <-in:
				if !ok {
					break fill
				}
				batch = append(batch, j)
			default:
				break fill
			}
		}
		e.begin(ctx, batch)
		for _, j := range batch {
			select {
			case out <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// begin records the valid rows of batch before they are sent. After a stop
// nothing more is recorded: those rows go out not begun, and NOT_SENT.
func (e *Engine) begin(ctx context.Context, batch []job) {
	if e.g.stop.tripped() {
		return
	}
	var (
		items []*reward.Item
		at    []int
	)
	for i, j := range batch {
		if j.item.Valid {
			items = append(items, j.item)
			at = append(at, i)
		}
	}
	if len(items) == 0 {
		return
	}
	priors, err := e.journal.Begin(ctx, items)
	if err == nil && len(priors) != len(items) {
		err = fmt.Errorf("the journal answered %d of %d rows", len(priors), len(items))
	}
	if err != nil {
		e.abort(fmt.Errorf("recording the run: %w", err))
		return
	}
	for k, i := range at {
		batch[i].prior, batch[i].begun = priors[k], true
	}
}

// abort stops the run for a batch-fatal error.
func (e *Engine) abort(err error) {
	e.g.stop.trip(err.Error())
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fatal == nil {
		e.fatal = err
	}
}

// fatalErr returns the first batch-fatal error, if any.
func (e *Engine) fatalErr() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fatal
}
