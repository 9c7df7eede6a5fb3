package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Decision is an approver's verdict on one plan of a batch.
type Decision struct {
	User     string
	PlanHash string
	Approve  bool
	Comment  string
	At       time.Time
}

// Errors of [Store.Decide].
var (
	ErrSelfApproval = errors.New("the person who uploaded or resent a file cannot approve it")
	ErrDecided      = errors.New("you have already decided on this plan")
)

// Decide records a verdict on the batch's current plan, in one
// transaction with the state change it causes: a rejection rejects the
// batch; an approval approves it once need distinct approvers have
// approved this plan. It returns the batch's new state.
func (s *Store) Decide(ctx context.Context, id string, d Decision, need int) (State, error) {
	var out State
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var uploader, state, hash string
		if err := tx.QueryRowContext(ctx, `SELECT uploader, state, plan_hash FROM batches WHERE id=?`, id).Scan(&uploader, &state, &hash); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		if uploader == d.User {
			return ErrSelfApproval
		}
		if State(state) != StatePending || hash != d.PlanHash {
			return ErrStale
		}
		verdict := "reject"
		if d.Approve {
			verdict = "approve"
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO decisions (batch, user, plan_hash, decision, comment, at) VALUES (?,?,?,?,?,?)
			ON CONFLICT DO NOTHING`, id, d.User, d.PlanHash, verdict, d.Comment, s.stamp())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrDecided
		}
		out = StatePending
		if !d.Approve {
			out = StateRejected
		} else {
			var approvals int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM decisions WHERE batch=? AND plan_hash=? AND decision='approve'`,
				id, d.PlanHash).Scan(&approvals); err != nil {
				return err
			}
			if approvals >= need {
				out = StateApproved
			}
		}
		return transition(ctx, tx, s.stamp(), id, d.PlanHash, []State{StatePending}, out)
	})
	return out, err
}

// Decisions lists the verdicts on a batch, oldest first.
func (s *Store) Decisions(ctx context.Context, id string) ([]Decision, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT user, plan_hash, decision, comment, at FROM decisions WHERE batch=? ORDER BY at`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Decision
	for rows.Next() {
		var d Decision
		var verdict, at string
		if err := rows.Scan(&d.User, &d.PlanHash, &verdict, &d.Comment, &at); err != nil {
			return nil, err
		}
		d.Approve, d.At = verdict == "approve", parseStamp(at)
		out = append(out, d)
	}
	return out, rows.Err()
}
