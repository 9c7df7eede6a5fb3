package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// trial is a sandbox that credits a repeated reference again (the worst
// case: only the ledger stands between a rerun and a double payment), and
// one ledger file shared by the test's runs.
type trial struct {
	env   *sandboxtest.Env
	vars  map[string]string
	state string
	dir   string
	runs  int
}

func newTrial(t *testing.T) *trial {
	t.Helper()
	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards(), Duplicates: sandbox.DuplicateApplyAgain})
	dir := t.TempDir()
	return &trial{env: env, vars: envFor(env), state: filepath.Join(dir, "state", ledger.FileName), dir: dir}
}

// paidOnce is a trial whose ledger has paid the sample once.
func paidOnce(t *testing.T) *trial {
	t.Helper()
	tr := newTrial(t)
	code, _, stderr := tr.run(t, sample, nil)
	require.Equal(t, exitcode.OK, code, stderr)
	return tr
}

// run runs `rewardbatch run` on file with the trial's ledger, into a new
// run folder, with vars changed by set (name -> value; "" removes).
func (tr *trial) run(t *testing.T, file string, set map[string]string, extra ...string) (int, string, string) {
	t.Helper()
	vars := map[string]string{}
	for k, v := range tr.vars {
		vars[k] = v
	}
	for k, v := range set {
		if v == "" {
			delete(vars, k)
		} else {
			vars[k] = v
		}
	}
	tr.runs++
	args := append([]string{"run", "--state", tr.state, "--out", tr.folder(tr.runs), "--rate", "2000",
		"--lookup-grace", "1ms", "--log-level", "warn", "--log-format", "json"}, extra...)
	return execute(t, vars, append(args, file)...)
}

func (tr *trial) folder(n int) string {
	return filepath.Join(tr.dir, "reports", "run-"+string(rune('a'+n-1)))
}

// credits reads the sandbox's own record, GET /__sandbox/transactions,
// and counts the credits and debits per reference.
func (tr *trial) credits(t *testing.T) map[string]int {
	t.Helper()
	resp, err := http.Get(tr.env.URL + "/__sandbox/transactions")
	require.NoError(t, err)
	defer resp.Body.Close()
	var txns []sandbox.Transaction
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&txns))
	per := map[string]int{}
	for _, tx := range txns {
		per[tx.PGReferenceNumber]++
	}
	return per
}

// assertOnce checks that every reference was applied exactly once.
func (tr *trial) assertOnce(t *testing.T, want int) {
	t.Helper()
	per := tr.credits(t)
	assert.Len(t, per, want)
	for ref, n := range per {
		assert.Equal(t, 1, n, "reference %s applied %d times", ref, n)
	}
}

func TestScopeNormalisationKeepsTheLedgersMemory(t *testing.T) {
	t.Parallel()
	tr := newTrial(t)
	code, stdout, stderr := tr.run(t, sample, map[string]string{enkash.EnvBaseURL: tr.env.URL + "/"})
	require.Equal(t, exitcode.OK, code, stderr)
	assert.Contains(t, stdout, "Note: the ledger has no record of this EnKash account yet")
	assert.Contains(t, stderr, `"msg":"new ledger"`)
	host := strings.TrimPrefix(tr.env.URL, "http://")
	for _, url := range []string{tr.env.URL, "HTTP://" + host, "http://" + host + "//"} {
		code, stdout, stderr = tr.run(t, sample, map[string]string{enkash.EnvBaseURL: url})
		require.Equal(t, exitcode.OK, code, "%s: %s", url, stderr)
		assert.Contains(t, stdout, "SKIPPED 200", url)
		assert.NotContains(t, stdout, "Note: the ledger has no record", "said once, for a new ledger only")
	}
	tr.assertOnce(t, 200)
}

