package job_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const sample = "../../samples/allocations-2026-11.csv"

type fixture struct {
	env    *sandboxtest.Env
	client *enkash.Client
	out    bytes.Buffer
}

func newFixture(t *testing.T, opts sandbox.Options) *fixture {
	t.Helper()
	opts.Cards = sandbox.DemoCards()
	env := sandboxtest.Start(t, opts)
	return &fixture{env: env, client: env.Client(t, nil)}
}

func (f *fixture) options(t *testing.T, file string) job.RunOptions {
	t.Helper()
	c := sandbox.DefaultCredentials
	return job.RunOptions{
		ValidateOptions: job.ValidateOptions{
			File: file, Out: filepath.Join(t.TempDir(), "run"), ExpectRows: -1, Stdout: &f.out,
			Validate: validate.Options{CompanyID: c.CompanyID, CardAccountID: c.CardAccountID},
			Now:      func() time.Time { return time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC) },
		},
		Engine: engine.Config{Workers: 8, Rate: 2000, BackoffBase: 5 * time.Millisecond, LookupGrace: 5 * time.Millisecond,
			SettleWindow: 200 * time.Millisecond, Default429: 5 * time.Millisecond},
	}
}

func (f *fixture) run(t *testing.T, o job.RunOptions) job.Result {
	t.Helper()
	res, err := job.Run(context.Background(), o, f.client)
	if res.Code == exitcode.Fatal {
		require.NoError(t, err)
	}
	return res
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return rows
}

func column(rows [][]string, name string) []string {
	i := -1
	for j, h := range rows[0] {
		if h == name {
			i = j
		}
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[i])
	}
	return out
}

