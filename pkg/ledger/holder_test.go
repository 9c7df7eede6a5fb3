package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holdersAt reads the holders through a read-only ledger, as history does
// while a run holds the ledger.
func holdersAt(t *testing.T, loc string) []Holder {
	t.Helper()
	ro, err := OpenReadOnly(context.Background(), loc)
	require.NoError(t, err)
	defer ro.Close()
	hs, err := ro.Holders(context.Background())
	require.NoError(t, err)
	return hs
}

// A running run is named by the ledger's holder on both back ends, read
// without the lock; closing the ledger forgets it.
func TestHoldersNameTheRunningRun(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, loc string) {
		l := openAt(t, loc)
		j := start(t, l, "run-a")
		host, _ := os.Hostname()
		hs := holdersAt(t, loc)
		require.Len(t, hs, 1)
		h := hs[0]
		assert.Equal(t, "run-a", h.Run)
		assert.Equal(t, host, h.Host)
		assert.Equal(t, os.Getpid(), h.PID)
		assert.True(t, h.Locked)
		assert.WithinDuration(t, time.Now(), h.Since, time.Minute)
		if IsURL(loc) {
			assert.Equal(t, "S", h.Scope)
		} else {
			assert.Empty(t, h.Scope)
		}

		require.NoError(t, j.Close())
		require.NoError(t, l.Close())
		assert.Empty(t, holdersAt(t, loc), "a closed ledger has no holder")
	})
}

// A PostgreSQL run that died (its session gone) leaves its holder row,
// which the server's locks show as no longer held.
func TestAPostgresHolderWhoseSessionDiedIsNotLocked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	loc := backends[1].location(t)
	l := openAt(t, loc)
	start(t, l, "run-killed")
	other := openAt(t, loc)
	_, err := other.StartRun(ctx, RunInfo{ID: "run-alive", Scope: scopeWithBothHighBits(t), StartedAt: time.Now()})
	require.NoError(t, err)

	var pid int
	require.NoError(t, l.pg.conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid))
	admin, err := sql.Open("pgx", loc)
	require.NoError(t, err)
	defer admin.Close()
	_, err = admin.Exec(`SELECT pg_terminate_backend($1, 10000)`, pid) // waits for the session to end
	require.NoError(t, err)

	hs := holdersAt(t, loc)
	require.Len(t, hs, 2)
	assert.Equal(t, [2]string{"S", "run-killed"}, [2]string{hs[0].Scope, hs[0].Run})
	assert.False(t, hs[0].Locked, "the killed run's lock went with its session")
	assert.Equal(t, [2]string{scopeWithBothHighBits(t), "run-alive"}, [2]string{hs[1].Scope, hs[1].Run})
	assert.True(t, hs[1].Locked)
}

// scopeWithBothHighBits is a scope after "S" whose lock key is negative
// and has the high bit of its low half set, so that the split of the key
// in pg_locks is checked on its signs.
func scopeWithBothHighBits(t *testing.T) string {
	t.Helper()
	for i := 0; i < 1000; i++ {
		s := fmt.Sprintf("T%d", i)
		if k := scopeLockKey(s); k < 0 && uint64(k)&(1<<31) != 0 {
			return s
		}
	}
	t.Fatal("no such scope in 1000")
	return ""
}