func TestALedgerMovedBetweenScopesIsRefused(t *testing.T) {
	t.Parallel()
	tr := paidOnce(t)
	other := strings.Replace(tr.env.URL, "127.0.0.1", "localhost", 1)

	code, _, stderr := tr.run(t, sample, map[string]string{enkash.EnvBaseURL: other})
	assert.Equal(t, exitcode.Fatal, code)
	assert.Contains(t, stderr, "the ledger belongs to another EnKash environment: it keeps company "+
		sandbox.DefaultCredentials.CompanyID)
	assert.Contains(t, stderr, "but this run is configured for "+other)
	assert.Contains(t, stderr, "Nothing was sent")
	tr.assertOnce(t, 200)

	// Naming the environment says both addresses reach the same one.
	code, stdout, stderr := tr.run(t, sample, map[string]string{enkash.EnvBaseURL: other, EnvEnvironment: "uat"})
	require.Equal(t, exitcode.OK, code, stderr)
	assert.Contains(t, stdout, "SKIPPED 200")
	code, _, stderr = tr.run(t, sample, map[string]string{EnvEnvironment: "production"})
	assert.Equal(t, exitcode.Fatal, code)
	assert.Contains(t, stderr, "set ENKASH_ENVIRONMENT=uat (only if this is that same EnKash environment)")
	tr.assertOnce(t, 200)
}

func TestTheEmbeddedSandboxHasOneScope(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), ledger.FileName)
	for i, want := range []string{"MATCHED 200", "SKIPPED 200"} {
		// Each run starts its own sandbox, on a new port.
		code, stdout, stderr := execute(t, nil, "run", "--sandbox", "--state", state, "--rate", "2000", "--log-level", "error",
			"--out", filepath.Join(t.TempDir(), "run"), sample)
		require.Equal(t, exitcode.OK, code, stderr)
		assert.Contains(t, stdout, want, "run %d", i+1)
	}
}

func TestADamagedLedgerRefusesTheRun(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		damage func(path string) error
		says   string
	}{
		{"truncated to 0 bytes", func(p string) error { return os.Truncate(p, 0) }, "the file is empty (0 bytes)"},
		{"keys overwritten", func(p string) error {
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt([]byte(strings.Repeat("\xff", 2048)), 4096) // the pages after the first
			return err
		}, "the ledger is damaged"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := paidOnce(t)
			require.NoError(t, tt.damage(tr.state))
			code, _, stderr := tr.run(t, sample, nil)
			assert.Equal(t, exitcode.Fatal, code)
			assert.Contains(t, stderr, tt.says)
			assert.Contains(t, stderr, "Do not delete it and run again")
			assert.Contains(t, stderr, "rewardbatch ledger rebuild --state "+tr.state+" --from-reports DIR")
			assert.NotContains(t, stderr, "ledger: ledger:")
			code, _, _ = execute(t, nil, "ledger", "check", "--state", tr.state)
			assert.Equal(t, exitcode.Fatal, code)
			tr.assertOnce(t, 200)
		})
	}
}

func TestALedgerHeldByARunCannotBeBypassed(t *testing.T) {
	t.Parallel()
	tr := paidOnce(t)
	l, err := ledger.Open(t.Context(), tr.state) // a run in progress holds it
	require.NoError(t, err)
	defer l.Close()
	j, err := l.StartRun(t.Context(), ledger.RunInfo{ID: "the-first-run", Scope: "S"})
	require.NoError(t, err)
	defer j.Close()
	_ = os.Remove(tr.state + ".lock") // what bypassed the lock before

	code, _, stderr := tr.run(t, sample, nil)
	assert.Equal(t, exitcode.Fatal, code)
	assert.Contains(t, stderr, "the ledger is in use by another process: rewardbatch pid ")
	assert.Contains(t, stderr, "(run the-first-run) holds "+tr.state+"; wait for it to finish (one run at a time per ledger)")
	tr.assertOnce(t, 200)
}

