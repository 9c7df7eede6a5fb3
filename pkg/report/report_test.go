package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares the file name in dir with testdata/golden/prefix-name,
// or rewrites the latter with -update.
func golden(t *testing.T, dir, name, prefix string) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	path := filepath.Join("testdata", "golden", prefix+"-"+name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./pkg/report -update to create it")
	assert.Equal(t, string(want), string(got), "%s differs from %s", name, path)
}

// header reads a header line the way a run does.
func header(t *testing.T, line string) *allocfile.Header {
	t.Helper()
	r, err := allocfile.NewReader("in.csv", strings.NewReader(line+"\n"))
	require.NoError(t, err)
	return r.Header()
}

func amount(t *testing.T, s string) money.Amount {
	t.Helper()
	a, err := money.Parse(s)
	require.NoError(t, err)
	return a
}

// outcomes has one row of every status, with cells a spreadsheet would
// run as formulas.
func outcomes(t *testing.T) []*reward.Outcome {
	item := func(line int, ref, op, amt string, valid bool, values ...string) *reward.Item {
		return &reward.Item{Line: line, Values: append(values, "0012345678901"), Valid: valid,
			Allocation: reward.Allocation{Reference: ref, Operation: reward.Operation(op), Amount: amount(t, amt),
				Mobile: "9876543211", Title: "Ms", Gender: "Female", Email: "a@example.com"}}
	}
	receipt := reward.Receipt{PGReferenceNumber: "R1", EnKashCardID: "EKC1", EnkashCardTxnID: "T1", OTBBalance: "100.00"}
	invalid := item(6, "R5", "allocate", "5", false, "R5", "Ira", "5", "")
	invalid.Issues = []reward.Issue{{Line: 6, Column: "mobile", Letter: "D", Severity: reward.SevError, Problem: "the mobile is missing", Fix: "fill it in"}}
	return []*reward.Outcome{
		{Item: item(2, "R1", "allocate", "100", true, "R1", "=Aarav", "100", "'own apostrophe"), Status: reward.StatusMatched, Receipt: receipt, Attempts: 1, Latency: 12 * time.Millisecond},
		{Item: item(3, "R2", "topup", "50.50", true, "R2", "Diya", "50.50", "-5 points"), Status: reward.StatusFailed, Attempts: 1,
			ErrorCode: reward.CodeRejected, ErrorMessage: "code 400: Invalid card"},
		{Item: item(4, "R3", "debit", "10", true, "R3", "\tKabir", "10", "@home"), Status: reward.StatusUnknown, Attempts: 2,
			ErrorCode: reward.CodeAmbiguous, ErrorMessage: "sent, but the answer was lost"},
		{Item: item(5, "R4", "allocate", "20", true, "R4", "Meera", "20", ""), Status: reward.StatusSkipped, Receipt: receipt},
		{Item: invalid, Status: reward.StatusInvalid, ErrorCode: reward.CodeInvalid, ErrorMessage: invalid.ErrorText()},
		{Item: item(7, "R6", "allocate", "30", true, "R6", "Neha", "30", "+91"), Status: reward.StatusNotSent, ErrorCode: reward.CodeStopped,
			ErrorMessage: "the run stopped before this row was sent (stopped); a rerun sends it"},
	}
}

func writeRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	r, err := CreateResults(dir, header(t, "uniqueReferenceNumber,firstName,loadAmount,remarks,enkashCardId"), Style{})
	require.NoError(t, err)
	for _, o := range outcomes(t) {
		require.NoError(t, r.Add(o))
	}
	require.NoError(t, r.Commit())
	s := &Summary{Tool: "rewardbatch", Version: "test", RunID: "run-1", Input: "in.csv", Tally: r.Tally(), Stopped: "stopped",
		StartedAt: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC), FinishedAt: time.Date(2026, 11, 26, 8, 1, 0, 0, time.UTC),
		ExitCode: 4, ExitMeaning: "incomplete; a rerun resumes", Folder: "reports/run-1"}
	require.NoError(t, WriteJSON(filepath.Join(dir, SummaryFile), s))
	return dir
}

func TestResultsGolden(t *testing.T) {
	t.Parallel()
	dir := writeRun(t)
	for _, name := range []string{ResultsFile, FailedFile} {
		golden(t, dir, name, "results")
	}
	assertNoTemporary(t, dir)
}

func TestValidationGolden(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	v, err := CreateValidation(dir, header(t, "firstName,mobile,loadAmount"), Style{NoBOM: true})
	require.NoError(t, err)
	for _, o := range outcomes(t) {
		o.Item.Values = o.Item.Values[1:4]
		require.NoError(t, v.Add(o.Item))
	}
	require.NoError(t, v.Commit())
	for _, name := range []string{ValidationFile, InvalidFile} {
		golden(t, dir, name, "validation")
	}
}

