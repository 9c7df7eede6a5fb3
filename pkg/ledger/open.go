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
)

// ErrLocked means another process holds the ledger.
var ErrLocked = errors.New("the ledger is in use by another process")

// ErrDamaged means the ledger file cannot be trusted: empty, truncated,
// corrupt, not a ledger, or deleted or replaced while a run used it.
var ErrDamaged = errors.New("the ledger is damaged")

// The ledger runs SQLite with a rollback journal (journal_mode=TRUNCATE)
// and synchronous=FULL, not in WAL mode. In WAL mode a committed row may
// live only in the -wal file until a checkpoint; a -wal deleted after a
// kill (it looks like litter beside the database) silently forgets those
// rows, and a forgotten reference is sent again. With a rollback journal
// every commit is in the database file itself before the commit returns:
// a deleted -journal can at worst leave a half-written transaction, which
// the quick_check on open refuses, and never drops a committed one.
//
// TRUNCATE ends a commit by truncating the journal to 0 bytes, and FULL
// then syncs it, so a commit survives a power loss: the journal cannot
// come back and roll it back. (DELETE mode needs synchronous=EXTRA for
// that, to sync the folder after deleting the journal; it also creates
// and deletes the journal file at every commit, which costs more CPU on
// two cores than the commit's writes.) A commit costs five fsyncs (the
// journal twice, the folder, the database, the truncated journal), shared
// by every row of the group (see writer). Readers (history) wait out a
// commit instead of reading beside it.
const dsnPragmas = "?_pragma=journal_mode(TRUNCATE)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate"

// sideFiles are SQLite's companions of the database file; each is kept
// 0600 like the database. (SQLite creates them with the database file's
// mode, which is why the database is made 0600 before SQLite touches it.)
var sideFiles = []string{"-journal", "-wal", "-shm"}

// Option adjusts how [Open] opens a ledger.
type Option func(*options)

type options struct {
	wait     time.Duration
	readOnly bool
}

// WaitLock makes Open (SQLite) or the binding of a scope (PostgreSQL) wait
// up to d for another run to release the lock, instead of failing at once.
func WaitLock(d time.Duration) Option { return func(o *options) { o.wait = d } }

// Open opens the ledger at location: a PostgreSQL database when it is a
// postgres:// URL (see [IsURL]), else a SQLite file.
//
// SQLite: Open locks the file, creating it and its folder when needed. The
// lock is an advisory lock on the database file itself, so it cannot be
// bypassed by deleting a side file; a ledger held by another process is
// [ErrLocked], naming it (host, pid, run, since). An existing file that is
// empty, damaged or not a ledger is [ErrDamaged]: it is never taken for a
// new ledger.
//
// PostgreSQL: Open connects and upgrades the schema; the lock is per scope
// (an advisory lock taken by [Ledger.Bind] or [Ledger.StartRun]), so runs
// for different EnKash accounts share one database in parallel.
func Open(ctx context.Context, location string, opts ...Option) (*Ledger, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if IsURL(location) {
		return openPG(ctx, location, o)
	}
	return openSQLite(ctx, location, o)
}

func openSQLite(ctx context.Context, path string, o options) (*Ledger, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("ledger: creating its folder: %w", err)
	}
	if err := ensureFile(ctx, path); err != nil {
		return nil, err
	}
	lock := flock.New(path, flock.SetFlag(os.O_RDWR), flock.SetPermissions(0o600))
	ok, err := tryLock(ctx, lock, o.wait)
	if err != nil {
		return nil, fmt.Errorf("ledger: locking %s: %w", path, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s holds %s; wait for it to finish (one run at a time per ledger)", ErrLocked, holderOf(ctx, path), path)
	}
	l := &Ledger{path: path, lock: lock}
	if err := l.init(ctx); err != nil {
		_ = l.Close()
		return nil, err
	}
	return l, nil
}

