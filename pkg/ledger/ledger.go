// Package ledger is the durable record of what was sent: an embedded SQLite
// database (modernc.org/sqlite, pure Go) in WAL mode. Before a row's first
// request leaves the process, its reference and a fingerprint of what it
// asks for are committed; outcomes are recorded as they arrive, in group
// commits. A rerun consults the ledger: a confirmed reference is skipped, a
// reference sent without a recorded outcome is looked up before anything
// is resent, and a reference reused for another person or amount is
// refused. One process at a time holds a ledger, through a lock file beside
// it.
//
// References are kept per scope (the EnKash host, company and reward
// account), so that a reference confirmed in UAT or in a sandbox never
// hides one in production.
package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// FileName is the ledger's file name inside its folder.
const FileName = "ledger.db"

// DefaultPath returns $XDG_STATE_HOME/rewardbatch/ledger.db, or
// ~/.local/state/rewardbatch/ledger.db when XDG_STATE_HOME is not set.
func DefaultPath(lookupEnv func(string) (string, bool)) (string, error) {
	if d, ok := lookupEnv("XDG_STATE_HOME"); ok && d != "" {
		return filepath.Join(d, "rewardbatch", FileName), nil
	}
	if h, ok := lookupEnv("HOME"); ok && h != "" {
		return filepath.Join(h, ".local", "state", "rewardbatch", FileName), nil
	}
	return "", errors.New("no place for the ledger: set XDG_STATE_HOME or HOME, or pass --state PATH")
}

// ErrLocked means another process holds the ledger.
var ErrLocked = errors.New("the ledger is in use by another process")

// Ledger is an open ledger. It is safe for concurrent use; a run writes
// through its [Journal].
type Ledger struct {
	path string
	db   *sql.DB
	lock *flock.Flock
}

const schema = `
CREATE TABLE IF NOT EXISTS runs (
	id           TEXT PRIMARY KEY,
	started_at   TEXT NOT NULL,
	finished_at  TEXT,
	input        TEXT NOT NULL,
	input_sha256 TEXT NOT NULL,
	plan_hash    TEXT NOT NULL,
	folder       TEXT NOT NULL,
	scope        TEXT NOT NULL,
	sandbox      INTEGER NOT NULL,
	exit_code    INTEGER,
	summary      TEXT
);
CREATE TABLE IF NOT EXISTS refs (
	scope         TEXT NOT NULL,
	reference     TEXT NOT NULL,
	fingerprint   TEXT NOT NULL,
	operation     TEXT NOT NULL,
	amount        TEXT NOT NULL,
	card_id       TEXT NOT NULL,
	person        TEXT NOT NULL,
	state         TEXT NOT NULL,
	run_id        TEXT NOT NULL,
	first_run_id  TEXT NOT NULL,
	input_sha256  TEXT NOT NULL,
	pg_reference  TEXT NOT NULL DEFAULT '',
	enkash_card   TEXT NOT NULL DEFAULT '',
	enkash_txn    TEXT NOT NULL DEFAULT '',
	otb_balance   TEXT NOT NULL DEFAULT '',
	error_code    TEXT NOT NULL DEFAULT '',
	error_message TEXT NOT NULL DEFAULT '',
	attempts      INTEGER NOT NULL DEFAULT 0,
	updated_at    TEXT NOT NULL,
	PRIMARY KEY (scope, reference)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refs_by_run ON refs (run_id, state);
`

// Open locks and opens the ledger at path, creating it and its folder when
// needed. A ledger held by another process is [ErrLocked], with the other
// process named.
func Open(ctx context.Context, path string) (*Ledger, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("ledger: creating its folder: %w", err)
	}
	lock := flock.New(path+".lock", flock.SetPermissions(0o600))
	ok, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("ledger: locking %s: %w", lock.Path(), err)
	}
	if !ok {
		holder, _ := os.ReadFile(lock.Path())
		who := strings.TrimSpace(string(holder))
		if who == "" {
			who = "an unknown process"
		}
		return nil, fmt.Errorf("%w: %s holds %s; wait for it to finish (one run at a time per ledger)", ErrLocked, who, path)
	}
	host, _ := os.Hostname()
	_ = os.WriteFile(lock.Path(), []byte(fmt.Sprintf("rewardbatch pid %d on %s since %s\n", os.Getpid(), host,
		time.Now().UTC().Format(time.RFC3339))), 0o600)
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		_ = lock.Unlock()
		return nil, fmt.Errorf("ledger: opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; the lock keeps other processes out
	if _, err := db.ExecContext(ctx, schema); err != nil {
		_ = db.Close()
		_ = lock.Unlock()
		return nil, fmt.Errorf("ledger: preparing %s: %w", path, err)
	}
	_ = os.Chmod(path, 0o600)
	return &Ledger{path: path, db: db, lock: lock}, nil
}

// OpenReadOnly opens the ledger at path for reading, without the lock, so
// that `history` works while a run holds the ledger (WAL lets readers in).
func OpenReadOnly(ctx context.Context, path string) (*Ledger, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("ledger: no ledger at %s yet (it is created by the first run): %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("ledger: opening %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("ledger: opening %s: %w", path, err)
	}
	return &Ledger{path: path, db: db}, nil
}