// TestALedgerDeletedMidRunStopsIt deletes the ledger file while the run is
// sending: the run notices at its next group commit and stops, exit 1,
// and nothing is applied twice.
func TestALedgerDeletedMidRunStopsIt(t *testing.T) {
	t.Parallel()
	s := sandbox.New(sandbox.Options{Cards: sandbox.DemoCards(), Duplicates: sandbox.DuplicateApplyAgain})
	state := filepath.Join(t.TempDir(), ledger.FileName)
	var sends atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == enkash.PathCreateAllocate && sends.Add(1) == 40 {
			_ = os.Remove(state)
		}
		s.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	tr := &trial{env: &sandboxtest.Env{Server: s, URL: hs.URL, Config: sandboxtest.ClientConfig(s, hs.URL)}, state: state, dir: t.TempDir()}
	tr.vars = envFor(tr.env)
	code, stdout, stderr := tr.run(t, sample, nil, "--workers", "2")
	assert.Equal(t, exitcode.Fatal, code, stdout)
	assert.Contains(t, stderr, "was deleted while this process used it")
	assert.Contains(t, stdout, "NOT_SENT")
	per := tr.credits(t)
	assert.Less(t, len(per), 200, "the run stopped")
	for ref, n := range per {
		assert.Equal(t, 1, n, "reference %s applied %d times", ref, n)
	}
}

func TestARefusedRunIsInHistoryWithAHintThatPaysEveryRow(t *testing.T) {
	t.Parallel()
	tr := newTrial(t)
	code, _, stderr := tr.run(t, "../job/testdata/mixed.csv", nil)
	require.Equal(t, exitcode.InvalidInput, code)
	assert.Contains(t, stderr, "1 of 7 rows are invalid; nothing was sent. Either fix those rows in ../job/testdata/mixed.csv "+
		"itself and run the whole file again (rows an earlier run already did are SKIPPED, none is paid twice), or send "+
		"the valid rows now with --skip-invalid and later run the corrected "+filepath.Join(tr.folder(1), "invalid.csv"))
	assert.Empty(t, tr.credits(t))

	code, stdout, stderr := execute(t, nil, "history", "--state", tr.state)
	require.Equal(t, exitcode.OK, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 2, stdout)
	assert.Regexp(t, `run-a\s+\.\./job/testdata/mixed\.csv\s+7\s+INVALID 1\s+0\.00\s+0\.00\s+2$`, lines[1])
}

// TestACorrectedRefusedRowIsAccepted feeds back a top-up that EnKash
// refused for a wrong card, with the card corrected: same reference, new
// details, paid once.
func TestACorrectedRefusedRowIsAccepted(t *testing.T) {
	t.Parallel()
	tr := newTrial(t)
	dir := t.TempDir()
	const head = "operation,uniqueReferenceNumber,firstName,title,gender,email,mobile,loadAmount,enkashCardId\n"
	orig := filepath.Join(dir, "orig.csv")
	require.NoError(t, os.WriteFile(orig, []byte(head+
		"allocate,FIX-1,Kabir Rao,Mr,M,fix1@example.com,9876511111,100,\n"+
		"topup,FIX-2,,,,,,250,EKC9999999\n"), 0o600))
	code, _, stderr := tr.run(t, orig, nil)
	require.Equal(t, exitcode.RowsFailed, code, stderr)
	failed, err := os.ReadFile(filepath.Join(tr.folder(1), "failed.csv"))
	require.NoError(t, err)
	require.Contains(t, string(failed), "EKC9999999")

	fixed := filepath.Join(dir, "failed-fixed.csv")
	require.NoError(t, os.WriteFile(fixed, []byte(strings.ReplaceAll(string(failed), "EKC9999999", "EKC1000001")), 0o600))
	code, stdout, stderr := tr.run(t, fixed, nil)
	require.Equal(t, exitcode.OK, code, "%s\n%s", stdout, stderr)
	assert.Contains(t, stdout, "MATCHED 1")
	tr.assertOnce(t, 2)

	code, stdout, stderr = tr.run(t, orig, nil)
	assert.Equal(t, exitcode.RowsFailed, code, stderr)
	assert.Contains(t, stdout, "SKIPPED 1", "the allocation")
	results, err := os.ReadFile(filepath.Join(tr.folder(3), "results.csv"))
	require.NoError(t, err)
	assert.Contains(t, string(results), `enKashCardId was ""EKC1000001"", now ""EKC9999999""`,
		"the original row now conflicts with the corrected, paid one, and says which field differs")
	tr.assertOnce(t, 2)
}