// tryLock takes the file lock, waiting up to wait for it.
func tryLock(ctx context.Context, lock *flock.Flock, wait time.Duration) (bool, error) {
	if wait <= 0 {
		return lock.TryLock()
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	ok, err := lock.TryLockContext(ctx, 200*time.Millisecond)
	if errors.Is(err, context.DeadlineExceeded) {
		return false, nil
	}
	return ok, err
}

// init opens the locked file with SQLite, checks it and upgrades it.
func (l *Ledger) init(ctx context.Context) error {
	if err := l.verify(); err != nil {
		return err // replaced between the check and the lock
	}
	tighten(l.path)
	db, err := sql.Open("sqlite", "file:"+l.path+dsnPragmas)
	if err != nil {
		return fmt.Errorf("ledger: opening %s: %w", l.path, err)
	}
	db.SetMaxOpenConns(1) // one writer; the lock keeps other processes out
	l.db = db
	if err := check(ctx, db, l.path, "quick_check"); err != nil {
		return err
	}
	if err := hasSchema(ctx, db, l.path); err != nil {
		return err
	}
	if err := migrate(ctx, db, l.path); err != nil {
		return err
	}
	tighten(l.path)
	return l.setHolder(ctx, "", "")
}

// ensureFile creates a new ledger when path does not exist, and refuses
// an empty file. A new ledger is built under a temporary name and linked
// into place, so that a crash while creating it never leaves an empty file
// that could later pass for a truncated one.
func ensureFile(ctx context.Context, path string) error {
	st, err := os.Stat(path)
	switch {
	case err == nil && st.Size() == 0:
		return damaged(path, errors.New("the file is empty (0 bytes): it was truncated or overwritten"))
	case err == nil:
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("ledger: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".new-*")
	if err != nil {
		return fmt.Errorf("ledger: creating %s: %w", path, err)
	}
	name := tmp.Name()
	defer os.Remove(name) //nolint:errcheck // linked into place, or abandoned
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("ledger: creating %s: %w", path, err)
	}
	_ = tmp.Close()
	db, err := sql.Open("sqlite", "file:"+name+dsnPragmas)
	if err == nil {
		err = migrate(ctx, db, path)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("ledger: creating %s: %w", path, err)
	}
	err = os.Link(name, path) // fails if another process created it meanwhile: use that one
	if err != nil && !errors.Is(err, os.ErrExist) {
		// A file system without hard links: rename, unless the ledger appeared.
		if _, serr := os.Stat(path); errors.Is(serr, os.ErrNotExist) {
			err = os.Rename(name, path)
		} else if serr == nil {
			err = nil
		}
	}
	if err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("ledger: creating %s: %w", path, err)
	}
	return nil
}

// tighten makes the database and any side file 0600, whatever the umask
// or an older version left.
func tighten(path string) {
	for _, suffix := range append([]string{""}, sideFiles...) {
		_ = os.Chmod(path+suffix, 0o600)
	}
}

// damaged wraps why a ledger cannot be trusted into a message that says
// what to do. A read-only connection that met a commit in progress is not
// damage (see [Read]): that is [ErrMidCommit].
func damaged(path string, why error) error {
	if midCommit(why) {
		return fmt.Errorf("ledger: %s: %w: %w", path, ErrMidCommit, why)
	}
	return fmt.Errorf("%w: %s: %v. Nothing was sent. Do not delete it and run again: a ledger that forgets what "+
		"was sent lets a rerun pay again. Restore it from a backup; or move it aside (mv %s %s.damaged) and rebuild it "+
		"from the run folders with `rewardbatch ledger rebuild --state %s --from-reports DIR...`, then run the file again",
		ErrDamaged, path, why, path, path, path)
}

// check runs an integrity pragma (quick_check or integrity_check) and
// turns anything but "ok" into [ErrDamaged].
func check(ctx context.Context, db *sql.DB, path, pragma string) error {
	rows, err := db.QueryContext(ctx, `PRAGMA `+pragma)
	if err != nil {
		return damaged(path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return damaged(path, err)
		}
		if s != "ok" && len(problems) < 5 {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return damaged(path, err)
	}
	if len(problems) > 0 {
		return damaged(path, fmt.Errorf("SQLite's %s found: %s", pragma, strings.Join(problems, "; ")))
	}
	return nil
}

// hasSchema refuses an existing file that is a database but not a ledger.
func hasSchema(ctx context.Context, db *sql.DB, path string) error {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'refs'`).Scan(&n); err != nil {
		return damaged(path, err)
	}
	if n == 0 {
		return damaged(path, errors.New("the file holds no ledger (no table of references)"))
	}
	return nil
}

// verify checks that the file at the ledger's path is still the one this
// process locked and opened, and is not empty: a ledger deleted, replaced
// or truncated under a run would otherwise let it go on without memory.
func (l *Ledger) verify() error {
	if l.pg != nil {
		return nil // the session that holds the lock writes: losing one fails the other
	}
	held, err := l.lock.Stat()
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	now, err := os.Stat(l.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: %s was deleted while this process used it", ErrDamaged, l.path)
	case err != nil:
		return fmt.Errorf("ledger: %w", err)
	case !os.SameFile(held, now):
		return fmt.Errorf("%w: %s was replaced by another file while this process used it", ErrDamaged, l.path)
	case now.Size() == 0:
		return fmt.Errorf("%w: %s was truncated to 0 bytes while this process used it", ErrDamaged, l.path)
	}
	return nil
}

// setHolder records who holds the ledger (PostgreSQL: the scope), for a
// process that finds it locked.
func (l *Ledger) setHolder(ctx context.Context, scope, run string) error {
	if l.pg != nil {
		return l.pgSetHolder(ctx, scope, run)
	}
	host, _ := os.Hostname()
	_, err := l.sql().ExecContext(ctx, `INSERT INTO holder (id, host, pid, run, since) VALUES (1, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, run = excluded.run,
		since = CASE WHEN holder.pid = excluded.pid THEN holder.since ELSE excluded.since END`,
		host, os.Getpid(), run, time.Now().UTC().Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("ledger: recording its holder: %w", err)
	}
	return nil
}

// holderOf reads who holds a locked ledger; it never fails.
func holderOf(ctx context.Context, path string) string {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(2000)")
	if err != nil {
		return "an unknown process"
	}
	defer db.Close()
	h, err := scanHolder(db.QueryRowContext(ctx, `SELECT '', host, pid, run, since FROM holder WHERE id = 1`))
	if err != nil {
		return "an unknown process"
	}
	return h.String()
}

// OpenReadOnly opens the ledger at path (a file or a postgres:// URL) for
// reading, without the lock, so that `history` works while a run holds the
// ledger. [Read] wraps it for readers that may meet a commit in progress.
func OpenReadOnly(ctx context.Context, path string) (*Ledger, error) {
	if IsURL(path) {
		return openPG(ctx, path, options{readOnly: true})
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("ledger: no ledger at %s yet (it is created by the first run): %w", path, err)
	}
	if st.Size() == 0 {
		return nil, damaged(path, errors.New("the file is empty (0 bytes): it was truncated or overwritten"))
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("ledger: opening %s: %w", path, err)
	}
	l := &Ledger{path: path, db: db}
	if err := hasSchema(ctx, db, path); err != nil {
		_ = db.Close()
		return nil, err
	}
	return l, nil
}
