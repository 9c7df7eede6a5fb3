package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// midCommitCopy copies a ledger while a write transaction is open on it:
// the copy holds the transaction's rollback journal and no process holds
// its lock, as after a run killed in the middle of a commit (and as a
// reader may see it for an instant while a run commits).
func midCommitCopy(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), FileName)
	l, err := Open(ctx, src)
	require.NoError(t, err)
	require.NoError(t, l.Close())

	db, err := sql.Open("sqlite", "file:"+src+dsnPragmas+"&_pragma=cache_size(10)") // a small cache spills the transaction into the file
	require.NoError(t, err)
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback() //nolint:errcheck // never committed
	for i := range 2000 {
		_, err = tx.Exec(`INSERT INTO runs (id, started_at, input, input_sha256, plan_hash, folder, scope, sandbox)
			VALUES (?, '2026-12-01T00:00:00Z', 'f.csv', '', '', '/tmp', 's', 0)`, fmt.Sprintf("half-%04d", i))
		require.NoError(t, err)
	}
	dst := filepath.Join(t.TempDir(), FileName)
	for _, side := range []string{"", "-journal"} {
		b, err := os.ReadFile(src + side)
		require.NoError(t, err)
		require.NotEmpty(t, b, "%s holds the open transaction", src+side)
		require.NoError(t, os.WriteFile(dst+side, b, 0o600))
	}
	return dst
}

// TestReadMeetsACommitInProgress: a reader (history, the console) that
// meets a commit's journal is told the ledger is mid-commit, never that it
// is damaged (which would send someone to move it aside); the next run
// rolls the half-written commit back and readers read again.
func TestReadMeetsACommitInProgress(t *testing.T) {
	defer func(d time.Duration) { midCommitWait = d }(midCommitWait)
	midCommitWait = 50 * time.Millisecond
	ctx := context.Background()
	path := midCommitCopy(t)

	for name, read := range map[string]func(*Ledger) error{
		"history": func(l *Ledger) error { _, err := l.Runs(ctx, 10); return err },
		"check":   func(l *Ledger) error { _, err := l.Check(ctx); return err },
		"export":  func(l *Ledger) error { _, err := l.Export(ctx, io.Discard); return err },
	} {
		err := Read(ctx, path, read)
		require.ErrorIs(t, err, ErrMidCommit, name)
		assert.NotErrorIs(t, err, ErrDamaged, name)
		assert.Contains(t, err.Error(), "nothing is lost, try again later", name)
	}

	l, err := Open(ctx, path) // a run: it rolls the half-written commit back
	require.NoError(t, err)
	require.NoError(t, l.Close())
	var runs []RunRecord
	require.NoError(t, Read(ctx, path, func(l *Ledger) (err error) { runs, err = l.Runs(ctx, 10); return err }))
	assert.Empty(t, runs, "the half-written commit was rolled back")
}