func TestRebuildRecoversALostLedger(t *testing.T) {
	t.Parallel()
	tr := paidOnce(t)
	require.NoError(t, os.Rename(tr.state, tr.state+".lost"))

	vars := map[string]string{}
	for _, k := range []string{enkash.EnvBaseURL, enkash.EnvCompanyID, enkash.EnvCardAccountID} {
		vars[k] = tr.vars[k] // no credentials needed
	}
	code, stdout, stderr := execute(t, vars, "ledger", "rebuild", "--state", tr.state, "--from-reports", filepath.Join(tr.dir, "reports"))
	require.Equal(t, exitcode.OK, code, stderr)
	assert.Contains(t, stdout, "200 confirmed references recorded, 0 already known; 0 rows are left")

	code, stdout, stderr = execute(t, nil, "ledger", "check", "--state", tr.state)
	require.Equal(t, exitcode.OK, code, stderr)
	assert.Contains(t, stdout, "sound (schema version 2): 200 references in 1 scopes, 1 runs")

	code, stdout, stderr = tr.run(t, sample, nil)
	require.Equal(t, exitcode.OK, code, stderr)
	assert.Contains(t, stdout, "SKIPPED 200")
	tr.assertOnce(t, 200)
}

// TestLedgerFileModesUnderUmask000 is not parallel: the umask belongs to
// the process.
func TestLedgerFileModesUnderUmask000(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	tr := paidOnce(t)
	dir := filepath.Dir(tr.state)
	st, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), e.Name())
	}
}

// TestUserInfoInTheBaseURLIsNeverKept runs with a password in
// ENKASH_BASE_URL: the ledger files the references under the address
// without it, and no output, report or ledger byte holds it.
func TestUserInfoInTheBaseURLIsNeverKept(t *testing.T) {
	t.Parallel()
	tr := newTrial(t)
	withPassword := strings.Replace(tr.env.URL, "http://", "http://ops:pa55-IN-URL@", 1)
	code, stdout, stderr := tr.run(t, sample, map[string]string{enkash.EnvBaseURL: withPassword}, "--log-level", "debug")
	require.Equal(t, exitcode.OK, code, stderr)
	code, stdout2, stderr2 := tr.run(t, sample, nil)
	require.Equal(t, exitcode.OK, code, stderr2)
	assert.Contains(t, stdout2, "SKIPPED 200", "the same scope as the address without user info")
	texts := map[string]string{"stdout": stdout + stdout2, "stderr": stderr + stderr2}
	files, err := filepath.Glob(filepath.Join(filepath.Dir(tr.state), "*"))
	require.NoError(t, err)
	reports, err := filepath.Glob(filepath.Join(tr.dir, "reports", "*", "*"))
	require.NoError(t, err)
	for _, f := range append(files, reports...) {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		texts[f] = string(b)
	}
	for name, text := range texts {
		assert.NotContains(t, text, "pa55-IN-URL", name)
	}
	tr.assertOnce(t, 200)
}

// TestReconcileFindsTheRunUnderAnotherSpellingOfItsAddress: reconcile binds
// the configuration to the ledger as run does.
func TestReconcileFindsTheRunUnderAnotherSpellingOfItsAddress(t *testing.T) {
	t.Parallel()
	tr := paidOnce(t)
	reconcile := func(url string) (int, string, string) {
		vars := map[string]string{}
		for k, v := range tr.vars {
			vars[k] = v
		}
		vars[enkash.EnvBaseURL] = url
		return execute(t, vars, "reconcile", "--state", tr.state, "--log-level", "error", tr.folder(1))
	}
	code, stdout, stderr := reconcile(strings.Replace(tr.env.URL, "http://", "HTTP://", 1) + "/")
	require.Equal(t, exitcode.OK, code, stderr)
	assert.Contains(t, stdout, "Run run-a: 0 rows to settle")
	code, _, stderr = reconcile(strings.Replace(tr.env.URL, "127.0.0.1", "localhost", 1))
	assert.Equal(t, exitcode.Fatal, code)
	assert.Contains(t, stderr, "the ledger belongs to another EnKash environment")
}
