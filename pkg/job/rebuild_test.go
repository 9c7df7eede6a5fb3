package job_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// TestReportRebuildsWhatTheRunWrote runs files that give every status,
// keeps the reports each run wrote as the golden files, deletes them
// (leaving a stray temporary file as a killed run would), and has
// job.Report write them again from the ledger and the run's input.csv.
// They must be the same, but for latencyMs, which the ledger does not
// keep, and attempts, which the ledger counts over every run of a
// reference.
func TestReportRebuildsWhatTheRunWrote(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sandbox.Options{})
	l := f.withLedger(t)
	attempts := map[string]int{} // per reference, over the runs so far
	steps := []struct {
		name   string
		file   string
		faults sandbox.Faults
		tune   func(*job.RunOptions)
		want   []reward.Status
	}{
		{"failures", sample, sandbox.Faults{Seed: 8, FailBefore: 0.25, FailBeforeStatus: 429}, func(o *job.RunOptions) { o.Engine.MaxAttempts, o.Engine.FailRatio = 1, -1 },
			[]reward.Status{reward.StatusMatched, reward.StatusFailed}},
		{"skipped and resent", sample, sandbox.Faults{}, nil, []reward.Status{reward.StatusSkipped, reward.StatusMatched}},
		{"invalid and refused", "testdata/mixed.csv", sandbox.Faults{}, func(o *job.RunOptions) { o.SkipInvalid = true },
			[]reward.Status{reward.StatusInvalid, reward.StatusFailed, reward.StatusMatched}},
		{"stopped", "testdata/rebuild-stopped.csv", sandbox.Faults{Seed: 1, FailBefore: 1, FailBeforeStatus: 429}, func(o *job.RunOptions) {
			o.Engine.MaxAttempts, o.Engine.FailWindow, o.Engine.Workers = 1, 4, 1
		}, []reward.Status{reward.StatusFailed, reward.StatusNotSent}},
	}
	for _, st := range steps {
		f.env.SetFaults(st.faults)
		o := cliLike(f.ledgerOptions(t, l, st.file))
		if st.tune != nil {
			st.tune(&o)
		}
		res := f.run(t, o)
		require.NotNil(t, res.Summary, "%s: %s", st.name, f.out.String())
		for _, s := range st.want {
			require.Positive(t, res.Summary.Statuses[s], "%s has %s rows", st.name, s)
		}
		golden := map[string][]byte{}
		for _, name := range []string{report.ResultsFile, report.FailedFile, report.SummaryFile} {
			b, err := os.ReadFile(filepath.Join(res.Dir, name))
			require.NoError(t, err)
			golden[name] = b
			require.NoError(t, os.Remove(filepath.Join(res.Dir, name)))
		}
		require.NoError(t, os.WriteFile(filepath.Join(res.Dir, ".results.csv.0123.tmp"), []byte("half"), 0o600))

		var out bytes.Buffer
		code, err := job.Report(context.Background(), job.ReportOptions{Run: res.Dir, Ledger: l, Stdout: &out,
			Validate: validate.Options{MaxAmount: validate.DefaultMaxAmount}})
		require.NoError(t, err, st.name)
		assert.Equal(t, res.Code, code, st.name)
		assert.Contains(t, out.String(), "Removed 1 temporary files")
		assert.NoFileExists(t, filepath.Join(res.Dir, ".results.csv.0123.tmp"))
		for name, want := range golden {
			got, err := os.ReadFile(filepath.Join(res.Dir, name))
			require.NoError(t, err)
			if name == report.ResultsFile {
				assert.Equal(t, bytes.HasPrefix(want, []byte(report.BOM)), bytes.HasPrefix(got, []byte(report.BOM)), "%s: the BOM", st.name)
				want, got = asRebuilt(t, want, attempts), asRebuilt(t, got, map[string]int{})
			}
			assert.Equal(t, string(want), string(got), "%s: %s", st.name, name)
		}
	}
}

// cliLike gives the options the settings the command line adds: the
// reference spelling enters the plan hash.
func cliLike(o job.RunOptions) job.RunOptions {
	o.Validate.Extra = []string{"referenceField=uniqueReferenceNumber"}
	o.Validate.MaxAmount = validate.DefaultMaxAmount
	return o
}

// asRebuilt is a results.csv as a rebuild writes it: latencyMs empty,
// attempts summed over the runs (attempts holds the earlier runs' sums).
func asRebuilt(t *testing.T, b []byte, attempts map[string]int) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.csv")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	rows := readCSV(t, path)
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for i, r := range rows {
		if i > 0 {
			r[col["latencyMs"]] = ""
			n, err := strconv.Atoi(r[col["attempts"]])
			require.NoError(t, err)
			ref := r[col["uniqueReferenceNumber"]]
			attempts[ref] += n
			if n > 0 {
				r[col["attempts"]] = strconv.Itoa(attempts[ref])
			}
		}
		require.NoError(t, w.Write(r))
	}
	w.Flush()
	return buf.Bytes()
}

func TestReportRefusesWhatItCannotRebuild(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sandbox.Options{})
	l := f.withLedger(t)
	o := cliLike(f.ledgerOptions(t, l, "testdata/batch.csv"))
	o.Validate.BatchID = "2026-11"
	res := f.run(t, o)
	require.Equal(t, exitcode.OK, res.Code, f.out.String())

	_, err := job.Report(context.Background(), job.ReportOptions{Run: res.Dir, Ledger: l,
		Validate: validate.Options{MaxAmount: validate.DefaultMaxAmount}})
	require.ErrorContains(t, err, "run with --batch-id")
	_, err = job.Report(context.Background(), job.ReportOptions{Run: res.Dir, Ledger: l,
		Validate: validate.Options{BatchID: "2026-12", MaxAmount: validate.DefaultMaxAmount}})
	require.ErrorContains(t, err, "give report the same --batch-id and --max-amount as the run")

	code, err := job.Report(context.Background(), job.ReportOptions{Run: res.Dir, Ledger: l,
		Validate: validate.Options{BatchID: "2026-11", MaxAmount: validate.DefaultMaxAmount}})
	require.NoError(t, err)
	assert.Equal(t, exitcode.OK, code)

	require.NoError(t, os.WriteFile(filepath.Join(res.Dir, job.SnapshotFile), []byte("edited\n"), 0o600))
	_, err = job.Report(context.Background(), job.ReportOptions{Run: res.Dir, Ledger: l,
		Validate: validate.Options{BatchID: "2026-11", MaxAmount: validate.DefaultMaxAmount}})
	require.ErrorContains(t, err, "is not the file the run read (its SHA-256 differs from the ledger's)")
}
