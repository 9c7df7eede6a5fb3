// Package store keeps the web console's own records in SQLite (a
// console.db beside the ledger): users and their roles, sessions, the
// uploaded batches with their approvals, and an append-only audit log.
// The ledger stays the only record of what was sent; the console never
// writes to it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// FileName is the console database's file name, beside the ledger.
const FileName = "console.db"

// ErrNotFound is a record that does not exist.
var ErrNotFound = errors.New("not found")

// Store is an open console database. It is safe for concurrent use.
type Store struct {
	db        *sql.DB
	now       func() time.Time
	cost      int
	dummyOnce sync.Once
	dummy     []byte
}

// Open opens (creating when needed) the console database at path and
// applies the migrations it lacks.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("console store: creating its folder: %w", err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("console store: opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	s := &Store{db: db, now: time.Now, cost: DefaultCost}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	_ = os.Chmod(path, 0o600)
	return s, nil
}

// SetClock replaces the clock (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) stamp() string { return s.now().UTC().Format(time.RFC3339Nano) }

func parseStamp(v string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, v)
	return t
}

// migrations are applied in order, each once; never edit a released one,
// add the next.
var migrations = []string{
	1: `
CREATE TABLE users (
	name         TEXT PRIMARY KEY,
	role         TEXT NOT NULL,
	password     BLOB NOT NULL,
	created_at   TEXT NOT NULL,
	failures     INTEGER NOT NULL DEFAULT 0,
	locked_until TEXT NOT NULL DEFAULT ''
);
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	user       TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
	csrf       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	last_seen  TEXT NOT NULL
);
CREATE TABLE batches (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	size        INTEGER NOT NULL,
	file_sha256 TEXT NOT NULL,
	batch_id    TEXT NOT NULL DEFAULT '',
	uploader    TEXT NOT NULL,
	parent      TEXT NOT NULL DEFAULT '',
	state       TEXT NOT NULL,
	plan_hash   TEXT NOT NULL DEFAULT '',
	plan_json   TEXT NOT NULL DEFAULT '',
	check_code  INTEGER NOT NULL DEFAULT 0,
	check_error TEXT NOT NULL DEFAULT '',
	run_id      TEXT NOT NULL DEFAULT '',
	exit_code   INTEGER NOT NULL DEFAULT -1,
	run_error   TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
);
CREATE INDEX batches_by_time ON batches (created_at);
CREATE TABLE decisions (
	batch     TEXT NOT NULL REFERENCES batches(id),
	user      TEXT NOT NULL,
	plan_hash TEXT NOT NULL,
	decision  TEXT NOT NULL,
	comment   TEXT NOT NULL,
	at        TEXT NOT NULL,
	PRIMARY KEY (batch, user, plan_hash)
);
CREATE TABLE audit (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	at          TEXT NOT NULL,
	user        TEXT NOT NULL,
	action      TEXT NOT NULL,
	batch       TEXT NOT NULL,
	file_sha256 TEXT NOT NULL,
	plan_hash   TEXT NOT NULL,
	detail      TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`,
	// 2: the control totals the uploader states (-1 and '' when not stated).
	2: `
ALTER TABLE batches ADD COLUMN expect_rows INTEGER NOT NULL DEFAULT -1;
ALTER TABLE batches ADD COLUMN expect_total TEXT NOT NULL DEFAULT '';
`,
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("console store: migrations table: %w", err)
	}
	var have int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("console store: reading the schema version: %w", err)
	}
	if have >= len(migrations) {
		return nil
	}
	for v := have + 1; v < len(migrations); v++ {
		if err := s.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?)`, v, s.stamp())
			return err
		}); err != nil {
			return fmt.Errorf("console store: migration %d: %w", v, err)
		}
	}
	return nil
}

// Version returns the schema version applied.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func (s *Store) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
