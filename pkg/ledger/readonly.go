package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrMidCommit means a reader met the ledger's rollback journal in a state
// only its writer can settle: a run was committing at that instant, or one
// was killed in the middle of a commit (the next run that opens the ledger
// rolls that commit back). The ledger is not damaged.
var ErrMidCommit = errors.New("the ledger is in the middle of a commit")

// midCommitWait is how long [Read] tries again when it meets a commit in
// progress; a live run's commit lasts milliseconds.
var midCommitWait = 10 * time.Second

// midCommit reports whether err is SQLite refusing a read-only connection
// because of a journal that would need rolling back.
func midCommit(err error) bool {
	var se *sqlite.Error
	return errors.Is(err, ErrMidCommit) || errors.As(err, &se) && se.Code() == sqlite3.SQLITE_READONLY_ROLLBACK
}

// Read opens the ledger at path with [OpenReadOnly], calls fn with it and
// closes it. A read that meets a commit in progress (SQLite's
// SQLITE_READONLY_ROLLBACK: a read-only connection may not settle the
// journal) is tried again for a while, since a running run's commit ends
// at once; one that keeps meeting it fails with [ErrMidCommit], never as
// damage, which would send someone to move the ledger aside.
func Read(ctx context.Context, path string, fn func(*Ledger) error) error {
	deadline := time.Now().Add(midCommitWait)
	for pause := 5 * time.Millisecond; ; pause = min(2*pause, 500*time.Millisecond) {
		err := readOnce(ctx, path, fn)
		if !midCommit(err) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w at %s for %v: a run is writing it, or one was killed while writing and the next run "+
				"will roll that commit back; nothing is lost, try again later: %w", ErrMidCommit, path, midCommitWait, err)
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func readOnce(ctx context.Context, path string, fn func(*Ledger) error) error {
	l, err := OpenReadOnly(ctx, path)
	if err != nil {
		return err
	}
	defer l.Close() //nolint:errcheck // read only
	return fn(l)
}