// Path returns the ledger's file.
func (l *Ledger) Path() string { return l.path }

// Close closes the database and releases the lock.
func (l *Ledger) Close() error {
	err := l.db.Close()
	if l.lock == nil {
		return err // opened read-only
	}
	_ = os.WriteFile(l.lock.Path(), nil, 0o600)
	if uerr := l.lock.Unlock(); err == nil {
		err = uerr
	}
	return err
}

// Scope names the EnKash account references belong to.
func Scope(baseURL, companyID, cardAccountID string) string {
	return strings.TrimRight(baseURL, "/") + "|" + companyID + "|" + cardAccountID
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
	return queryAll(ctx, l.db, scanRun, "runs", `SELECT `+runColumns+` FROM runs ORDER BY started_at DESC LIMIT ?`, limit)
}

// queryAll runs q and scans every row with scan; what names the rows in
// errors.
func queryAll[T any](ctx context.Context, db *sql.DB, scan func(interface{ Scan(...any) error }) (T, error), what, q string, args ...any) ([]T, error) {
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
	r, err := scanRun(l.db.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ? OR folder = ?
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
	_, err := l.db.ExecContext(ctx, `UPDATE runs SET finished_at = ?, exit_code = ?, summary = ? WHERE id = ?`,
		finished.UTC().Format(time.RFC3339Nano), exitCode, summary, id)
	if err != nil {
		return fmt.Errorf("ledger: recording run %s: %w", id, err)
	}
	return nil
}

// Ref is the ledger's record of one reference.
type Ref struct {
	Scope, Reference, Fingerprint, Operation, Amount, CardID, Person string
	State, RunID, FirstRunID                                         string
	PGReference, EnKashCard, EnKashTxn, OTBBalance                   string
	ErrorCode, ErrorMessage                                          string
	Attempts                                                         int
	UpdatedAt                                                        time.Time
	Evidence                                                         reward.Evidence
}

const refColumns = `scope, reference, fingerprint, operation, amount, card_id, person, state, run_id, first_run_id,
	pg_reference, enkash_card, enkash_txn, otb_balance, error_code, error_message, attempts, updated_at`

func scanRef(sc interface{ Scan(...any) error }) (Ref, error) {
	var (
		r       Ref
		updated string
	)
	err := sc.Scan(&r.Scope, &r.Reference, &r.Fingerprint, &r.Operation, &r.Amount, &r.CardID, &r.Person, &r.State,
		&r.RunID, &r.FirstRunID, &r.PGReference, &r.EnKashCard, &r.EnKashTxn, &r.OTBBalance, &r.ErrorCode,
		&r.ErrorMessage, &r.Attempts, &updated)
	r.UpdatedAt, _ = time.Parse(time.RFC3339Nano, updated)
	return r, err
}

// RefsOfRun returns the references a run recorded in the given state.
func (l *Ledger) RefsOfRun(ctx context.Context, runID, state string) ([]Ref, error) {
	return queryAll(ctx, l.db, scanRef, "references", `SELECT `+refColumns+` FROM refs WHERE run_id = ? AND state = ?`, runID, state)
}

// Lookup returns the record of a reference, if any.
func (l *Ledger) Lookup(ctx context.Context, scope, reference string) (Ref, bool, error) {
	r, err := scanRef(l.db.QueryRowContext(ctx, `SELECT `+refColumns+` FROM refs WHERE scope = ? AND reference = ?`, scope, reference))
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("ledger: reading %s: %w", reference, err)
	}
	return r, true, nil
}

// Settle records the settled outcome of a reference (reconcile).
func (l *Ledger) Settle(ctx context.Context, r Ref) error {
	_, err := l.db.ExecContext(ctx, `UPDATE refs SET state = ?, pg_reference = ?, enkash_card = ?, enkash_txn = ?,
		error_code = ?, error_message = ?, updated_at = ? WHERE scope = ? AND reference = ?`,
		r.State, r.PGReference, r.EnKashCard, r.EnKashTxn, r.ErrorCode, r.ErrorMessage, now(), r.Scope, r.Reference)
	if err != nil {
		return fmt.Errorf("ledger: settling %s: %w", r.Reference, err)
	}
	return nil
}

// ConfirmedAmounts returns, among refs, the ones confirmed in scope, with
// their amounts.
func (l *Ledger) ConfirmedAmounts(ctx context.Context, scope string, refs []string) (map[string]string, error) {
	out := map[string]string{}
	for len(refs) > 0 {
		n := min(len(refs), 500)
		args := make([]any, 0, n+1)
		args = append(args, scope)
		for _, r := range refs[:n] {
			args = append(args, r)
		}
		rows, err := l.db.QueryContext(ctx, `SELECT reference, amount FROM refs WHERE scope = ? AND state = '`+StateConfirmed+
			`' AND reference IN (?`+strings.Repeat(",?", n-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("ledger: reading confirmed references: %w", err)
		}
		for rows.Next() {
			var ref, amount string
			if err := rows.Scan(&ref, &amount); err != nil {
				rows.Close()
				return nil, fmt.Errorf("ledger: reading confirmed references: %w", err)
			}
			out[ref] = amount
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return nil, err
		}
		rows.Close()
		refs = refs[n:]
	}
	return out, nil
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }
