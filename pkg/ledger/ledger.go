// Package ledger is the durable record of what was sent, on one of two back
// ends with the same meaning: an embedded SQLite database (modernc.org/sqlite,
// pure Go) in rollback-journal mode (see dsnPragmas for why not WAL), or a
// PostgreSQL database through pgx (a postgres:// URL; see [Open] and
// postgres.go for its per-scope advisory locks). The SQL is written once,
// in SQLite's spelling, and rebound for PostgreSQL (see dialected). Before a row's first
// request leaves the process, its reference and a fingerprint of what it
// asks for are committed; outcomes are recorded as they arrive, folded
// into the next of those commits (see writer). A rerun consults the ledger: a confirmed reference is skipped, a
// reference sent without a recorded outcome is looked up before anything
// is resent, and a reference reused for another person or amount is
// refused. One process at a time holds a ledger, through a lock on the
// database file itself.
//
// References are kept per scope (the EnKash environment, company and
// reward account: see [Target]), so that a reference confirmed in UAT or
// in a sandbox never hides one in production. The schema is versioned
// (PRAGMA user_version; rewardbatch_migration on PostgreSQL) and upgraded
// in place by the same numbered migrations. [Ledger.Export] and
// [Ledger.Import] move a history between the back ends.
package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// FileName is the ledger's file name inside its folder. The default
// folder depends on the system: see config.DefaultPaths.
const FileName = "ledger.db"

// Ledger is an open ledger, on either back end: a SQLite file or a
// PostgreSQL database (see [Open]); every method means the same on both.
// It is safe for concurrent use; a run writes through its [Journal], one
// journal at a time.
type Ledger struct {
	path string       // the file, or the database URL with its password masked
	db   *sql.DB      // SQLite: one connection; PostgreSQL: a pool
	lock *flock.Flock // SQLite: nil when opened read-only
	pg   *pgState     // PostgreSQL: nil for SQLite
}

// Path returns the ledger's file, or its database URL with the password
// masked: fit for messages.
func (l *Ledger) Path() string { return l.path }

// Backend names the ledger's back end: "sqlite" or "postgres".
func (l *Ledger) Backend() string {
	if l.pg != nil {
		return "postgres"
	}
	return "sqlite"
}

// sql runs the ledger's SQL on its database, in its dialect.
func (l *Ledger) sql() dialected { return l.in(l.db) }

// in runs the ledger's SQL on q (a transaction), in its dialect.
func (l *Ledger) in(q querier) dialected { return dialected{q, l.pg != nil} }

// Close closes the database and releases the lock.
func (l *Ledger) Close() error {
	if l.pg != nil {
		return l.closePG()
	}
	if l.lock == nil {
		return l.db.Close() // opened read-only
	}
	var err error
	if l.db != nil {
		if l.verify() == nil {
			_, _ = l.db.Exec(`DELETE FROM holder`)
		}
		err = l.db.Close()
	}
	if uerr := l.lock.Unlock(); err == nil {
		err = uerr
	}
	return err
}

// RunRecord is one run as the ledger keeps it.
type RunRecord struct {
	RunInfo
	FinishedAt time.Time // zero while running, or after a crash
	ExitCode   int       // -1 when unknown
	Summary    string    // summary.json, when the run finished
}

const runColumns = `id, started_at, COALESCE(finished_at, ''), input, input_sha256, plan_hash, folder, scope, sandbox,
	COALESCE(exit_code, -1), COALESCE(summary, '')`

func scanRun(sc interface{ Scan(...any) error }) (RunRecord, error) {
	var (
		r                 RunRecord
		started, finished string
		sandbox           int
	)
	if err := sc.Scan(&r.ID, &started, &finished, &r.Input, &r.InputSHA256, &r.PlanHash, &r.Folder, &r.Scope, &sandbox,
		&r.ExitCode, &r.Summary); err != nil {
		return r, err
	}
	r.StartedAt, _ = time.Parse(time.RFC3339Nano, started)
	r.FinishedAt, _ = time.Parse(time.RFC3339Nano, finished)
	r.Sandbox = sandbox != 0
	return r, nil
}

// Runs returns the most recent runs, newest first.
func (l *Ledger) Runs(ctx context.Context, limit int) ([]RunRecord, error) {
	return queryAll(ctx, l.sql(), scanRun, "runs", `SELECT `+runColumns+` FROM runs ORDER BY started_at DESC LIMIT ?`, limit)
}

// queryAll runs q and scans every row with scan; what names the rows in
// errors.
func queryAll[T any](ctx context.Context, db querier, scan func(interface{ Scan(...any) error }) (T, error), what, q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: reading %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("ledger: reading %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: reading %s: %w", what, err)
	}
	return out, nil
}

// ErrNoRun means no run has that id or folder.
var ErrNoRun = errors.New("no such run in the ledger")

// Run finds a run by its id or by its folder (the newest run that wrote
// into that folder).
func (l *Ledger) Run(ctx context.Context, idOrFolder string) (RunRecord, error) {
	folder, _ := filepath.Abs(idOrFolder)
	r, err := scanRun(l.sql().QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ? OR folder = ?
		ORDER BY id = ? DESC, started_at DESC LIMIT 1`, idOrFolder, folder, idOrFolder))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%w: %s (see rewardbatch history)", ErrNoRun, idOrFolder)
	}
	if err != nil {
		return r, fmt.Errorf("ledger: reading run %s: %w", idOrFolder, err)
	}
	return r, nil
}

// SetSummary stores a run's summary and exit code.
func (l *Ledger) SetSummary(ctx context.Context, id string, finished time.Time, exitCode int, summary string) error {
	_, err := l.sql().ExecContext(ctx, `UPDATE runs SET finished_at = ?, exit_code = ?, summary = ? WHERE id = ?`,
		finished.UTC().Format(time.RFC3339Nano), exitCode, summary, id)
	if err != nil {
		return fmt.Errorf("ledger: recording run %s: %w", id, err)
	}
	return nil
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }
