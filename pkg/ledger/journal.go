package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// The states of a reference.
const (
	StateSending    = "SENDING"     // committed before a request left; outcome not yet recorded
	StateConfirmed  = "CONFIRMED"   // EnKash applied it under our reference
	StateRejected   = "REJECTED"    // EnKash refused it; safe to send again after a fix
	StateNotApplied = "NOT_APPLIED" // provably not applied (retries exhausted, run stopped)
	StateUnknown    = "UNKNOWN"     // sent; no lookup could settle it
	StateMismatch   = "MISMATCH"    // applied, but the answer did not match: never resent automatically
)

// Fingerprint is what a reference asks for: the operation, the person or
// card, the account and the amount in hundredths. Names and titles are left
// out, so that correcting a typo does not make a paid row look different.
func Fingerprint(it *reward.Item) string {
	a := it.Allocation
	h := sha256.Sum256([]byte(strings.Join([]string{
		string(a.Operation), a.CompanyID, a.CardAccountID, a.EnkashCardID, strings.ToLower(a.Email), a.Mobile,
		fmt.Sprint(a.Amount.Hundredths()),
	}, "\x1f")))
	return hex.EncodeToString(h[:16])
}

// RunInfo describes a run that starts.
type RunInfo struct {
	ID          string
	Input       string
	InputSHA256 string
	PlanHash    string
	Folder      string
	Scope       string
	Sandbox     bool
	StartedAt   time.Time
}

// Journal records one run. It implements the engine's Journal: Begin commits
// durably before it returns; Record queues, and is committed with the next
// begin (see writer). It is safe for concurrent use by the engine's workers. The errors
// of Begin and Record do not start with "ledger:": the engine names their
// source; Close adds it for other callers.
type Journal struct {
	l     *Ledger
	run   RunInfo
	fresh bool
	reqs  chan request
	done  chan struct{}
	stmts *statements

	mu     sync.Mutex
	err    error
	closed bool
}

// StartRun records the start of a run and returns its journal. Call
// Finish when the run ends.
func (l *Ledger) StartRun(ctx context.Context, info RunInfo) (*Journal, error) {
	info, err := l.insertRun(ctx, info)
	if err != nil {
		return nil, err
	}
	if err := l.lockScope(ctx, info.Scope); err != nil {
		return nil, err
	}
	if err := l.setHolder(ctx, info.Scope, info.ID); err != nil {
		return nil, err
	}
	var known int
	if err := l.sql().QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM refs WHERE scope = ? LIMIT 1) AS known`,
		info.Scope).Scan(&known); err != nil {
		return nil, fmt.Errorf("ledger: reading scope %s: %w", info.Scope, err)
	}
	j := &Journal{l: l, run: info, fresh: known == 0, reqs: make(chan request, maxPending), done: make(chan struct{}),
		stmts: newStatements(l)}
	if err := j.stmts.prepare(ctx, stmtKey{kind: stSelectRef}, stmtKey{kind: stResend}, stmtKey{kind: stCorrect}); err != nil {
		j.stmts.close()
		return nil, fmt.Errorf("ledger: %w", err)
	}
	go j.writer()
	return j, nil
}

// RecordRun records a run that ended before anything was sent (refused
// for invalid rows, for example), so that history lists it too. It
// returns the run's id in the ledger.
func (l *Ledger) RecordRun(ctx context.Context, info RunInfo, finished time.Time, exitCode int, summary string) (string, error) {
	info, err := l.insertRun(ctx, info)
	if err != nil {
		return "", err
	}
	return info.ID, l.SetSummary(ctx, info.ID, finished, exitCode, summary)
}

// insertRun inserts a run under a unique id: the one asked for, with a
// suffix when --out names a folder twice.
func (l *Ledger) insertRun(ctx context.Context, info RunInfo) (RunInfo, error) {
	if abs, err := filepath.Abs(info.Folder); err == nil {
		info.Folder = abs
	}
	base := info.ID
	for n := 2; ; n++ {
		var taken int
		if err := l.sql().QueryRowContext(ctx, `SELECT COUNT(*) FROM runs WHERE id = ?`, info.ID).Scan(&taken); err != nil {
			return info, fmt.Errorf("ledger: recording run %s: %w", info.ID, err)
		}
		if taken == 0 {
			break
		}
		info.ID = fmt.Sprintf("%s-%d", base, n)
	}
	_, err := l.sql().ExecContext(ctx, `INSERT INTO runs (id, started_at, input, input_sha256, plan_hash, folder, scope, sandbox)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, info.ID, info.StartedAt.UTC().Format(time.RFC3339Nano), info.Input,
		info.InputSHA256, info.PlanHash, info.Folder, info.Scope, info.Sandbox)
	if err != nil {
		return info, fmt.Errorf("ledger: recording run %s: %w", info.ID, err)
	}
	return info, nil
}

// Fresh reports whether the ledger had no reference in the run's scope
// when the run started: a new ledger, or one that never served this
// EnKash account. Every reference is then unknown to it, and the engine
// looks each one up at EnKash before its first send.
func (j *Journal) Fresh() bool { return j.fresh }

// Begin records rows before their first request leaves, in one durable
// commit, and says for each what an earlier run did with its reference.
func (j *Journal) Begin(ctx context.Context, items []*reward.Item) ([]reward.Prior, error) {
	stamp := now()
	rows := make([]beginRow, len(items))
	for i, it := range items {
		rows[i] = j.beginRow(it, stamp)
	}
	reply := make(chan beginReply, 1)
	if err := j.send(ctx, request{begin: rows, reply: reply}); err != nil {
		return nil, err
	}
	select {
	case r := <-reply:
		return r.priors, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Record queues a row's outcome: it is committed with the next begin, or
// within outcomeWait when no begin comes. An outcome lost in a crash
// leaves its reference SENDING, and the next run looks it up.
func (j *Journal) Record(o *reward.Outcome) error {
	if !recorded(o) {
		return nil
	}
	po := newPendingOutcome(o)
	return j.send(context.Background(), request{outcome: &po})
}

func (j *Journal) send(ctx context.Context, r request) error {
	j.mu.Lock()
	err, closed := j.err, j.closed
	j.mu.Unlock()
	if err != nil {
		return err
	}
	if closed {
		return errors.New("the run's journal is closed")
	}
	select {
	case j.reqs <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close commits what is queued and stops the writer. It returns the first
// write error of the run, if any.
func (j *Journal) Close() error {
	j.mu.Lock()
	if !j.closed {
		j.closed = true
		close(j.reqs)
	}
	j.mu.Unlock()
	<-j.done
	j.stmts.close()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return fmt.Errorf("ledger: %w", j.err)
	}
	return nil
}

// RunID returns the run's id in the ledger: the one asked for, with a
// suffix when it was taken.
func (j *Journal) RunID() string { return j.run.ID }

// Finish closes the journal and records the run's end.
func (j *Journal) Finish(ctx context.Context, finished time.Time, exitCode int, summary string) error {
	if err := j.Close(); err != nil {
		return err
	}
	return j.l.SetSummary(ctx, j.run.ID, finished, exitCode, summary)
}
