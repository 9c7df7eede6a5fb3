package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/htmlreport"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
	"github.com/rewardbatch/rewardbatch/pkg/xlsxreport"
)

var planHashRE = regexp.MustCompile(`plan hash\s+([0-9a-f]{16})`)

// planHashOf runs validate and returns the plan hash it printed.
func planHashOf(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	code, out, stderr := execute(t, env, append([]string{"validate", "--log-level", "warn", "--out", filepath.Join(t.TempDir(), "v")}, args...)...)
	require.Equal(t, exitcode.OK, code, stderr)
	m := planHashRE.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	return m[1]
}

// TestThePlanHashIgnoresTheConfiguration: validate prints the same plan
// hash with and without ENKASH_* (credentials, company, account, the
// reference spelling); --batch-id, which changes what is sent, changes it.
func TestThePlanHashIgnoresTheConfiguration(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards()})
	full := envFor(env)
	full[enkash.EnvRefField] = string(enkash.RefBoth)
	bare := planHashOf(t, nil, sample)
	assert.Equal(t, bare, planHashOf(t, full, sample))
	assert.NotEqual(t, bare, planHashOf(t, nil, "--batch-id", "2026-11", sample))
}

// TestRunExpectPlan: a run given another plan's hash refuses the file with
// exit 2 and sends nothing; given the file's own (12 digits are enough),
// it runs.
func TestRunExpectPlan(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards()})
	hash := planHashOf(t, nil, sample)
	other := "0123456789ab"
	if hash[:12] == other {
		other = "ba9876543210"
	}
	before := len(env.Transactions())
	dir := filepath.Join(t.TempDir(), "refused")
	code, _, stderr := execute(t, envFor(env), "run", "--log-level", "warn", "--rate", "1000", "--out", dir, "--skip-invalid", "--expect-plan", other, sample)
	assert.Equal(t, exitcode.InvalidInput, code)
	assert.Contains(t, stderr, "was approved (--expect-plan)")
	assert.Len(t, env.Transactions(), before, "nothing was sent")
	assert.NoFileExists(t, filepath.Join(dir, report.ResultsFile))

	code, _, stderr = execute(t, envFor(env), "run", "--log-level", "warn", "--rate", "1000", "--out", filepath.Join(t.TempDir(), "ok"), "--expect-plan", hash[:12], sample)
	assert.Equal(t, exitcode.OK, code, stderr)
	assert.Greater(t, len(env.Transactions()), before)

	code, _, _ = execute(t, envFor(env), "run", "--expect-plan", "12345", sample)
	assert.Equal(t, exitcode.Fatal, code, "a hash too short to identify a plan")
}

// TestRunXLSX: --xlsx adds results.xlsx to the run folder and to
// summary.json's files; summary.html is always there.
func TestRunXLSX(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	code, _, stderr := execute(t, nil, "run", "--sandbox", "--log-level", "warn", "--rate", "1000", "--no-progress", "--xlsx", "--out", dir, sample)
	require.Equal(t, exitcode.OK, code, stderr)
	assert.FileExists(t, filepath.Join(dir, xlsxreport.File))
	assert.FileExists(t, filepath.Join(dir, htmlreport.File))
	b, err := os.ReadFile(filepath.Join(dir, report.SummaryFile))
	require.NoError(t, err)
	assert.Contains(t, string(b), `"results.xlsx"`)
}

// TestValidateAWorkbook: an .xlsx is recognised by its content (here
// named .csv), snapshotted as it is (input.xlsx) and read from the
// snapshot, sheet by --sheet, its errors placed by cell; an .xls gets
// what to do.
func TestValidateAWorkbook(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	defer f.Close()
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Employee Name", "Salutation", "Gender", "Email ID", "Mobile No.", "Points", "Ref No"}))
	require.NoError(t, f.SetSheetRow("Sheet1", "A2", &[]any{"Aarav", "Mr", "M", "a@example.com", 9876543210, 100, "R-1"}))
	_, err := f.NewSheet("November")
	require.NoError(t, err)
	require.NoError(t, f.SetSheetRow("November", "A1", &[]any{"Employee Name", "Salutation", "Gender", "Email ID", "Mobile No.", "Points", "Ref No"}))
	require.NoError(t, f.SetSheetRow("November", "A2", &[]any{"Diya", "Ms", "F", "d@example.com", 9876543211, 250.5, "R-2"}))
	_, err = f.NewSheet("Errors")
	require.NoError(t, err)
	require.NoError(t, f.SetSheetRow("Errors", "A1", &[]any{"Employee Name", "Salutation", "Gender", "Email ID", "Mobile No.", "Points", "Ref No"}))
	require.NoError(t, f.SetSheetRow("Errors", "A2", &[]any{"Ira", "Ms", "F", "not-an-email", 9876543212, 10, "R-3"}))
	saved := filepath.Join(t.TempDir(), "book.xlsx")
	require.NoError(t, f.SaveAs(saved))
	path := filepath.Join(t.TempDir(), "named-like-a.csv")
	require.NoError(t, os.Rename(saved, path))

	out := filepath.Join(t.TempDir(), "v")
	code, stdout, stderr := execute(t, nil, "validate", "--log-level", "warn", "--sheet", "November", "--out", out, path)
	require.Equal(t, exitcode.OK, code, stderr)
	assert.Contains(t, stdout, "named-like-a.csv, sheet November")
	assert.Contains(t, stdout, "allocate          1           250.50")
	snap, err := os.ReadFile(filepath.Join(out, "input.xlsx"))
	require.NoError(t, err)
	orig, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, orig, snap, "the snapshot is the workbook's bytes")

	code, stdout, _ = execute(t, nil, "validate", "--log-level", "warn", "--sheet", "Errors", "--out", filepath.Join(t.TempDir(), "e"), path)
	assert.Equal(t, exitcode.InvalidInput, code)
	assert.Contains(t, stdout, "  Errors!D2 (Email ID): ", "a position in a workbook is its cell")

	xls := filepath.Join(t.TempDir(), "old.xls")
	require.NoError(t, os.WriteFile(xls, append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 600)...), 0o600))
	code, _, stderr = execute(t, nil, "validate", "--log-level", "warn", "--out", filepath.Join(t.TempDir(), "x"), xls)
	assert.Equal(t, exitcode.InvalidInput, code)
	assert.Contains(t, stderr, "save it again as an Excel workbook (.xlsx) or as CSV UTF-8")
}
