package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/report"
)

// TestReportCommand: a sandbox run's reports are lost; `rewardbatch
// report` writes them again from the ledger.
func TestReportCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	state := filepath.Join(dir, "ledger.db")
	out := filepath.Join(dir, "run")
	code, _, stderr := execute(t, nil, "run", "--sandbox", "--rate", "1000", "--log-level", "error", "--state", state, "--out", out,
		"../job/testdata/mixed.csv", "--skip-invalid")
	require.Equal(t, exitcode.RowsFailed, code, stderr)
	want := map[string]string{}
	for _, name := range []string{report.FailedFile, report.SummaryFile} {
		b, err := os.ReadFile(filepath.Join(out, name))
		require.NoError(t, err)
		want[name] = string(b)
		require.NoError(t, os.Remove(filepath.Join(out, name)))
	}
	require.NoError(t, os.Remove(filepath.Join(out, report.ResultsFile)))

	code, stdout, stderr := execute(t, nil, "report", "--state", state, out)
	assert.Equal(t, exitcode.RowsFailed, code, stderr)
	assert.Contains(t, stdout, "Rebuilt results.csv, failed.csv and summary.json of run run from the ledger")
	for name, w := range want {
		got, err := os.ReadFile(filepath.Join(out, name))
		require.NoError(t, err)
		assert.Equal(t, w, string(got), name)
	}
	results, err := os.ReadFile(filepath.Join(out, report.ResultsFile))
	require.NoError(t, err)
	assert.Equal(t, 8, strings.Count(string(results), "\n"), "the header and the seven rows")

	code, _, stderr = execute(t, nil, "report", "--state", state, "no-such-run")
	assert.Equal(t, exitcode.Fatal, code)
	assert.Contains(t, stderr, "no such run in the ledger: no-such-run")
}
