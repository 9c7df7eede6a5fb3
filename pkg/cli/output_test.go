package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// TestOutputJSON: with --output json, stdout is one JSON document with
// schemaVersion for validate, run and reconcile, whatever the exit code;
// history --json lists the runs with their stop reasons; reconcile
// completes run ids from the ledger.
func TestOutputJSON(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards()})
	vars := envFor(env)
	dir := t.TempDir()
	state := filepath.Join(dir, ledger.FileName)
	doc := func(stdout string) Document {
		t.Helper()
		var d Document
		dec := json.NewDecoder(strings.NewReader(stdout))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&d), stdout)
		assert.False(t, dec.More(), "one document: %s", stdout)
		assert.Equal(t, OutputSchemaVersion, d.SchemaVersion)
		return d
	}

	code, stdout, stderr := execute(t, vars, "validate", "--output", "json", "--reports-dir", filepath.Join(dir, "v"), sample)
	require.Equal(t, exitcode.OK, code, stderr)
	d := doc(stdout)
	assert.Equal(t, "validate", d.Command)
	require.NotNil(t, d.Plan)
	assert.Equal(t, 200, d.Plan.RowsRead)

	out := filepath.Join(dir, "run1")
	code, stdout, stderr = execute(t, vars, "run", "--output", "json", "--state", state, "--rate", "1000", "--out", out, sample)
	require.Equal(t, exitcode.OK, code, stderr)
	d = doc(stdout)
	assert.Equal(t, "run", d.Command)
	assert.Equal(t, out, d.Folder)
	require.NotNil(t, d.Summary)
	assert.Equal(t, 200, d.Summary.Statuses["MATCHED"])

	bad := map[string]string{}
	for k, v := range vars {
		bad[k] = v
	}
	bad[enkash.EnvPassword] = "wrong"
	code, stdout, _ = execute(t, bad, "run", "--output", "json", "--state", state, "--out", filepath.Join(dir, "run2"), sample)
	require.Equal(t, exitcode.Fatal, code)
	d = doc(stdout)
	assert.Equal(t, job.ReasonLoginRefused, d.StopReason)
	assert.NotEmpty(t, d.Error)

	code, stdout, stderr = execute(t, vars, "reconcile", "--output", "json", "--state", state, filepath.Base(out))
	require.Equal(t, exitcode.OK, code, stderr)
	d = doc(stdout)
	assert.Equal(t, "reconcile", d.Command)
	assert.NotNil(t, d.Summary)

	code, stdout, stderr = execute(t, vars, "history", "--json", "--state", state)
	require.Equal(t, exitcode.OK, code, stderr)
	var h HistoryDocument
	require.NoError(t, json.Unmarshal([]byte(stdout), &h))
	assert.Equal(t, OutputSchemaVersion, h.SchemaVersion)
	require.Len(t, h.Runs, 2)
	assert.Equal(t, "finished", h.Runs[0].State)
	assert.Contains(t, string(h.Runs[0].Summary), job.ReasonLoginRefused)

	code, stdout, stderr = execute(t, vars, "__complete", "reconcile", "--state", state, "")
	require.Equal(t, exitcode.OK, code, stderr)
	assert.Contains(t, stdout, filepath.Base(out))
}
