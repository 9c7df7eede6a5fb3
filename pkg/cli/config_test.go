package cli

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/config"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// shown runs `config show run` and returns each setting's value and
// source ("flag", "env NAME", "file PATH: key", "default").
func shown(t *testing.T, env map[string]string, args ...string) map[string][2]string {
	t.Helper()
	code, stdout, stderr := execute(t, env, append(args, "config", "show", "run")...)
	require.Equal(t, exitcode.OK, code, stderr)
	out := map[string][2]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n")[1:] {
		f := strings.Fields(line)
		if f[len(f)-1] == "default" {
			out[f[0]] = [2]string{strings.Join(f[1:len(f)-1], " "), "default"}
			continue
		}
		for i := 1; i < len(f); i++ {
			if f[i] == "env" || f[i] == "file" || f[i] == "flag" {
				out[f[0]] = [2]string{strings.Join(f[1:i], " "), strings.Join(f[i:], " ")}
				break
			}
		}
	}
	return out
}

func writeConfig(t *testing.T, text string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rewardbatch.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), mode))
	require.NoError(t, os.Chmod(path, mode))
	return path
}

// TestConfigPrecedence: flag > environment > file > default, for a
// REWARDBATCH_* variable and for an ENKASH_* one, a command's section over
// the top level, and secrets masked.
func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	file := writeConfig(t, "reports-dir: /file/reports\nbase-url: https://file.example.com\nworkers: 4\n"+
		"password: from-the-file\nrun:\n  workers: 8\n", 0o600)
	secretFile := writeConfig(t, "password-file: /run/secrets/pw\n", 0o600)
	stateHome := map[string]string{"XDG_STATE_HOME": "/srv/state", "LOCALAPPDATA": `D:\state`}
	defaultLedger, err := config.DefaultPaths(runtime.GOOS, func(k string) (string, bool) { v, ok := stateHome[k]; return v, ok })
	require.NoError(t, err)
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		setting string
		value   string
		source  string
	}{
		{"default", nil, nil, "reports-dir", "reports", "default"},
		{"file", map[string]string{"REWARDBATCH_CONFIG": file}, nil, "reports-dir", "/file/reports", "file " + file + ": reports-dir"},
		{"env over file", map[string]string{"REWARDBATCH_CONFIG": file, "REWARDBATCH_REPORTS_DIR": "/env/reports"}, nil,
			"reports-dir", "/env/reports", "env REWARDBATCH_REPORTS_DIR"},
		{"command section over top level", nil, []string{"--config", file},
			"workers", "8", "file " + file + ": run.workers"},
		{"ENKASH_* over file", map[string]string{enkash.EnvBaseURL: "https://env.example.com"}, []string{"--config", file},
			"base-url", "https://env.example.com", "env " + enkash.EnvBaseURL},
		{"secret masked", nil, []string{"--config", file}, "password", "***", "file " + file + ": password"},
		{"secret never from REWARDBATCH_*", map[string]string{"REWARDBATCH_PASSWORD": "leaked"}, nil, "password", "", "default"},
		{"ENKASH_* secret masked", map[string]string{enkash.EnvPassword: "pw-from-env"}, nil,
			"password", "***", "env " + enkash.EnvPassword},
		{"ENKASH_* client secret masked", map[string]string{enkash.EnvClientSecret: "cs-from-env"}, nil,
			"client-secret", "***", "env " + enkash.EnvClientSecret},
		{"ENKASH_* secret over file", map[string]string{enkash.EnvPassword: "pw-from-env"}, []string{"--config", file},
			"password", "***", "env " + enkash.EnvPassword},
		{"blank ENKASH_* secret is unset", map[string]string{enkash.EnvPassword: " "}, nil, "password", "", "default"},
		{"secret file beaten by ENKASH_*", map[string]string{enkash.EnvPassword: "pw-from-env"}, []string{"--config", secretFile},
			"password-file", "/run/secrets/pw", "file " + secretFile + ": password-file (" + enkash.EnvPassword + " wins)"},
		{"secret file over ENKASH_*", map[string]string{enkash.EnvPassword: "pw-from-env", "REWARDBATCH_PASSWORD_FILE": "/run/pw"}, nil,
			"password", "***", "env " + enkash.EnvPassword + " (--password-file wins)"},
		{"SMTP URL masked", map[string]string{"REWARDBATCH_SMTP_URL": "smtps://pay:smtp-pw@mail.example.com:465"}, nil,
			"REWARDBATCH_SMTP_URL", "smtps://pay:***@mail.example.com:465", "env REWARDBATCH_SMTP_URL"},
		{"PGPASSWORD masked", map[string]string{"PGPASSWORD": "pg-pw"}, nil, "PGPASSWORD", "***", "env PGPASSWORD"},
		{"default ledger", stateHome, nil, "state", defaultLedger.State, "default"},
		{"deduplicates", map[string]string{EnvDeduplicates: "true"}, nil, EnvDeduplicates, "true", "env " + EnvDeduplicates},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := shown(t, tt.env, tt.args...)
			assert.Equal(t, [2]string{tt.value, tt.source}, got[tt.setting])
		})
	}
}

