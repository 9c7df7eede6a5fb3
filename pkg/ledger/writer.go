package ledger

import (
	"context"
	"fmt"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// outcomeWait is the longest an outcome waits for a begin commit to carry
// it; then the outcomes that waited are committed alone. While rows are
// being sent, begins come far more often, so that outcomes cost no commit
// of their own.
const outcomeWait = 20 * time.Millisecond

// maxPending is the most outcomes held for one commit: more are committed
// at once, with or without a begin.
const maxPending = 1024

// request is a unit of work for the writer: a Begin (with a reply) or a
// Record, with the values to write already computed by the caller, so
// that the writer, which every commit waits for, only writes.
type request struct {
	begin   []beginRow
	outcome *pendingOutcome
	reply   chan beginReply
}

type beginReply struct {
	priors []reward.Prior
	err    error
}

// writer is the journal's single writer: a group commit. Outcomes wait
// (up to outcomeWait, or maxPending of them) and are folded into the next
// begin's commit; a begin commits at once, with every outcome pending and
// whatever else has queued up, in one transaction: no row has one of its
// own, and a begin never waits behind a commit of outcomes that could
// have gone with it.
func (j *Journal) writer() {
	defer close(j.done)
	var pending []pendingOutcome
	timer := time.NewTimer(outcomeWait)
	timer.Stop()
	for {
		var due <-chan time.Time
		if len(pending) > 0 {
			due = timer.C
		}
		var begins []request
		select {
		case r, ok := <-j.reqs:
			if !ok {
				j.flush(pending, nil)
				return
			}
			if r.outcome != nil {
				if pending = append(pending, *r.outcome); len(pending) == 1 {
					timer.Reset(outcomeWait)
				}
				if len(pending) < maxPending {
					continue
				}
			} else {
				begins = append(begins, r)
			}
			begins, pending = j.drain(begins, pending)
		case <-due:
		}
		timer.Stop()
		j.flush(pending, begins)
		pending = pending[:0]
	}
}

// drain adds what has already queued up, without waiting.
func (j *Journal) drain(begins []request, pending []pendingOutcome) ([]request, []pendingOutcome) {
	for len(pending) < 2*maxPending {
		select {
		case r, ok := <-j.reqs:
			if !ok {
				return begins, pending // the loop sees the close next
			}
			if r.outcome != nil {
				pending = append(pending, *r.outcome)
			} else {
				begins = append(begins, r)
			}
		default:
			return begins, pending
		}
	}
	return begins, pending
}

// flush commits outcomes and begins in one transaction and answers the
// begins; a failure is kept, and fails every later call.
func (j *Journal) flush(outcomes []pendingOutcome, begins []request) {
	if len(outcomes) == 0 && len(begins) == 0 {
		return
	}
	replies, err := j.commit(outcomes, begins)
	if err != nil {
		j.mu.Lock()
		if j.err == nil {
			j.err = err
		}
		j.mu.Unlock()
	}
	for i, r := range begins {
		if err != nil {
			r.reply <- beginReply{err: err}
		} else {
			r.reply <- replies[i]
		}
	}
}

// commit applies a group in one transaction; when it fails because the
// ledger was deleted or replaced, the error says so.
func (j *Journal) commit(outcomes []pendingOutcome, begins []request) ([]beginReply, error) {
	replies, err := j.commitGroup(outcomes, begins)
	if err != nil {
		if verr := j.l.verify(); verr != nil {
			return nil, verr // a write failed because the ledger was deleted or replaced: say that
		}
	}
	return replies, err
}

// commitGroup writes one group in one transaction: the outcomes first
// (they concern rows begun in earlier commits), then the begins, each in
// statements of many rows.
func (j *Journal) commitGroup(outcomes []pendingOutcome, begins []request) ([]beginReply, error) {
	ctx := context.Background()
	if err := j.l.verify(); err != nil {
		return nil, err // the ledger was deleted, replaced or truncated: stop
	}
	outChunks := outcomeChunks(outcomes)
	keys := make([]stmtKey, 0, len(outChunks)+len(begins))
	for _, c := range outChunks {
		keys = append(keys, stmtKey{stOutcome, len(c)})
	}
	for _, r := range begins {
		for _, c := range chunks(r.begin) {
			keys = append(keys, stmtKey{stInsert, len(c)})
		}
	}
	if err := j.stmts.prepare(ctx, keys...); err != nil {
		return nil, err
	}
	tx, err := j.l.writer().BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("starting a transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	t := txStmts{tx, j.stmts}
	for _, c := range outChunks {
		if err := j.recordChunk(ctx, t, c); err != nil {
			return nil, err
		}
	}
	replies := make([]beginReply, len(begins))
	for i, r := range begins {
		for _, c := range chunks(r.begin) {
			priors, err := j.beginChunk(ctx, t, c)
			if err != nil {
				return nil, err
			}
			replies[i].priors = append(replies[i].priors, priors...)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("committing: %w", err)
	}
	return replies, nil
}
