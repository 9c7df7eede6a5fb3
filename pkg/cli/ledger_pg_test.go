package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/ledger/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// A PostgreSQL ledger given by REWARDBATCH_STATE remembers across runs as
// a file does, never shows its password, and moves to a SQLite file and
// back through export and import.
func TestAPostgresLedgerFromTheEnvironment(t *testing.T) {
	t.Parallel()
	tr := newTrial(t)
	tr.state = pgtest.Database(t)
	password := pgtest.Shared(t).Password
	vars := map[string]string{EnvState: tr.state}
	for k, v := range tr.vars {
		vars[k] = v
	}
	outs := ""
	run := func(args ...string) (int, string) {
		t.Helper()
		code, stdout, stderr := execute(t, vars, args...)
		outs += stdout + stderr
		return code, stdout + stderr
	}
	code, out := run("run", "--out", tr.folder(1), "--rate", "2000", "--log-level", "debug", "--log-format", "json", sample)
	require.Equal(t, exitcode.OK, code, out)
	assert.Contains(t, out, `"backend":"postgres"`)
	code, out = run("run", "--out", tr.folder(2), "--rate", "2000", "--log-level", "warn", sample)
	require.Equal(t, exitcode.OK, code, out)
	assert.Contains(t, out, "SKIPPED 200")
	tr.assertOnce(t, 200)

	code, out = run("history")
	require.Equal(t, exitcode.OK, code, out)
	assert.Contains(t, out, filepath.Base(tr.folder(2)))
	code, out = run("ledger", "check")
	require.Equal(t, exitcode.OK, code, out)
	assert.Contains(t, out, "sound (schema version 2): 200 references in 1 scopes, 2 runs")

	dump := filepath.Join(t.TempDir(), "ledger.jsonl")
	code, out = run("ledger", "export", "--out", dump)
	require.Equal(t, exitcode.OK, code, out)
	st, err := os.Stat(dump)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	file := filepath.Join(t.TempDir(), "moved.db")
	code, out = run("ledger", "import", "--state", file, dump)
	require.Equal(t, exitcode.OK, code, out)
	assert.Contains(t, out, "2 runs, 1 scopes, 200 references added")
	code, out = run("run", "--state", file, "--out", tr.folder(3), "--rate", "2000", "--log-level", "warn", sample)
	require.Equal(t, exitcode.OK, code, out)
	assert.Contains(t, out, "SKIPPED 200", "the SQLite file remembers what PostgreSQL did")
	tr.assertOnce(t, 200)

	assert.NotContains(t, outs, password)
	assert.Contains(t, outs, "rewardbatch_admin:***@127.0.0.1")
	for n := 1; n <= 3; n++ {
		assertNoSecretIn(t, tr.folder(n), password)
	}
}

// assertNoSecretIn checks that no file of a run folder holds secret.
func assertNoSecretIn(t *testing.T, dir, secret string) {
	t.Helper()
	require.NoError(t, filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), secret) {
			t.Errorf("%s holds the database password", p)
		}
		return err
	}))
}

// Two runs of one EnKash account on one database: the second exits 1
// naming the first (host, pid, run, since).
func TestASecondRunOfTheScopeIsRefusedOnPostgres(t *testing.T) {
	t.Parallel()
	tr := newTrial(t)
	tr.state = pgtest.Database(t)
	// Hold the scope as a run would, from this process.
	code, _, stderr := tr.run(t, sample, nil)
	require.Equal(t, exitcode.OK, code, stderr)
	hold := holdScope(t, tr.state)
	defer hold()
	code, _, stderr = tr.run(t, sample, nil, "--wait-lock", "300ms")
	assert.Equal(t, exitcode.Fatal, code)
	assert.Contains(t, stderr, "the ledger is in use by another process: rewardbatch pid ")
	assert.Contains(t, stderr, "(run held-by-test) holds scope ")
	assert.Contains(t, stderr, `"stopReason":"`+job.ReasonLedgerLocked+`"`)
	assert.NotContains(t, stderr, pgtest.Shared(t).Password)
}

// holdScope opens the ledger at state and holds the embedded scope of the
// trial's account (the sandbox's) as a running run would.
func holdScope(t *testing.T, state string) func() {
	t.Helper()
	l, err := ledger.Open(context.Background(), state)
	require.NoError(t, err)
	runs, err := l.Runs(context.Background(), 1)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	j, err := l.StartRun(context.Background(), ledger.RunInfo{ID: "held-by-test", Scope: runs[0].Scope, StartedAt: time.Now()})
	require.NoError(t, err)
	return func() { _ = j.Close(); _ = l.Close() }
}