// TestConfigShowNeverPrintsASecret: with every secret set in the
// environment, config show lists each as set and prints none of them.
func TestConfigShowNeverPrintsASecret(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{enkash.EnvPassword: "pw-Zq81", enkash.EnvClientSecret: "cs-Zq82", "PGPASSWORD": "pg-Zq83",
		"REWARDBATCH_SMTP_URL": "smtp://pay:smtp-Zq84@mail.example.com:587", EnvState: "postgres://rb:url-Zq85@db.example.com/rb",
		"REWARDBATCH_NOTIFY": "https://hooks.slack.com/services/T0/B0/hook-Zq86"}
	for _, command := range []string{"run", "reconcile", "history"} {
		code, stdout, stderr := execute(t, secrets, "config", "show", command)
		require.Equal(t, exitcode.OK, code, stderr)
		for _, v := range []string{"Zq81", "Zq82", "Zq83", "Zq84", "Zq85", "Zq86"} {
			assert.NotContains(t, stdout+stderr, v, command)
		}
	}
	got := shown(t, secrets)
	for _, name := range []string{"password", "client-secret", "PGPASSWORD"} {
		assert.Equal(t, "***", got[name][0], name)
	}
}

// TestConfigThroughARun: a run takes its settings from the file, an
// ENKASH_* password beats the file's, and the flag beats everything.
func TestConfigThroughARun(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards()})
	vars := envFor(env)
	dir := t.TempDir()
	file := writeConfig(t, "reports-dir: "+filepath.Join(dir, "from-file")+"\npassword: wrong-password\nrun:\n  rate: 1000\n", 0o600)
	vars["REWARDBATCH_CONFIG"] = file

	code, _, stderr := execute(t, vars, "run", sample)
	require.Equal(t, exitcode.OK, code, "ENKASH_PASSWORD beats the file's password: %s", stderr)
	entries, err := os.ReadDir(filepath.Join(dir, "from-file"))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "the run folder is in the file's reports-dir")

	// The flag beats the environment, which beats the file.
	vars["REWARDBATCH_REPORTS_DIR"] = filepath.Join(dir, "from-env")
	code, _, stderr = execute(t, vars, "validate", "--reports-dir", filepath.Join(dir, "from-flag"), sample)
	require.Equal(t, exitcode.OK, code, stderr)
	assert.NoDirExists(t, filepath.Join(dir, "from-env"))
	entries, err = os.ReadDir(filepath.Join(dir, "from-flag"))
	require.NoError(t, err)
	assert.Len(t, entries, 1)

	// Without ENKASH_PASSWORD the file's (wrong) password is used.
	delete(vars, enkash.EnvPassword)
	delete(vars, "REWARDBATCH_REPORTS_DIR")
	code, _, stderr = execute(t, vars, "run", sample)
	assert.Equal(t, exitcode.Fatal, code)
	assert.Contains(t, stderr, "LOGIN_REFUSED")
}

// TestConfigFileRefused: a secret in a file others can read, and a key no
// command knows, are refused before anything runs.
func TestConfigFileRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		mode       os.FileMode
		want       string
	}{
		{"secret readable by others", "password: x\n", 0o644, "password"},
		{"unknown key", "reprots-dir: /x\n", 0o600, "reprots-dir"},
		{"bad value", "workers: many\n", 0o600, "workers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeConfig(t, tt.text, tt.mode)
			code, _, stderr := execute(t, nil, "--config", path, "run", "--log-format", "console", sample)
			assert.Equal(t, exitcode.Fatal, code)
			assert.Contains(t, stderr, tt.want)
			assert.Contains(t, stderr, path)
		})
	}
}

// TestDefaultLedgerPath: without --state or REWARDBATCH_STATE the ledger is
// where config.DefaultPaths puts it on this system, and without any home
// the command says what to set.
func TestDefaultLedgerPath(t *testing.T) {
	t.Parallel()
	home, local := t.TempDir(), t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"home", map[string]string{"XDG_STATE_HOME": "", "HOME": home, "LOCALAPPDATA": local}},
		{"xdg", map[string]string{"XDG_STATE_HOME": filepath.Join(home, "xdg"), "HOME": home, "LOCALAPPDATA": local}},
		{"nothing", map[string]string{"XDG_STATE_HOME": "", "LOCALAPPDATA": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want, werr := config.DefaultPaths(runtime.GOOS, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			code, _, stderr := execute(t, tt.env, "history")
			assert.Equal(t, exitcode.Fatal, code)
			if werr != nil {
				assert.Contains(t, stderr, "no place for the ledger")
				assert.Contains(t, stderr, "--state PATH")
				return
			}
			assert.Equal(t, ledger.FileName, filepath.Base(want.State))
			assert.Contains(t, stderr, "no ledger at "+want.State+" yet")
		})
	}
}