func TestSampleRunsAllMatchedAndCreditedOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sandbox.Options{})
	res := f.run(t, f.options(t, sample))
	require.Equal(t, exitcode.OK, res.Code, f.out.String())
	assert.Equal(t, 200, res.Summary.Statuses[reward.StatusMatched])

	rows := readCSV(t, filepath.Join(res.Dir, report.ResultsFile))
	require.Len(t, rows, 201)
	refs := column(rows, "uniqueReferenceNumber")
	for i, st := range column(rows, "status") {
		assert.Equal(t, "MATCHED", st, "row %d", i+2)
	}
	assert.Equal(t, refs, column(rows, "pgReferenceNumber"))

	resp, err := http.Get(f.env.URL + "/__sandbox/transactions")
	require.NoError(t, err)
	defer resp.Body.Close()
	var txns []struct {
		PGReferenceNumber string       `json:"pgReferenceNumber"`
		Amount            money.Amount `json:"amount"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&txns))
	credited := map[string]int{}
	for _, tx := range txns {
		credited[tx.PGReferenceNumber]++
	}
	amounts := column(rows, "loadAmount")
	for i, ref := range refs {
		assert.Equal(t, 1, credited[ref], "reference %s credited once", ref)
		for _, tx := range txns {
			if tx.PGReferenceNumber == ref {
				assert.Equal(t, amounts[i], tx.Amount.String(), "the file's digits reached EnKash")
			}
		}
	}
	assert.Len(t, txns, 200)
	assert.Contains(t, f.out.String(), "exit code 0: every row done")
}

// normaliseResults blanks what differs between runs: latency.
func normaliseResults(t *testing.T, path string) string {
	t.Helper()
	rows := readCSV(t, path)
	for i, h := range rows[0] {
		if h == "latencyMs" {
			for _, r := range rows[1:] {
				r[i] = "0"
			}
		}
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	require.NoError(t, w.WriteAll(rows))
	return b.String()
}

func normaliseSummary(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep the amounts' digits
	require.NoError(t, dec.Decode(&m))
	for _, k := range []string{"startedAt", "finishedAt", "durationSeconds", "rowsPerSecond", "folder", "version"} {
		m[k] = "<varies>"
	}
	out, err := json.MarshalIndent(m, "", "  ")
	require.NoError(t, err)
	return string(out) + "\n"
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./pkg/job -update to create the golden files")
	assert.Equal(t, string(want), got, "golden file %s (go test ./pkg/job -update rewrites it)", path)
}

func TestRunReportsGolden(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sandbox.Options{})
	o := f.options(t, "testdata/mixed.csv")
	o.SkipInvalid = true
	o.Engine.Workers = 1 // ids are handed out in row order
	res := f.run(t, o)
	assert.Equal(t, exitcode.RowsFailed, res.Code)
	golden(t, "run/results.csv", normaliseResults(t, filepath.Join(res.Dir, report.ResultsFile)))
	golden(t, "run/failed.csv", normaliseResults(t, filepath.Join(res.Dir, report.FailedFile)))
	golden(t, "run/summary.json", normaliseSummary(t, filepath.Join(res.Dir, report.SummaryFile)))
	for _, name := range []string{report.ResultsFile, report.FailedFile, report.SummaryFile, report.ValidationFile, report.InvalidFile, job.SnapshotFile} {
		st, err := os.Stat(filepath.Join(res.Dir, name))
		require.NoError(t, err, name)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), name)
	}
}

func TestValidateGolden(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	dir := filepath.Join(t.TempDir(), "v")
	code, _, err := job.Validate(context.Background(), job.ValidateOptions{
		File: "../../samples/allocations-broken.csv", Out: dir, ExpectRows: -1, Stdout: &out,
	})
	assert.Equal(t, exitcode.InvalidInput, code)
	assert.EqualError(t, err, "invalid input: 13 of 17 rows are invalid")
	printed := strings.ReplaceAll(out.String(), dir, "<run>")
	golden(t, "validate/plan.txt", printed)
	for _, name := range []string{report.ValidationFile, report.InvalidFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		golden(t, "validate/"+name, string(b))
	}
}

func TestFailedFileFedBackSendsOnlyThoseRows(t *testing.T) {
	t.Parallel()
	// 429s without Retry-After: provably not applied, FAILED after one attempt
	f := newFixture(t, sandbox.Options{Faults: sandbox.Faults{Seed: 8, FailBefore: 0.25, FailBeforeStatus: 429}})
	o := f.options(t, sample)
	o.Engine.MaxAttempts, o.Engine.Default429 = 1, time.Millisecond
	o.Engine.FailRatio = -1
	first := f.run(t, o)
	require.Equal(t, exitcode.RowsFailed, first.Code)
	failed := first.Summary.Statuses[reward.StatusFailed]
	require.Positive(t, failed)
	before := f.env.Stats().Count("requests " + enkash.PathCreateAllocate)

	f.env.SetFaults(sandbox.Faults{}) // the weather clears
	o2 := f.options(t, filepath.Join(first.Dir, report.FailedFile))
	second := f.run(t, o2)
	require.Equal(t, exitcode.OK, second.Code, f.out.String())
	assert.Equal(t, failed, second.Summary.Rows)
	assert.Equal(t, failed, second.Summary.Statuses[reward.StatusMatched])
	assert.Equal(t, int64(failed), f.env.Stats().Count("requests "+enkash.PathCreateAllocate)-before, "only the failed rows were sent")
	assert.Len(t, f.env.Transactions(), 200)
}

func TestInvalidRowsSendNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sandbox.Options{})
	res, err := job.Run(context.Background(), f.options(t, "testdata/mixed.csv"), f.client)
	assert.Equal(t, exitcode.InvalidInput, res.Code)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1 of 7 rows are invalid; nothing was sent. Either fix those rows in testdata/mixed.csv itself and run the whole file again")
	assert.Zero(t, f.env.Stats().Count("requests "+enkash.PathCreateAllocate))
	assert.FileExists(t, filepath.Join(res.Dir, report.InvalidFile))
	assert.NoFileExists(t, filepath.Join(res.Dir, report.ResultsFile))
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	small, _ := money.Parse("1000")
	tests := []struct {
		name  string
		opts  sandbox.Options
		edit  func(*job.RunOptions)
		code  int
		error string
	}{
		{"balance too low", sandbox.Options{Balance: small}, nil, exitcode.Fatal,
			"the reward account has 1000.00 points available but the file credits 347510.00: fund the account, or split the file; nothing was sent"},
		{"row count differs", sandbox.Options{}, func(o *job.RunOptions) { o.ExpectRows = 199 }, exitcode.InvalidInput,
			"control total: the file has 200 rows but 199 was expected"},
		{"total differs", sandbox.Options{}, func(o *job.RunOptions) { t := money.FromHundredths(1); o.ExpectTotal = &t }, exitcode.InvalidInput,
			"control total: the file has 349060.00 points in total but 0.01 was expected"},
		{"dry run", sandbox.Options{}, func(o *job.RunOptions) { o.DryRun = true }, exitcode.OK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tt.opts)
			o := f.options(t, sample)
			if tt.edit != nil {
				tt.edit(&o)
			}
			res, err := job.Run(context.Background(), o, f.client)
			assert.Equal(t, tt.code, res.Code)
			if tt.error == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tt.error)
			}
			assert.Zero(t, f.env.Stats().Count("requests "+enkash.PathCreateAllocate), "nothing was sent")
		})
	}
}

func TestRefusedLoginIsFatalBeforeSending(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sandbox.Options{})
	f.client = f.env.Client(t, func(c *enkash.Config) { c.Password = "wrong" })
	res, err := job.Run(context.Background(), f.options(t, sample), f.client)
	assert.Equal(t, exitcode.Fatal, res.Code)
	assert.ErrorContains(t, err, "nothing was sent: EnKash rejected the login")
	assert.Equal(t, int64(1), f.env.Stats().Count("login failures"))
}

func TestSandboxRunsSayNoRealPointsMoved(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sandbox.Options{})
	o := f.options(t, sample)
	o.Sandbox = true
	res := f.run(t, o)
	assert.Contains(t, f.out.String(), sandbox.NoRealPoints)
	b, err := os.ReadFile(filepath.Join(res.Dir, report.SummaryFile))
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`"sandbox": true,\s+"note": "SANDBOX: no real points moved"`), string(b))
}

// TestReadmeShowsTheRealValidateOutput keeps the README's example in step
// with what validate prints (the golden file of TestValidateGolden).
func TestReadmeShowsTheRealValidateOutput(t *testing.T) {
	t.Parallel()
	golden, err := os.ReadFile(filepath.Join("testdata", "golden", "validate", "plan.txt"))
	require.NoError(t, err)
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	want := strings.NewReplacer("../../samples/", "samples/", "<run>/", "reports/<run>/").Replace(string(golden))
	assert.Contains(t, string(readme), want, "update the README's validate example from testdata/golden/validate/plan.txt")
}
