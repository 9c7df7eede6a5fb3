package job_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/htmlreport"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// sampleWorkbook writes the first rows of the sample as a workbook, the
// mobiles and amounts stored as numbers.
func sampleWorkbook(t *testing.T, rows int) string {
	t.Helper()
	recs := readCSV(t, sample)[:rows+1]
	f := excelize.NewFile()
	defer f.Close()
	for i, rec := range recs {
		cells := make([]any, len(rec))
		for j, c := range rec {
			cells[j] = c
			if v, err := strconv.ParseFloat(c, 64); err == nil && i > 0 && (recs[0][j] == "mobile" || recs[0][j] == "loadAmount") {
				cells[j] = v
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, err)
		require.NoError(t, f.SetSheetRow("Sheet1", cell, &cells))
	}
	path := filepath.Join(t.TempDir(), "allocations-2026-11.xlsx")
	require.NoError(t, f.SaveAs(path))
	return path
}

// TestAWorkbookRunKeepsItsExtension: the run folder's copy of an .xlsx is
// input.xlsx, and what reads the copy again finds it: summary.json's file
// list, a rerun into the same folder (a resume), and report rebuilding the
// results from the ledger.
func TestAWorkbookRunKeepsItsExtension(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sandbox.Options{})
	l := f.withLedger(t)
	book := sampleWorkbook(t, 12)
	o := f.ledgerOptions(t, l, book)
	first := f.run(t, o)
	require.Equal(t, exitcode.OK, first.Code, f.out.String())
	assert.FileExists(t, filepath.Join(first.Dir, job.SnapshotWorkbook))
	assert.NoFileExists(t, filepath.Join(first.Dir, job.SnapshotFile))
	assert.Equal(t, filepath.Join(first.Dir, job.SnapshotWorkbook), job.SnapshotIn(first.Dir))
	assert.Contains(t, first.Summary.Files, job.SnapshotWorkbook)
	assert.NotContains(t, first.Summary.Files, job.SnapshotFile)
	var credited money.Amount // what the run took from the account
	for op, tot := range first.Summary.Ops {
		if op.IsCredit() {
			credited = credited.Add(tot.ConfirmedPoints)
		} else {
			credited = credited.Sub(tot.ConfirmedPoints)
		}
	}
	require.False(t, credited.IsZero())
	assert.Equal(t, sandbox.DefaultBalance.Fixed2(), first.Summary.BalanceBefore, "read before sending")
	assert.Equal(t, sandbox.DefaultBalance.Sub(credited).Fixed2(), first.Summary.BalanceAfter, "read again after sending")
	page, err := os.ReadFile(filepath.Join(first.Dir, htmlreport.File))
	require.NoError(t, err)
	assert.Contains(t, string(page), first.Summary.BalanceAfter+" points available after sending")
	orig, err := os.ReadFile(book)
	require.NoError(t, err)
	snap, err := os.ReadFile(filepath.Join(first.Dir, job.SnapshotWorkbook))
	require.NoError(t, err)
	assert.Equal(t, orig, snap, "the copy is the workbook's bytes")

	sent := f.sends()
	again := f.run(t, o) // the same --out: a resume of this file's run
	require.Equal(t, exitcode.OK, again.Code, f.out.String())
	assert.Equal(t, 12, again.Summary.Statuses[reward.StatusSkipped])
	assert.Equal(t, sent, f.sends(), "nothing was sent again")

	results := filepath.Join(first.Dir, report.ResultsFile)
	want := readCSV(t, results)
	require.NoError(t, os.Remove(results))
	code, err := job.Report(context.Background(), job.ReportOptions{Run: first.Dir, Ledger: l,
		Validate: validate.Options{MaxAmount: validate.DefaultMaxAmount}})
	require.NoError(t, err)
	assert.Equal(t, exitcode.OK, code)
	got := readCSV(t, results)
	assert.Equal(t, column(want, "uniqueReferenceNumber"), column(got, "uniqueReferenceNumber"))
	b, err := os.ReadFile(filepath.Join(first.Dir, report.SummaryFile))
	require.NoError(t, err)
	var s report.Summary
	require.NoError(t, json.Unmarshal(b, &s))
	assert.Contains(t, s.Files, job.SnapshotWorkbook)
}
