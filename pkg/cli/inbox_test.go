package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/inbox"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// dropFile puts the sample into DIR/incoming/name, last written age ago.
func dropFile(t *testing.T, dir, name string, age time.Duration) string {
	t.Helper()
	b, err := os.ReadFile(sample)
	require.NoError(t, err)
	path := filepath.Join(dir, inbox.Incoming, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	require.NoError(t, os.WriteFile(path, b, 0o600))
	at := time.Now().Add(-age)
	require.NoError(t, os.Chtimes(path, at, at))
	return path
}

var planLine = regexp.MustCompile(`plan hash\s+([0-9a-f]{16})`)

// TestInbox runs `run --inbox` on the cases an operator meets: an approved
// file runs and moves to done/, a file still being written is not taken, a
// file without approval waits, and an approval of another plan is refused.
func TestInbox(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards()})
	vars := envFor(env)
	code, stdout, stderr := execute(t, vars, "validate", "--reports-dir", t.TempDir(), sample)
	require.Equal(t, exitcode.OK, code, stderr)
	m := planLine.FindStringSubmatch(stdout)
	require.NotNil(t, m, stdout)
	hash := m[1]

	tests := []struct {
		name     string
		age      time.Duration
		approval string // "" for none
		state    inbox.State
		code     int
		where    string // the folder the file is in afterwards
		credits  bool
	}{
		{"approved", time.Hour, hash, inbox.StateDone, exitcode.OK, inbox.Done, true},
		{"half written", 0, hash, inbox.StateSettling, exitcode.OK, inbox.Incoming, false},
		{"not approved", time.Hour, "", inbox.StateWaiting, exitcode.OK, inbox.Incoming, false},
		{"stale approval", time.Hour, "0123456789abcdef", inbox.StateRefused, exitcode.InvalidInput, inbox.Incoming, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards()})
			dir := t.TempDir()
			path := dropFile(t, dir, "nov.csv", tt.age)
			if tt.approval != "" {
				require.NoError(t, os.WriteFile(path+inbox.ApprovedSuffix, []byte(tt.approval+"\n"), 0o600))
			}
			code, stdout, stderr := execute(t, envFor(env), "run", "--inbox", dir, "--settle", "10m", "--require-approval",
				"--rate", "1000", "--reports-dir", filepath.Join(dir, "reports"))
			require.Equal(t, tt.code, code, stdout+stderr)
			assert.Regexp(t, "(?m)^"+string(tt.state)+" +nov.csv", stdout)
			found, _ := filepath.Glob(filepath.Join(dir, tt.where, "*nov.csv"))
			if tt.where == inbox.Done {
				found, _ = filepath.Glob(filepath.Join(dir, tt.where, "*", "nov.csv"))
			}
			assert.Len(t, found, 1, "nov.csv is in %s", tt.where)
			assert.Equal(t, tt.credits, len(env.Transactions()) > 0)
		})
	}
}

// TestInboxOutputJSON: `run --inbox --output json` prints one document
// naming every file it saw, with each run's exit code, folder and summary,
// and leaves the human text to stderr.
func TestInboxOutputJSON(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards()})
	dir := t.TempDir()
	dropFile(t, dir, "a-nov.csv", time.Hour)
	dropFile(t, dir, "b-dec.csv", 0) // still being written
	code, stdout, stderr := execute(t, envFor(env), "run", "--inbox", dir, "--settle", "10m", "--output", "json",
		"--rate", "1000", "--reports-dir", filepath.Join(dir, "reports"))
	require.Equal(t, exitcode.OK, code, stdout+stderr)
	var d Document
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&d), stdout)
	assert.False(t, dec.More(), "one document: %s", stdout)
	assert.Equal(t, "run", d.Command)
	assert.Equal(t, exitcode.OK, d.ExitCode)
	require.NotNil(t, d.Files, stdout)
	files := *d.Files
	require.Len(t, files, 2, stdout)

	done, settling := files[0], files[1]
	assert.Equal(t, "a-nov.csv", done.Name)
	assert.Equal(t, string(inbox.StateDone), done.State)
	require.NotNil(t, done.ExitCode)
	assert.Equal(t, exitcode.OK, *done.ExitCode)
	require.NotNil(t, done.Summary, "the run's summary.json")
	assert.Equal(t, done.Folder, done.Summary.Folder)
	assert.Equal(t, len(env.Transactions()), done.Summary.Statuses[reward.StatusMatched], "every credit is reported MATCHED")

	assert.Equal(t, "b-dec.csv", settling.Name)
	assert.Equal(t, string(inbox.StateSettling), settling.State)
	assert.Nil(t, settling.ExitCode, "it did not run")
	assert.Nil(t, settling.Summary)
	assert.Regexp(t, "(?m)^done +a-nov.csv", stderr, "the human lines go to stderr")

	empty := t.TempDir()
	code, stdout, stderr = execute(t, envFor(env), "run", "--inbox", empty, "--output", "json", "--reports-dir", filepath.Join(empty, "reports"))
	require.Equal(t, exitcode.OK, code, stdout+stderr)
	assert.Contains(t, stdout, `"files": []`, "an empty inbox lists no file, and says so")
}
