package validate

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// workbook writes an .xlsx as HR teams have them: a merged title row, a
// header, numbers stored as numbers (a mobile, an amount), text, a date
// in an amount column, a totals row with a formula, and a second sheet.
func workbook(t *testing.T) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) { t.Helper(); require.NoError(t, err) }
	must(f.SetSheetName("Sheet1", "Rewards"))
	s := "Rewards"
	must(f.SetCellValue(s, "A1", "November 2026 rewards"))
	must(f.MergeCell(s, "A1", "G1"))
	must(f.SetSheetRow(s, "A2", &[]any{"Employee Name", "Salutation", "Gender", "Email ID", "Mobile No.", "Amount (INR)", "Ref No"}))
	must(f.SetSheetRow(s, "A3", &[]any{"Aarav Sharma", "Mr", "M", "aarav@example.com", 9876543210, 1000, "000123"}))
	must(f.SetSheetRow(s, "A4", &[]any{"Diya Patel", "Ms", "F", "diya@example.com", "9876543211", 250.5, 202611000000001}))
	must(f.SetSheetRow(s, "A5", &[]any{"Kabir Rao", "Mr", "M", "kabir@example.com", 9876543212, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "R-3"}))
	must(f.SetCellValue(s, "A6", "Total"))
	must(f.SetCellFormula(s, "F6", "SUM(F3:F4)"))
	must(f.SetCellValue(s, "F6", 1250.5)) // the value Excel caches
	must(f.SetCellFormula(s, "F6", "SUM(F3:F4)"))
	_, err := f.NewSheet("Other")
	must(err)
	must(f.SetSheetRow("Other", "A1", &[]any{"firstName", "title", "gender", "email", "mobile", "loadAmount", "uniqueReferenceNumber"}))
	must(f.SetSheetRow("Other", "A2", &[]any{"Meera", "Ms", "F", "meera@example.com", "9876543213", "10", "O-1"}))
	path := filepath.Join(t.TempDir(), "allocations.xlsx")
	must(f.SaveAs(path))
	return path
}

// streamFile validates the file at path as a run's pass does: from an
// open file.
func streamFile(t *testing.T, path string, opts Options) ([]*reward.Item, *Pass) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var items []*reward.Item
	p, err := Stream(context.Background(), "allocations.xlsx", f, opts, nil, func(it *reward.Item) error { items = append(items, it); return nil })
	require.NoError(t, err)
	return items, p
}

func TestAnXLSXWorkbook(t *testing.T) {
	t.Parallel()
	path := workbook(t)
	items, p := streamFile(t, path, Options{})
	require.Len(t, items, 3)
	assert.Equal(t, "allocations.xlsx, sheet Rewards", p.Plan.File)
	assert.Contains(t, p.Plan.HeaderNotes, "the header is on line 2: 1 line above it skipped (a title)")
	assert.Equal(t, 1, p.Plan.SkippedRows, "the totals row")

	a := items[0]
	assert.Equal(t, 3, a.Line, "lines are the sheet's rows")
	assert.True(t, a.Valid, "%v", a.Issues)
	assert.Equal(t, "9876543210", a.Allocation.Mobile, "a mobile stored as a number, every digit")
	assert.Equal(t, "000123", a.Allocation.Reference, "text stays text")
	assert.Equal(t, "1000.00", a.Allocation.Amount.Fixed2())

	d := items[1]
	assert.True(t, d.Valid, "%v", d.Issues)
	assert.Equal(t, "202611000000001", d.Allocation.Reference, "a long number stored as a number, every digit")
	assert.Equal(t, "250.50", d.Allocation.Amount.Fixed2())

	k := items[2]
	require.False(t, k.Valid)
	assert.Equal(t, 5, k.Line)
	assert.Equal(t, "the amount is a date (2026-11-01): the cell is formatted as a date in the sheet, so the number in it is not the points meant",
		k.Issues[0].Problem)
	assert.Equal(t, "F", k.Issues[0].Letter)

	other, p2 := streamFile(t, path, Options{Sheet: "Other"})
	require.Len(t, other, 1)
	assert.True(t, other[0].Valid, "%v", other[0].Issues)
	assert.Equal(t, "allocations.xlsx, sheet Other", p2.Plan.File)

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	_, err = Stream(context.Background(), "allocations.xlsx", f, Options{Sheet: "Missing"}, nil, func(*reward.Item) error { return nil })
	require.Error(t, err)
	assert.Contains(t, err.Error(), `the workbook has no sheet "Missing"; its sheets: "Rewards", "Other"`)
}
