package store

import (
	"context"
	"time"
)

// Event is one line of the append-only audit log.
type Event struct {
	Seq        int64
	At         time.Time
	User       string
	Action     string
	Batch      string
	FileSHA256 string
	PlanHash   string
	Detail     string
	BatchName  string // the batch's file name, when the event is about one
}

// Audit appends an event; the database refuses to change or delete one.
func (s *Store) Audit(ctx context.Context, e Event) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit (at, user, action, batch, file_sha256, plan_hash, detail) VALUES (?,?,?,?,?,?,?)`,
		s.stamp(), e.User, e.Action, e.Batch, e.FileSHA256, e.PlanHash, e.Detail)
	return err
}

// Events lists the audit log, newest first, optionally of one batch.
func (s *Store) Events(ctx context.Context, batch string, limit int) ([]Event, error) {
	q, args := `SELECT a.seq, a.at, a.user, a.action, a.batch, a.file_sha256, a.plan_hash, a.detail, COALESCE(b.name, '')
		FROM audit a LEFT JOIN batches b ON b.id = a.batch`, []any{}
	if batch != "" {
		q, args = q+` WHERE a.batch = ?`, append(args, batch)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY a.seq DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at string
		if err := rows.Scan(&e.Seq, &at, &e.User, &e.Action, &e.Batch, &e.FileSHA256, &e.PlanHash, &e.Detail, &e.BatchName); err != nil {
			return nil, err
		}
		e.At = parseStamp(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
