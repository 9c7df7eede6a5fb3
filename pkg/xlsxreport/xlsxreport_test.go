package xlsxreport

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/sheet"
)

// TestResultsWorkbook: results.xlsx has the cells of results.csv exactly,
// as text (leading zeros, long digits, formula-like text), a frozen
// header, filters, and the status in words with a fill by outcome.
func TestResultsWorkbook(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rows := [][]string{
		{"uniqueReferenceNumber", "firstName", "mobile", "loadAmount", "row", "status"},
		{"000123", "=Aarav", "9876543210", "100.50", "2", "MATCHED"},
		{"202611000000000001", "José ₹", "+91 98765 43211", "50", "3", "FAILED"},
	}
	w, err := report.CreateCSV(filepath.Join(dir, report.ResultsFile), rows[0], report.Style{})
	require.NoError(t, err)
	for _, r := range rows[1:] {
		require.NoError(t, w.Write(r))
	}
	require.NoError(t, w.Commit())
	require.NoError(t, Write(dir))

	fi, err := os.Stat(filepath.Join(dir, File))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(report.FileMode), fi.Mode().Perm())
	f, err := excelize.OpenFile(filepath.Join(dir, File))
	require.NoError(t, err)
	defer f.Close()
	got, err := f.GetRows(Sheet, excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	assert.Equal(t, rows, got)
	st, _, err := sheet.Open(filepath.Join(dir, File), "", t.TempDir())
	require.NoError(t, err)
	back, err := csv.NewReader(st).ReadAll()
	require.NoError(t, err)
	require.NoError(t, st.Close())
	assert.Equal(t, rows, back, "read back as this tool reads a workbook, every cell is what was written")

	panes, err := f.GetPanes(Sheet)
	require.NoError(t, err)
	assert.True(t, panes.Freeze)
	assert.Equal(t, 1, panes.YSplit)
	names := f.GetDefinedName()
	require.NotEmpty(t, names)
	assert.Equal(t, "_xlnm._FilterDatabase", names[0].Name)
	assert.Contains(t, names[0].RefersTo, "$A$1:$F$3")

	matched, err := f.GetCellStyle(Sheet, "F2")
	require.NoError(t, err)
	failed, err := f.GetCellStyle(Sheet, "F3")
	require.NoError(t, err)
	assert.NotEqual(t, matched, failed, "the fill repeats the outcome the words say")
	text, err := f.GetCellStyle(Sheet, "A2")
	require.NoError(t, err)
	style, err := f.GetStyle(text)
	require.NoError(t, err)
	assert.Equal(t, 49, style.NumFmt, "cells are formatted as Text")
}
