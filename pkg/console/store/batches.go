package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// State is where a batch is in its life.
type State string

// The states of a batch, in the order a batch usually passes them.
const (
	StateInvalid  State = "invalid"  // the check refused the file or some rows
	StateChecked  State = "checked"  // every row is valid; the uploader may submit it
	StatePending  State = "pending"  // submitted, waiting for approval
	StateRejected State = "rejected" // an approver rejected it
	StateApproved State = "approved" // approved; waiting for its turn to be sent
	StateRunning  State = "running"  // being sent
	StateFinished State = "finished" // sent; see the exit code for how it ended
	StateStopped  State = "stopped"  // could not start, or the server stopped during the run
)

// Batch is one uploaded file and what became of it.
type Batch struct {
	ID         string // generated; names its folder
	Name       string // the file name the user gave, for display only
	Size       int64
	FileSHA256 string
	BatchID    string // --batch-id for rows without a reference
	// ExpectRows and ExpectTotal are the control totals the uploader
	// stated: -1 and "" when not stated.
	ExpectRows  int
	ExpectTotal string
	Uploader    string
	Parent      string // the batch whose failed rows this one resends
	State       State
	PlanHash    string
	PlanJSON    string
	CheckCode   int
	CheckError  string
	RunID       string
	ExitCode    int
	RunError    string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

const batchColumns = `id, name, size, file_sha256, batch_id, uploader, parent, state, plan_hash, plan_json, check_code,
	check_error, run_id, exit_code, run_error, created_at, updated_at, expect_rows, expect_total`

func scanBatch(sc interface{ Scan(...any) error }) (Batch, error) {
	var b Batch
	var state, created, updated string
	err := sc.Scan(&b.ID, &b.Name, &b.Size, &b.FileSHA256, &b.BatchID, &b.Uploader, &b.Parent, &state, &b.PlanHash,
		&b.PlanJSON, &b.CheckCode, &b.CheckError, &b.RunID, &b.ExitCode, &b.RunError, &created, &updated, &b.ExpectRows, &b.ExpectTotal)
	b.State, b.CreatedAt, b.UpdatedAt = State(state), parseStamp(created), parseStamp(updated)
	return b, err
}

// AddBatch records a new upload.
func (s *Store) AddBatch(ctx context.Context, b Batch) error {
	now := s.stamp()
	_, err := s.db.ExecContext(ctx, `INSERT INTO batches (`+batchColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		b.ID, b.Name, b.Size, b.FileSHA256, b.BatchID, b.Uploader, b.Parent, string(b.State), b.PlanHash, b.PlanJSON,
		b.CheckCode, b.CheckError, b.RunID, b.ExitCode, b.RunError, now, now, b.ExpectRows, b.ExpectTotal)
	return err
}

// Batch returns one batch.
func (s *Store) Batch(ctx context.Context, id string) (Batch, error) {
	b, err := scanBatch(s.db.QueryRowContext(ctx, `SELECT `+batchColumns+` FROM batches WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return b, ErrNotFound
	}
	return b, err
}

// Batches lists the latest batches first.
func (s *Store) Batches(ctx context.Context, limit int) ([]Batch, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+batchColumns+` FROM batches ORDER BY created_at DESC, id LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Checkable are the states in which a batch may be checked (again): a new
// plan hash voids the approvals of the old one.
var Checkable = []State{StateInvalid, StateChecked, StatePending, StateRejected}

// SetCheck stores the outcome of a check and the state it leads to, when
// the batch is still in a [Checkable] state ([ErrStale] otherwise).
func (s *Store) SetCheck(ctx context.Context, id string, state State, planHash, planJSON string, code int, checkErr string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE batches SET state=?, plan_hash=?, plan_json=?, check_code=?, check_error=?, updated_at=?
		WHERE id=? AND state IN (?, ?, ?, ?)`, string(state), planHash, planJSON, code, checkErr, s.stamp(), id,
		string(Checkable[0]), string(Checkable[1]), string(Checkable[2]), string(Checkable[3]))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrStale
	}
	return nil
}

// ErrStale is a transition asked of a batch that is no longer in the state
// (or at the plan) the asker saw.
var ErrStale = errors.New("the batch changed since the page was shown")

// Transition moves a batch from one state to another, only when it is in
// from and its plan hash is planHash.
func (s *Store) Transition(ctx context.Context, id, planHash string, from []State, to State) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		return transition(ctx, tx, s.stamp(), id, planHash, from, to)
	})
}

func transition(ctx context.Context, tx *sql.Tx, now, id, planHash string, from []State, to State) error {
	var state, hash string
	if err := tx.QueryRowContext(ctx, `SELECT state, plan_hash FROM batches WHERE id=?`, id).Scan(&state, &hash); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	}
	if hash != planHash || !isOneOf(State(state), from) {
		return fmt.Errorf("%w (it is %s)", ErrStale, state)
	}
	_, err := tx.ExecContext(ctx, `UPDATE batches SET state=?, updated_at=? WHERE id=?`, string(to), now, id)
	return err
}

func isOneOf(s State, set []State) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// SetRun records the run of a batch: its id when it starts, and its exit
// code and error when it ends.
func (s *Store) SetRun(ctx context.Context, id string, state State, runID string, exitCode int, runErr string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE batches SET state=?, run_id=?, exit_code=?, run_error=?, updated_at=? WHERE id=?`,
		string(state), runID, exitCode, runErr, s.stamp(), id)
	return err
}

// MarkInterrupted turns batches left running by a stopped server into
// stopped ones and returns their ids.
func (s *Store) MarkInterrupted(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM batches WHERE state IN (?, ?)`, string(StateRunning), string(StateApproved))
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := s.SetRun(ctx, id, StateStopped, "", -1, "the server stopped before or during this run; send it again (rows already done are skipped)"); err != nil {
			return ids, err
		}
	}
	return ids, nil
}
