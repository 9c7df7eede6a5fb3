package ledger

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/ledger/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// backends is the table of back ends every test of the ledger's meaning
// runs over: each gives a new, empty ledger's location.
var backends = []struct {
	name     string
	location func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "state", FileName) }},
	{"postgres", func(t *testing.T) string { return pgtest.Database(t) }},
}

// eachBackend runs fn on a new ledger of each back end, in parallel.
func eachBackend(t *testing.T, fn func(t *testing.T, loc string)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b.location(t))
		})
	}
}

// openAt opens the ledger at loc, closed when the test ends.
func openAt(t *testing.T, loc string, opts ...Option) *Ledger {
	t.Helper()
	l, err := Open(context.Background(), loc, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

// open opens a new SQLite ledger, for the tests of the file itself.
func open(t *testing.T) (*Ledger, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state", FileName)
	return openAt(t, path), path
}

// everything is all a closed ledger stores, as text: the file's bytes, or
// every row of every table of the database.
func everything(t *testing.T, loc string) string {
	t.Helper()
	if !IsURL(loc) {
		b, err := os.ReadFile(loc)
		require.NoError(t, err)
		return string(b)
	}
	db, err := sql.Open("pgx", loc)
	require.NoError(t, err)
	defer db.Close()
	var s string
	require.NoError(t, db.QueryRow(`SELECT concat_ws(E'\n', (SELECT string_agg(r::text, E'\n') FROM refs r),
		(SELECT string_agg(r::text, E'\n') FROM runs r), (SELECT string_agg(s::text, E'\n') FROM scopes s))`).Scan(&s))
	return s
}
