package ledger

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// legacy writes a version-1 ledger (no user_version) holding refs, each
// {scope, reference, state, error_code}.
func legacy(t *testing.T, path string, refs [][4]string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(schemaV1)
	require.NoError(t, err)
	for _, r := range refs {
		_, err = db.Exec(`INSERT INTO refs (scope, reference, fingerprint, operation, amount, card_id, person, state, run_id,
			first_run_id, input_sha256, error_code, updated_at) VALUES (?, ?, 'fp', 'allocate', '100', '', 'a***', ?, 'old', 'old', '', ?, '')`,
			r[0], r[1], r[2], r[3])
		require.NoError(t, err)
	}
	_, err = db.Exec(`INSERT INTO runs (id, started_at, input, input_sha256, plan_hash, folder, scope, sandbox)
		VALUES ('old', '2026-10-01T00:00:00Z', 'f.csv', '', '', '/tmp', ?, 0)`, refs[0][0])
	require.NoError(t, err)
}

func TestOldLedgersUpgradeInPlace(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state", FileName)
	legacy(t, path, [][4]string{
		{"https://user:pa55@API.example.com:443/|C|A", "R1", StateConfirmed, ""},
		{"http://h:80/|C|A", "R2", StateRejected, reward.CodeRejected},
		{"http://h|C|A", "R2", StateConfirmed, ""}, // the same scope, spelled otherwise: the confirmation wins
		{"http://h|C|A", "R3", StateNotApplied, reward.CodeNotApplied},
	})
	l, err := Open(context.Background(), path)
	require.NoError(t, err)
	defer l.Close()
	var version int
	require.NoError(t, l.db.QueryRow(`PRAGMA user_version`).Scan(&version))
	assert.Equal(t, SchemaVersion, version)
	var mode string
	require.NoError(t, l.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
	assert.Equal(t, "truncate", mode, "rollback journal, not WAL")

	var scopes []string
	rows, err := l.db.Query(`SELECT DISTINCT scope FROM refs UNION SELECT scope FROM runs ORDER BY 1`)
	require.NoError(t, err)
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		scopes = append(scopes, s)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"http://h|C|A", "https://api.example.com|C|A"}, scopes, "normalised, and no password left")

	refs := map[string]Ref{}
	all, err := queryAll(context.Background(), l.db, scanRef, "refs", `SELECT `+refColumns+` FROM refs`)
	require.NoError(t, err)
	for _, r := range all {
		refs[r.Reference] = r
	}
	assert.Equal(t, StateConfirmed, refs["R2"].State)
	assert.True(t, refs["R3"].Ambiguous, "a v1 NOT_APPLIED after a lookup had an ambiguous attempt")

	// Reopening is a no-op.
	require.NoError(t, l.Close())
	l2, err := Open(context.Background(), path)
	require.NoError(t, err)
	require.NoError(t, l2.Close())
}

func TestANewerSchemaIsRefused(t *testing.T) {
	t.Parallel()
	l, path := open(t)
	_, err := l.db.Exec(`PRAGMA user_version = 99`)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	_, err = Open(context.Background(), path)
	require.True(t, errors.Is(err, ErrNewerSchema), "%v", err)
	assert.Contains(t, err.Error(), "is at schema version 99, this binary knows up to 2: use the newer rewardbatch")
}

func TestADamagedLedgerIsNeverTakenForANewOne(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
		why    string
	}{
		{"truncated to 0 bytes", func(t *testing.T, path string) { require.NoError(t, os.Truncate(path, 0)) },
			"the file is empty (0 bytes)"},
		{"truncated mid-page", func(t *testing.T, path string) {
			st, err := os.Stat(path)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(path, st.Size()/2))
		}, "database disk image is malformed"},
		{"overwritten with text", func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte(strings.Repeat("not a database\n", 400)), 0o600))
		}, "file is not a database"},
		{"a database without the schema", func(t *testing.T, path string) {
			require.NoError(t, os.Remove(path))
			db, err := sql.Open("sqlite", "file:"+path)
			require.NoError(t, err)
			_, err = db.Exec(`CREATE TABLE other (x)`)
			require.NoError(t, err)
			require.NoError(t, db.Close())
		}, "the file holds no ledger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, path := open(t)
			j := start(t, l, "run1")
			for i, it := range items(t, strings.Repeat(file, 1)) {
				begin1(t, j, it)
				require.NoError(t, j.Record(&reward.Outcome{Item: it, Status: reward.StatusMatched, Attempts: 1 + i}))
			}
			require.NoError(t, j.Close())
			require.NoError(t, l.Close())
			tt.damage(t, path)
			_, err := Open(context.Background(), path)
			require.True(t, errors.Is(err, ErrDamaged), "%v", err)
			assert.Contains(t, err.Error(), tt.why)
			assert.Contains(t, err.Error(), "Do not delete it and run again")
			assert.Contains(t, err.Error(), "rewardbatch ledger rebuild --state "+path+" --from-reports DIR")
			assert.NotContains(t, err.Error(), "ledger: ledger:")
		})
	}
}