func TestAmendGolden(t *testing.T) {
	t.Parallel()
	dir := writeRun(t)
	s, changed, err := Amend(dir, map[string]Change{
		"R3": {Status: reward.StatusMatched, PGReferenceNumber: "R3", EnKashCardID: "EKC3", EnkashCardTxnID: "T3",
			Operation: reward.OpDebit, Amount: amount(t, "10")},
		"R1": {Status: reward.StatusFailed}, // not UNKNOWN: left alone
	})
	require.NoError(t, err)
	assert.Equal(t, 1, changed)
	assert.Equal(t, 0, s.Statuses[reward.StatusUnknown])
	assert.Equal(t, 4, s.ExitCode, "NOT_SENT rows keep the run incomplete")
	for _, name := range []string{ResultsFile, FailedFile, SummaryFile} {
		golden(t, dir, name, "amend")
	}
	_, _, err = Amend(t.TempDir(), nil)
	assert.ErrorIs(t, err, ErrNoResults)
}

func assertNoTemporary(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasSuffix(e.Name(), TempSuffix), "%s is left behind", e.Name())
	}
}

func TestTemporaryFilesAreRemovedOnEveryPath(t *testing.T) {
	dir := t.TempDir()
	open, err := CreateCSV(filepath.Join(dir, ResultsFile), []string{"a"}, Style{})
	require.NoError(t, err)
	aborted, err := CreateCSV(filepath.Join(dir, FailedFile), []string{"a"}, Style{})
	require.NoError(t, err)
	aborted.Abort()
	aborted.Abort() // twice is harmless
	entries, _ := os.ReadDir(dir)
	require.Len(t, entries, 1, "only the open file's temporary file")
	RemoveTemporary() // a second Ctrl-C
	assertNoTemporary(t, dir)
	require.Error(t, open.Commit(), "its temporary file is gone")

	require.NoError(t, os.WriteFile(filepath.Join(dir, ".summary.json.1.tmp"), nil, 0o600))
	n, err := RemoveStale(dir)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

func TestAPlantedSymlinkIsReplacedNotFollowed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("keep"), 0o600))
	require.NoError(t, os.Symlink(victim, filepath.Join(dir, SummaryFile)))
	require.NoError(t, WriteJSON(filepath.Join(dir, SummaryFile), map[string]int{"rows": 1}))
	b, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "keep", string(b))
	fi, err := os.Lstat(filepath.Join(dir, SummaryFile))
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())
	assert.Equal(t, os.FileMode(FileMode), fi.Mode().Perm())
}

func TestAWriteErrorIsTyped(t *testing.T) {
	t.Parallel()
	err := WriteFileAtomic(filepath.Join(t.TempDir(), "missing", "summary.json"), []byte("{}"))
	var we *WriteError
	require.ErrorAs(t, err, &we)
	assert.True(t, errors.Is(err, os.ErrNotExist))
}

// FuzzFormulaGuardRoundTrip: a cell written into a report and fed back
// reads exactly as it was, whatever a spreadsheet would have made of it.
func FuzzFormulaGuardRoundTrip(f *testing.F) {
	for _, s := range []string{"=1+2", "'=1+2", "'", "''", "\t=x", "-5", "+91 98765 43210", "@SUM(A1)", "plain", " spaced ", `"quoted"`, "a,b", "two\nlines"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r == '\r' || (r < 0x20 && r != '\t' && r != '\n') || r == 0x7F }) {
			t.Skip("not a cell a CSV file holds")
		}
		dir := t.TempDir()
		w, err := CreateCSV(filepath.Join(dir, FailedFile), []string{"remarks", "firstName", "status"}, Style{})
		require.NoError(t, err)
		require.NoError(t, w.Write([]string{s, "x", "FAILED"}))
		require.NoError(t, w.Commit())
		b, err := os.ReadFile(filepath.Join(dir, FailedFile))
		require.NoError(t, err)
		r, err := allocfile.NewReader(FailedFile, bytes.NewReader(b))
		require.NoError(t, err)
		row, err := r.Read()
		require.NoError(t, err)
		require.Equal(t, []string{s, "x"}, row.Values)
		_, err = r.Read()
		require.ErrorIs(t, err, io.EOF)
	})
}

func TestSummaryRoundTripsThroughJSON(t *testing.T) {
	t.Parallel()
	dir := writeRun(t)
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	require.NoError(t, err)
	var s Summary
	require.NoError(t, json.Unmarshal(b, &s))
	require.NoError(t, WriteJSON(filepath.Join(dir, "again.json"), &s))
	again, err := os.ReadFile(filepath.Join(dir, "again.json"))
	require.NoError(t, err)
	assert.Equal(t, string(b), string(again), "report rebuilds summary.json from the ledger's copy")
}
