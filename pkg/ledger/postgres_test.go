package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/ledger/pgtest"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

func TestOneRunPerScopeOnPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	loc := pgtest.Database(t)
	a := openAt(t, loc)
	ja := start(t, a, "run-a")

	b := openAt(t, loc)
	_, err := b.StartRun(ctx, RunInfo{ID: "run-b", Scope: "S", StartedAt: time.Now()})
	require.True(t, errors.Is(err, ErrLocked), "%v", err)
	host, _ := os.Hostname()
	assert.Contains(t, err.Error(), fmt.Sprintf("rewardbatch pid %d on %s since ", os.Getpid(), host))
	assert.Contains(t, err.Error(), "(run run-a) holds scope S")
	assert.NotContains(t, err.Error(), pgtest.Shared(t).Password)

	other, err := b.StartRun(ctx, RunInfo{ID: "run-other", Scope: "T", StartedAt: time.Now()})
	require.NoError(t, err, "another scope proceeds in parallel")
	require.NoError(t, other.Close())

	// A third process waits for the lock and gets it once run-a ends.
	c := openAt(t, loc, WaitLock(time.Minute))
	got := make(chan error, 1)
	go func() {
		j, err := c.StartRun(ctx, RunInfo{ID: "run-c", Scope: "S", StartedAt: time.Now()})
		if err == nil {
			err = j.Close()
		}
		got <- err
	}()
	require.NoError(t, ja.Close())
	require.NoError(t, a.Close())
	require.NoError(t, <-got)
}

func TestALostConnectionStopsTheJournal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	loc := pgtest.Database(t)
	l := openAt(t, loc)
	its := items(t, file)
	j := start(t, l, "run1")
	begin1(t, j, its[0])

	var pid int
	require.NoError(t, l.pg.conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid))
	admin, err := sql.Open("pgx", loc)
	require.NoError(t, err)
	defer admin.Close()
	_, err = admin.Exec(`SELECT pg_terminate_backend($1)`, pid)
	require.NoError(t, err)

	_, err = j.Begin(ctx, its[1:2])
	require.Error(t, err, "no send may be recorded without the lock's session")
	require.Error(t, j.Close())

	// The lock went with the session: a rerun takes the scope and finds
	// the first row unsettled, the second never recorded.
	l2 := openAt(t, loc)
	j2 := start(t, l2, "run2")
	ps, err := j2.Begin(ctx, its[:2])
	require.NoError(t, err)
	assert.Equal(t, []reward.PriorKind{reward.PriorUnsettled, reward.PriorNew}, []reward.PriorKind{ps[0].Kind, ps[1].Kind})
	require.NoError(t, j2.Close())
}

// Two processes that share a database without the lock (bypassed here)
// never both claim a reference as new: the claim is one INSERT ... ON
// CONFLICT, and a resend claims only the record it read.
func TestAReferenceIsClaimedOnceWithoutTheLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	loc := pgtest.Database(t)
	its := items(t, file)
	var journals []*Journal
	for i := range 4 {
		l := openAt(t, loc)
		l.pg.held["S"] = true // bypass the scope lock
		journals = append(journals, start(t, l, fmt.Sprintf("run%d", i)))
	}
	kinds := make([][]reward.Prior, len(journals))
	var wg sync.WaitGroup
	for i, j := range journals {
		wg.Go(func() {
			ps, err := j.Begin(ctx, its)
			assert.NoError(t, err)
			kinds[i] = ps
		})
	}
	wg.Wait()
	for r := range its {
		fresh := 0
		for i := range journals {
			if kinds[i][r].Kind == reward.PriorNew {
				fresh++
			} else {
				assert.Contains(t, []reward.PriorKind{reward.PriorUnsettled, reward.PriorHeld}, kinds[i][r].Kind,
					"looked up before any send, or held")
			}
		}
		assert.Equal(t, 1, fresh, "row %d claimed as new exactly once", r)
	}
	for _, j := range journals {
		require.NoError(t, j.Close())
	}
}

func TestPostgresSchemaVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	loc := pgtest.Database(t)
	l := openAt(t, loc)
	h, err := l.Check(ctx)
	require.NoError(t, err)
	assert.Equal(t, SchemaVersion, h.SchemaVersion)
	require.NoError(t, l.Close())
	l = openAt(t, loc) // reopening changes nothing
	var steps int
	require.NoError(t, l.db.QueryRow(`SELECT COUNT(*) FROM rewardbatch_migration`).Scan(&steps))
	assert.Equal(t, len(migrations), steps)
	_, err = l.db.Exec(`INSERT INTO rewardbatch_migration (version, what, applied_at) VALUES (99, 'future', '')`)
	require.NoError(t, err)
	require.NoError(t, l.Close())

	_, err = Open(ctx, loc)
	require.True(t, errors.Is(err, ErrNewerSchema), "%v", err)
	assert.Contains(t, err.Error(), "is at schema version 99, this binary knows up to 2: use the newer rewardbatch")
	assert.NotContains(t, err.Error(), pgtest.Shared(t).Password)
	_, err = OpenReadOnly(ctx, loc)
	require.True(t, errors.Is(err, ErrNewerSchema), "%v", err)
}

// The password may come from PGPASSWORD or a PGPASSFILE instead of the
// URL (pgx reads both); a wrong one is refused without repeating it.
func TestPasswordFromTheEnvironment(t *testing.T) { //nolint:paralleltest // t.Setenv
	ctx := context.Background()
	loc := pgtest.Database(t)
	u, err := url.Parse(loc)
	require.NoError(t, err)
	pw, _ := u.User.Password()
	u.User = url.User(u.User.Username())
	bare := u.String()

	t.Run("PGPASSWORD", func(t *testing.T) {
		t.Setenv("PGPASSWORD", pw)
		l, err := Open(ctx, bare)
		require.NoError(t, err)
		require.NoError(t, l.Close())
	})
	t.Run("PGPASSFILE", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "pgpass")
		require.NoError(t, os.WriteFile(file, []byte(fmt.Sprintf("127.0.0.1:%s:*:%s:%s\n", u.Port(), u.User.Username(), pw)), 0o600))
		t.Setenv("PGPASSFILE", file)
		t.Setenv("PGPASSWORD", "")
		l, err := Open(ctx, bare)
		require.NoError(t, err)
		require.NoError(t, l.Close())
	})
	t.Run("a wrong password is not repeated", func(t *testing.T) {
		wrong := strings.Replace(loc, ":"+pw+"@", ":Wr0ngSecret99@", 1)
		_, err := Open(ctx, wrong)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "Wr0ngSecret99")
		assert.Contains(t, err.Error(), "***")
	})
}

// The permissions the README gives a run's database user suffice once
// the ledger's owner created the schema.
func TestARunNeedsOnlyTheREADMEsPermissions(t *testing.T) {
	t.Parallel()
	loc := pgtest.Database(t)
	require.NoError(t, openAt(t, loc).Close()) // the owner creates the schema
	u, err := url.Parse(loc)
	require.NoError(t, err)
	db := strings.TrimPrefix(u.Path, "/")
	role := "runner_" + db
	s := pgtest.Shared(t)
	for _, q := range []string{
		"CREATE ROLE " + role + " LOGIN PASSWORD 'runner-pw'",
		"REVOKE CREATE ON SCHEMA public FROM PUBLIC",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON runs, refs, scopes, holders TO " + role,
		"GRANT SELECT ON rewardbatch_migration TO " + role,
	} {
		require.NoError(t, s.Exec(db, q), q)
	}
	u.User = url.UserPassword(role, "runner-pw")
	l := openAt(t, u.String())
	its := items(t, file)
	j := start(t, l, "run1")
	begin1(t, j, its[0])
	require.NoError(t, j.Record(&reward.Outcome{Item: its[0], Status: reward.StatusMatched, Attempts: 1}))
	require.NoError(t, j.Finish(context.Background(), time.Now(), 0, `{}`))
	tg, err := NewTarget("production", "https://pay.example", "C", "A")
	require.NoError(t, err)
	_, _, err = l.Bind(context.Background(), tg)
	require.NoError(t, err)
}