func TestTheLockIsOnTheDatabaseFile(t *testing.T) {
	t.Parallel()
	l, path := open(t)
	j := start(t, l, "run-holding")
	defer j.Close()
	_ = os.Remove(path + ".lock") // what used to free a held ledger
	_, err := Open(context.Background(), path)
	require.True(t, errors.Is(err, ErrLocked), "%v", err)
	host, _ := os.Hostname()
	assert.Contains(t, err.Error(), "the ledger is in use by another process: rewardbatch pid ")
	assert.Contains(t, err.Error(), " on "+host+" since ")
	assert.Contains(t, err.Error(), "(run run-holding) holds "+path+"; wait for it to finish (one run at a time per ledger)")
	assert.NoFileExists(t, path+".lock", "no side file")
}

func TestADeletedOrReplacedLedgerStopsTheRun(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		act   func(path string) error
		words string
	}{
		{"deleted", os.Remove, "was deleted while this process used it"},
		{"replaced", func(path string) error {
			if err := os.Rename(path, path+".moved"); err != nil {
				return err
			}
			return os.WriteFile(path, []byte("x"), 0o600)
		}, "was replaced by another file"},
		{"truncated", func(path string) error { return os.Truncate(path, 0) }, "was truncated to 0 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, path := open(t)
			its := items(t, file)
			j := start(t, l, "run1")
			begin1(t, j, its[0])
			require.NoError(t, tt.act(path))
			_, err := j.Begin(context.Background(), its[1:2])
			require.True(t, errors.Is(err, ErrDamaged), "%v", err)
			assert.Contains(t, err.Error(), tt.words)
			assert.Error(t, j.Record(&reward.Outcome{Item: its[0], Status: reward.StatusMatched, Attempts: 1}),
				"every later write fails too")
			assert.Error(t, j.Close())
		})
	}
}

// TestFileModesUnderUmask000 is not parallel: the umask belongs to the
// process.
func TestFileModesUnderUmask000(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, FileName)
	l, err := Open(context.Background(), path)
	require.NoError(t, err)
	its := items(t, file)
	j, err := l.StartRun(context.Background(), RunInfo{ID: "r", Scope: "S", StartedAt: time.Now()})
	require.NoError(t, err)
	begin1(t, j, its[0])
	// A write transaction of a second connection keeps SQLite's journal on
	// disk long enough to be seen: SQLite creates it with the database's mode.
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	defer db.Close()
	tx, err := db.Begin()
	require.NoError(t, err)
	_, err = tx.Exec(`INSERT INTO runs (id, started_at, input, input_sha256, plan_hash, folder, scope, sandbox)
		VALUES ('other', '', '', '', '', '', '', 0)`)
	require.NoError(t, err)
	seen := map[string]os.FileMode{}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		seen[e.Name()] = info.Mode().Perm()
	}
	require.NoError(t, tx.Rollback())
	assert.Contains(t, seen, FileName+"-journal")
	assert.Contains(t, seen, FileName)
	require.NoError(t, j.Close())
	st, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm(), "the folder")
	for name, mode := range seen {
		assert.Equal(t, os.FileMode(0o600), mode, name)
	}
	require.NoError(t, l.Close())

	// Side files an older version (or a crash) left are tightened too.
	for _, suffix := range sideFiles {
		require.NoError(t, os.WriteFile(path+suffix, nil, 0o666))
	}
	require.NoError(t, os.Chmod(path, 0o644))
	tighten(path)
	for _, suffix := range append([]string{""}, sideFiles...) {
		st, err := os.Stat(path + suffix)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), FileName+suffix)
	}
}
