package htmlreport

import (
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// summary is a finished run with rows in most statuses.
func summary(dir string) *report.Summary {
	t := report.NewTally()
	t.Rows = 6
	t.Statuses[reward.StatusMatched], t.Statuses[reward.StatusSkipped] = 2, 1
	t.Statuses[reward.StatusFailed], t.Statuses[reward.StatusUnknown], t.Statuses[reward.StatusInvalid] = 1, 1, 1
	a := t.Ops[reward.OpAllocate]
	a.Rows, a.Points, a.ConfirmedRows, a.ConfirmedPoints = 5, money.FromHundredths(160050), 2, money.FromHundredths(110000)
	a.SkippedRows, a.SkippedPoints = 1, money.FromHundredths(20000)
	return &report.Summary{Tool: "rewardbatch", Version: "v1.2.3", RunID: "20261126T080000Z-allocations", Input: "allocations-2026-11.csv",
		InputSHA256: strings.Repeat("ab", 32), PlanHash: strings.Repeat("5b73ac35", 8), RunBy: "priya@payroll-01",
		BalanceBefore: "500000.00", BalanceAfter: "498899.50", StartedAt: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC),
		FinishedAt: time.Date(2026, 11, 26, 8, 1, 30, 0, time.UTC), Tally: t, ExitCode: 4,
		ExitMeaning: "incomplete; a rerun resumes", Folder: dir}
}

// writeFailed writes failed.csv as a run does, BOM and guard included.
func writeFailed(t *testing.T, dir string, rows ...[]string) {
	t.Helper()
	f, err := report.CreateCSV(filepath.Join(dir, report.FailedFile), []string{"employeeId", "uniqueReferenceNumber", "firstName", "loadAmount", "status", "reason"}, report.Style{})
	require.NoError(t, err)
	for _, r := range rows {
		require.NoError(t, f.Write(r))
	}
	require.NoError(t, f.Commit())
}

func TestSummaryHTMLGolden(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFailed(t, dir,
		[]string{"E2", "000123", "<b>Diya</b> & Co", "50.5", "FAILED", "REJECTED: code 1: Card not found"},
		[]string{"E3", "NOV-3", "=Kabir", "100", "UNKNOWN", "AMBIGUOUS: sent, but the answer was lost"},
		[]string{"E4", "NOV-4", "Ira", "abc", "INVALID", "loadAmount: the amount \"abc\" is not a number"})
	require.NoError(t, Write(dir, summary("reports/20261126T080000Z-allocations")))
	got, err := os.ReadFile(filepath.Join(dir, File))
	require.NoError(t, err)
	golden := filepath.Join("testdata", "summary.html")
	if *update {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "go test ./pkg/htmlreport -update writes it")
	assert.Equal(t, string(want), string(got))

	page := string(got)
	for _, external := range []string{"http://", "https://", "<script", "src=", "<link", "@import", "url("} {
		assert.NotContains(t, page, external, "the page is self-contained")
	}
	assert.Contains(t, page, "&lt;b&gt;Diya&lt;/b&gt; &amp; Co", "cells are escaped")
	assert.Contains(t, page, "<td>000123</td>", "the reference as written, the guard taken off")
	assert.Contains(t, page, "<td>=Kabir</td>")
	assert.Contains(t, page, "do not send these again by hand")
	assert.Contains(t, page, "<dd>500000.00 points available in the reward account before sending</dd>")
	assert.Contains(t, page, "<dd>498899.50 points available after sending</dd>")
	fi, err := os.Stat(filepath.Join(dir, File))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(report.FileMode), fi.Mode().Perm())
}

func TestSummaryHTMLListsAtMostMaxListed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var rows [][]string
	for i := range MaxListed + 7 {
		rows = append(rows, []string{"E", fmt.Sprintf("R%d", i), "N", "1", "FAILED", "x"})
	}
	writeFailed(t, dir, rows...)
	require.NoError(t, Write(dir, summary(dir)))
	got, err := os.ReadFile(filepath.Join(dir, File))
	require.NoError(t, err)
	assert.Contains(t, string(got), "... and 7 more rows in failed.csv.")
	assert.Equal(t, MaxListed, strings.Count(string(got), `<td class="bad">FAILED</td><td>x</td>`))

	empty := t.TempDir() // a run without failed.csv lists none
	unread := summary(empty)
	unread.BalanceBefore, unread.BalanceAfter = "", ""
	require.NoError(t, Write(empty, unread))
	got, err = os.ReadFile(filepath.Join(empty, File))
	require.NoError(t, err)
	assert.Contains(t, string(got), "None: every row is done.")
	assert.Contains(t, string(got), "not known: the balance was not read before sending", "an unread balance is said so")
	assert.Contains(t, string(got), "not known: the balance was not read after sending, or EnKash did not answer")
}

// TestPrintPageGolden: the console's print page is the same page, headed
// with the batch and its approvals, and its one inline style is the one
// StyleSource allows.
func TestPrintPageGolden(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFailed(t, dir, []string{"E2", "000123", "Diya", "50.5", "FAILED", "REJECTED: code 1: Card not found"})
	at := time.Date(2026, 11, 26, 7, 30, 0, 0, time.UTC)
	var b strings.Builder
	require.NoError(t, Render(&b, dir, summary("reports/x"), &Batch{Name: "allocations-2026-11.xlsx", Uploader: "asha",
		UploadedAt: at, Decisions: []Decision{{User: "<ravi>", Approve: true, At: at.Add(time.Hour), Comment: "ok for Nov"}}}))
	got := b.String()
	golden := filepath.Join("testdata", "print.html")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "go test ./pkg/htmlreport -update writes it")
	assert.Equal(t, string(want), got)
	assert.Contains(t, got, `<h1 id="summary">Reward points: allocations-2026-11.xlsx</h1>`)
	assert.Contains(t, got, "✓ Approved by <strong>&lt;ravi&gt;</strong> on 2026-11-26 08:30 UTC: “ok for Nov”")

	_, rest, _ := strings.Cut(got, "<style>")
	css, _, _ := strings.Cut(rest, "</style>")
	sum := sha256.Sum256([]byte(css))
	assert.Equal(t, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'", StyleSource())
}
