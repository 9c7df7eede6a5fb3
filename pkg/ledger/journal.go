package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
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
// durably before it returns; Record queues and is committed with the next
// group. It is safe for concurrent use by the engine's workers. The errors
// of Begin and Record do not start with "ledger:": the engine names their
// source; Close adds it for other callers.
type Journal struct {
	l     *Ledger
	run   RunInfo
	fresh bool
	reqs  chan request
	done  chan struct{}
	stmts statements

	mu     sync.Mutex
	err    error
	closed bool
}

// request is a unit of work for the writer: a Begin (with a reply) or a
// Record.
type request struct {
	begin  []*reward.Item
	record *reward.Outcome
	reply  chan beginReply
}

type beginReply struct {
	priors []reward.Prior
	err    error
}

// maxGroup bounds how many requests one transaction commits.
const maxGroup = 512

// StartRun records the start of a run and returns its journal. Call
// Finish when the run ends.
func (l *Ledger) StartRun(ctx context.Context, info RunInfo) (*Journal, error) {
	info, err := l.insertRun(ctx, info)
	if err != nil {
		return nil, err
	}
	if err := l.setHolder(ctx, info.ID); err != nil {
		return nil, err
	}
	var known int
	if err := l.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM refs WHERE scope = ? LIMIT 1)`,
		info.Scope).Scan(&known); err != nil {
		return nil, fmt.Errorf("ledger: reading scope %s: %w", info.Scope, err)
	}
	j := &Journal{l: l, run: info, fresh: known == 0, reqs: make(chan request, 4*maxGroup), done: make(chan struct{})}
	if err := j.stmts.prepare(ctx, l.db); err != nil {
		return nil, err
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
		if err := l.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM runs WHERE id = ?`, info.ID).Scan(&taken); err != nil {
			return info, fmt.Errorf("ledger: recording run %s: %w", info.ID, err)
		}
		if taken == 0 {
			break
		}
		info.ID = fmt.Sprintf("%s-%d", base, n)
	}
	_, err := l.db.ExecContext(ctx, `INSERT INTO runs (id, started_at, input, input_sha256, plan_hash, folder, scope, sandbox)
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

// statements are prepared once per run: parsing SQL for every row would
// cost more than running it.
type statements struct {
	insert, selectRef, resend, correct, outcome *sql.Stmt
}

func (s *statements) prepare(ctx context.Context, db *sql.DB) error {
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&s.insert, `INSERT INTO refs (scope, reference, fingerprint, operation, amount, card_id, person, email, mobile,
			company_id, card_account_id, state, run_id, first_run_id, input_sha256, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, reference) DO NOTHING`},
		{&s.selectRef, `SELECT ` + refColumns + ` FROM refs WHERE scope = ? AND reference = ?`},
		{&s.resend, `UPDATE refs SET state = ?, run_id = ?, input_sha256 = ?, ambiguous = MAX(ambiguous, ?), updated_at = ?
			WHERE scope = ? AND reference = ?`},
		{&s.correct, `UPDATE refs SET fingerprint = ?, operation = ?, amount = ?, card_id = ?, person = ?, email = ?,
			mobile = ?, company_id = ?, card_account_id = ?, state = ?, run_id = ?, input_sha256 = ?, error_code = '',
			error_message = '', updated_at = ? WHERE scope = ? AND reference = ?`},
		{&s.outcome, `UPDATE refs SET state = ?, pg_reference = ?, enkash_card = ?, enkash_txn = ?, otb_balance = ?,
			error_code = ?, error_message = ?, attempts = attempts + ?, ambiguous = MAX(ambiguous, ?), last_attempt_at = ?,
			absent_lookups = ?, first_absent_at = ?, last_absent_at = ?, updated_at = ? WHERE scope = ? AND reference = ?`},
	} {
		st, err := db.PrepareContext(ctx, p.sql)
		if err != nil {
			s.close()
			return fmt.Errorf("ledger: preparing: %w", err)
		}
		*p.dst = st
	}
	return nil
}

func (s *statements) close() {
	for _, st := range []*sql.Stmt{s.insert, s.selectRef, s.resend, s.correct, s.outcome} {
		if st != nil {
			_ = st.Close()
		}
	}
}

// Begin records rows before their first request leaves, in one durable
// commit, and says for each what an earlier run did with its reference.
func (j *Journal) Begin(ctx context.Context, items []*reward.Item) ([]reward.Prior, error) {
	reply := make(chan beginReply, 1)
	if err := j.send(ctx, request{begin: items, reply: reply}); err != nil {
		return nil, err
	}
	select {
	case r := <-reply:
		return r.priors, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Record queues a row's outcome for the next group commit.
func (j *Journal) Record(o *reward.Outcome) error {
	if o.Status == reward.StatusSkipped || o.Status == reward.StatusInvalid || o.ErrorCode == reward.CodeConflict ||
		o.ErrorCode == reward.CodeHeld || (o.ErrorCode == reward.CodeRejected && o.Attempts == 0) {
		return nil // nothing new to remember (the last: a refusal repeated from the ledger, not sent)
	}
	return j.send(context.Background(), request{record: o})
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

// writer commits requests in groups: whatever has queued up while the last
// commit was on disk goes into the next transaction.
func (j *Journal) writer() {
	defer close(j.done)
	for first := range j.reqs {
		group := []request{first}
	fill:
		for len(group) < maxGroup {
			select {
			case r, ok := <-j.reqs:
				if !ok {
					break fill
				}
				group = append(group, r)
			default:
				break fill
			}
		}
		replies, err := j.commit(group)
		if err != nil {
			j.mu.Lock()
			if j.err == nil {
				j.err = err
			}
			j.mu.Unlock()
		}
		for i, r := range group {
			if r.reply != nil {
				if err != nil {
					r.reply <- beginReply{err: err}
				} else {
					r.reply <- replies[i]
				}
			}
		}
	}
}

// commit applies a group in one transaction.
func (j *Journal) commit(group []request) ([]beginReply, error) {
	ctx := context.Background()
	if err := j.l.verify(); err != nil {
		return nil, err // the ledger was deleted, replaced or truncated: stop
	}
	tx, err := j.l.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("starting a transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	replies := make([]beginReply, len(group))
	stamp := now()
	for i, r := range group {
		switch {
		case r.begin != nil:
			replies[i].priors = make([]reward.Prior, len(r.begin))
			for k, it := range r.begin {
				p, err := j.begin(ctx, tx, it, stamp)
				if err != nil {
					return nil, err
				}
				replies[i].priors[k] = p
			}
		case r.record != nil:
			if err := j.record(ctx, tx, r.record, stamp); err != nil {
				return nil, err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("committing: %w", err)
	}
	return replies, nil
}

// StateOf maps an outcome's status and error code to the state a rerun
// acts on.
func StateOf(status reward.Status, code string) string {
	switch status {
	case reward.StatusMatched:
		return StateConfirmed
	case reward.StatusMismatch:
		return StateMismatch
	case reward.StatusUnknown:
		return StateUnknown
	case reward.StatusFailed:
		if code == reward.CodeRejected || code == reward.CodeTxnFailed {
			return StateRejected
		}
	}
	return StateNotApplied
}

func (j *Journal) record(ctx context.Context, tx *sql.Tx, o *reward.Outcome, stamp string) error {
	args := []any{StateOf(o.Status, o.ErrorCode), o.PGReferenceNumber, o.EnKashCardID, o.EnkashCardTxnID, o.OTBBalance,
		o.ErrorCode, o.ErrorMessage, o.Attempts, ambiguous(o)}
	args = append(append(args, evidenceArgs(o.Evidence)...), stamp, j.run.Scope, o.Item.Allocation.Reference)
	if _, err := tx.StmtContext(ctx, j.stmts.outcome).ExecContext(ctx, args...); err != nil {
		return fmt.Errorf("recording the outcome of %s: %w", o.Item.Allocation.Reference, err)
	}
	return nil
}

// ambiguous reports whether an outcome leaves any doubt that EnKash
// applied the row: only a refusal, or failures that provably never
// reached EnKash, leave none.
func ambiguous(o *reward.Outcome) bool {
	if o.Evidence != (reward.Evidence{}) {
		return true // lookups were needed: the answer was lost
	}
	if o.Status.Done() {
		return false
	}
	switch o.ErrorCode {
	case reward.CodeRejected, reward.CodeRetriesExhausted, reward.CodeStopped, reward.CodeAuth:
		return o.Status == reward.StatusUnknown
	}
	return true
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
