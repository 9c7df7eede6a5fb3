package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

const sample = "../../samples/allocations-2026-11.csv"

// envFor returns the ENKASH_* environment of a sandbox.
func envFor(env *sandboxtest.Env) map[string]string {
	c := env.Options().Credentials
	return map[string]string{
		enkash.EnvBaseURL: env.URL, enkash.EnvClientID: c.ClientID, enkash.EnvClientSecret: c.ClientSecret.Reveal(),
		enkash.EnvUsername: c.Username, enkash.EnvPassword: c.Password.Reveal(), enkash.EnvPartnerID: c.PartnerID,
		enkash.EnvCompanyID: c.CompanyID, enkash.EnvCardAccountID: c.CardAccountID,
	}
}

// execute runs the command line with env as the whole environment, plus a
// ledger of the test's own unless env names one.
func execute(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	state := t.TempDir()
	withState := map[string]string{"XDG_STATE_HOME": state, "LOCALAPPDATA": state} // LOCALAPPDATA: on Windows
	for k, v := range env {
		withState[k] = v
	}
	env = withState
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), args, &out, &errOut, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	return code, out.String(), errOut.String()
}

// TestSecretsNeverLeak runs a whole job with debug logs, a login that
// fails once (a wrong password would lock nothing: the sandbox is fresh),
// faults, and searches every output for the secret, the password and
// every token the sandbox issued.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	creds := sandbox.DefaultCredentials
	creds.ClientSecret = "s3cr3t-CLIENT-value-7f3a"
	creds.Password = "pa55-WORD-value-91c2"
	env := sandboxtest.Start(t, sandbox.Options{Credentials: creds, Cards: sandbox.DemoCards(),
		Faults: sandbox.Faults{Seed: 3, FailBefore: 0.05, FailBeforeStatus: 429, ApplyThenFail: 0.05, ExpireTokensEvery: 25, FirstAttemptOnly: true}})
	dir := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := execute(t, envFor(env), "run", "--log-level", "debug", "--log-format", "json", "--rate", "1000",
		"--lookup-grace", "1ms", "--settle-window", "5s", "--out", dir, sample)
	require.Equal(t, exitcode.OK, code, stderr)

	outputs := map[string]string{"stdout": stdout, "stderr": stderr}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		outputs[e.Name()] = string(b)
	}
	secrets := append([]string{creds.ClientSecret.Reveal(), creds.Password.Reveal()}, env.Tokens()...)
	require.Greater(t, len(env.Tokens()), 1, "tokens expired and were renewed during the run")
	for name, text := range outputs {
		for _, s := range secrets {
			assert.NotContains(t, text, s, "%s leaks a secret", name)
		}
	}
	// Personal data is masked in the logs.
	assert.Contains(t, stderr, `"email":"em***@example.com"`)
	assert.Contains(t, stderr, `"mobile":"******0001"`)
	assert.NotContains(t, stderr, "employee1@example.com")
	assert.NotContains(t, stderr, "9000000001")
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards()})
	good := envFor(env)
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"every row matched", good, []string{"run", sample}, exitcode.OK, ""},
		{"missing configuration", map[string]string{enkash.EnvBaseURL: env.URL}, []string{"run", sample}, exitcode.Fatal,
			"missing setting ENKASH_CLIENT_ID, ENKASH_CLIENT_SECRET, ENKASH_USERNAME, ENKASH_PASSWORD, ENKASH_PARTNER_ID, ENKASH_COMPANY_ID, ENKASH_CARD_ACCOUNT_ID"},
		{"bad flag", good, []string{"run", "--workers", "0", sample}, exitcode.Fatal, "--workers must be at least 1"},
		{"invalid rows", good, []string{"validate", "../../samples/allocations-broken.csv"}, exitcode.InvalidInput, "13 of 17 rows are invalid"},
		{"file not UTF-8", good, []string{"validate", "../allocfile/testdata/cp1252.csv"}, exitcode.InvalidInput, "the file is not UTF-8 text"},
		{"rows failed", good, []string{"run", "--skip-invalid", "../job/testdata/mixed.csv"}, exitcode.RowsFailed, ""},
		{"the flag overrides the environment", good, []string{"run", "--partner-id", "WRONG", sample},
			exitcode.Fatal, "checking the reward account balance (use --skip-balance-check to skip it): EnKash refused /api/v0/partner/enKashCard/cardAccount/get: HTTP 400: Invalid partnerId"},
		{"most requests failing stops the run", good, []string{"run", "--partner-id", "WRONG", "--skip-balance-check", "--failure-window", "10", sample},
			exitcode.Incomplete, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{tt.args[0], "--out", filepath.Join(t.TempDir(), "run"), "--log-level", "error"}, tt.args[1:]...)
			code, _, stderr := execute(t, tt.env, args...)
			assert.Equal(t, tt.code, code, stderr)
			assert.Contains(t, stderr, tt.stderr)
		})
	}
}

func TestRunSandboxFlag(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := execute(t, nil, "run", "--sandbox", "--rate", "1000", "--log-level", "error",
		"--out", filepath.Join(t.TempDir(), "run"), sample)
	require.Equal(t, exitcode.OK, code, stderr)
	assert.Contains(t, stdout, "SANDBOX: no real points moved")
	assert.Contains(t, stdout, "MATCHED 200")
}

func TestHelpCarriesExamplesAndExitCodes(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"run", "validate", "sandbox"} {
		code, stdout, _ := execute(t, nil, cmd, "--help")
		assert.Equal(t, exitcode.OK, code)
		assert.Contains(t, stdout, "Examples:")
		assert.Contains(t, stdout, "rewardbatch "+cmd)
		if cmd != "sandbox" {
			assert.Contains(t, stdout, "4  incomplete")
		}
	}
	code, stdout, _ := execute(t, nil, "version")
	assert.Equal(t, exitcode.OK, code)
	assert.True(t, strings.HasPrefix(stdout, "rewardbatch "))
}
