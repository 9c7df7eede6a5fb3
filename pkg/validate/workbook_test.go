package validate

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// streamFile validates the file at path as a run does: from an open
// file, in as many passes as it needs.
func streamFile(t *testing.T, path string, opts Options) ([]*reward.Item, *Pass) {
	t.Helper()
	var know *Knowledge
	for pass := 1; ; pass++ {
		require.LessOrEqual(t, pass, 3, "a file needs at most three passes")
		f, err := os.Open(path)
		require.NoError(t, err)
		var items []*reward.Item
		p, err := Stream(context.Background(), "allocations.xlsx", f, opts, know, func(it *reward.Item) error { items = append(items, it); return nil })
		require.NoError(t, err)
		require.NoError(t, f.Close())
		if !p.Validator.NeedsSecondPass() {
			return items, p
		}
		know = p.Validator.Knowledge()
	}
}

func TestAnXLSXWorkbook(t *testing.T) {
	t.Parallel()
	path := workbook(t)
	items, p := streamFile(t, path, Options{})
	require.Len(t, items, 3)
	assert.Equal(t, "allocations.xlsx, sheet Rewards", p.Plan.File)
	assert.Contains(t, p.Plan.HeaderNotes, "the header is on row 2: 1 row above it skipped (a title)")
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
	assert.Equal(t, "Rewards!F5 (Amount (INR)): "+k.Issues[0].Problem+". Fix: "+k.Issues[0].Fix, k.Issues[0].String())

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

var update = flag.Bool("update", false, "rewrite the golden files")

// TestWorkbookMessagesGolden: what validate says of a workbook as HR
// teams send them, every position a cell of the sheet ('Nov 2026'!F4):
// an amount that a formula computes (with and without a saved value, and
// with a value of more than 2 decimals), a date in the amount column, an
// amount its format shows rounded, a reference used twice, a merged
// title, a repeated header and a totals row.
func TestWorkbookMessagesGolden(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	must := func(err error) { t.Helper(); require.NoError(t, err) }
	s := "Nov 2026"
	must(f.SetSheetName("Sheet1", s))
	must(f.SetCellValue(s, "A1", "Rewards, November 2026"))
	must(f.MergeCell(s, "A1", "G1"))
	header := []any{"Employee Name", "Salutation", "Gender", "Email ID", "Mobile No.", "Points", "Ref No"}
	must(f.SetSheetRow(s, "A2", &header))
	person := func(row int, name string, points any, ref string) {
		t.Helper()
		must(f.SetSheetRow(s, fmt.Sprintf("A%d", row), &[]any{name, "Ms", "F", strings.ToLower(name) + "@example.com", 9876543210 + row, points, ref}))
	}
	person(3, "Asha", 1000, "R-1")
	person(4, "Bela", nil, "R-2")
	must(f.SetCellFormula(s, "F4", "F3*2"))
	must(f.SetCellValue(s, "F4", 2000)) // the value Excel saved
	must(f.SetCellFormula(s, "F4", "F3*2"))
	person(5, "Chitra", nil, "R-3")
	must(f.SetCellFormula(s, "F5", "F3/3")) // no value saved: a program wrote it
	person(6, "Devi", nil, "R-4")
	must(f.SetCellFormula(s, "F6", "F3*0.0001234"))
	must(f.SetCellValue(s, "F6", 0.1234))
	must(f.SetCellFormula(s, "F6", "F3*0.0001234"))
	person(7, "Esha", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "R-5")
	must(f.SetSheetRow(s, "A8", &header))
	person(9, "Farah", 300.5, "R-1")
	whole, err := f.NewStyle(&excelize.Style{NumFmt: 3}) // #,##0: shown as 301
	must(err)
	must(f.SetCellStyle(s, "F9", "F9", whole))
	must(f.SetCellValue(s, "A10", "Total"))
	must(f.SetCellFormula(s, "F10", "SUM(F3:F9)"))
	path := filepath.Join(t.TempDir(), "allocations.xlsx")
	must(f.SaveAs(path))

	items, p := streamFile(t, path, Options{})
	var b strings.Builder
	fmt.Fprintf(&b, "file: %s\n", p.Plan.File)
	for _, n := range append(p.Plan.HeaderNotes, p.Plan.Skipped...) {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, it := range items {
		for _, is := range it.Issues {
			fmt.Fprintf(&b, "%s: %s\n", is.Severity, is)
		}
	}
	got := b.String()
	golden := filepath.Join("testdata", "workbook-messages.txt")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "go test ./pkg/validate -run Golden -update writes it")
	assert.Equal(t, string(want), got)

	require.Len(t, items, 6, "the repeated header and the totals row are not rows")
	assert.True(t, items[1].Valid, "a formula with a saved value is sent, after a warning")
	assert.Equal(t, "2000.00", items[1].Allocation.Amount.Fixed2())
	for _, i := range []int{0, 2, 3, 4, 5} {
		assert.False(t, items[i].Valid, "line %d", items[i].Line)
	}
	_, strict := streamFile(t, path, Options{Strict: true})
	assert.Equal(t, p.Plan.Invalid+1, strict.Plan.Invalid, "--strict refuses the formula too")
}

// TestAWorkbookFileProblemNamesTheRow: a problem with the whole sheet
// names the sheet's row, not a line.
func TestAWorkbookFileProblemNamesTheRow(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	require.NoError(t, f.SetCellValue("Sheet1", "A1", "November rewards"))
	require.NoError(t, f.SetSheetRow("Sheet1", "A2", &[]any{"Employee Name", "Email ID", "Points", "Ref No"}))
	require.NoError(t, f.SetSheetRow("Sheet1", "A3", &[]any{"Asha", "asha@example.com", 10, "R-1"}))
	path := filepath.Join(t.TempDir(), "allocations.xlsx")
	require.NoError(t, f.SaveAs(path))
	in, err := os.Open(path)
	require.NoError(t, err)
	defer in.Close()
	_, err = Stream(context.Background(), "allocations.xlsx", in, Options{}, nil, func(*reward.Item) error { return nil })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "allocations.xlsx, sheet Sheet1, row 2: the file has no title, gender, mobile column")
}

// TestALineBreakInACellKeepsEveryRowInPlace: a name typed with Alt+Enter
// is read with a space and a warning, and the rows below keep their sheet
// row, so that a rounded amount under it is still refused at its cell.
func TestALineBreakInACellKeepsEveryRowInPlace(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	must := func(err error) { t.Helper(); require.NoError(t, err) }
	s := "Sheet1"
	must(f.SetSheetRow(s, "A1", &[]any{"firstName", "title", "gender", "email", "mobile", "loadAmount", "uniqueReferenceNumber"}))
	must(f.SetSheetRow(s, "A2", &[]any{"Asha\nKumar", "Ms", "F", "asha@example.com", "9876543210", 100, "R-1"}))
	must(f.SetSheetRow(s, "A3", &[]any{"Bela", "Ms", "F", "bela@example.com", "9876543211", 300.5, "R-2"}))
	whole, err := f.NewStyle(&excelize.Style{NumFmt: 3}) // #,##0: shown as 301
	must(err)
	must(f.SetCellStyle(s, "F3", "F3", whole))
	path := filepath.Join(t.TempDir(), "allocations.xlsx")
	must(f.SaveAs(path))
	require.NoError(t, f.Close())

	items, _ := streamFile(t, path, Options{})
	require.Len(t, items, 2)
	asha, bela := items[0], items[1]
	assert.Equal(t, 2, asha.Line)
	assert.True(t, asha.Valid)
	assert.Equal(t, "Asha Kumar", asha.Allocation.FirstName)
	require.Len(t, asha.Issues, 1)
	assert.Equal(t, reward.SevWarning, asha.Issues[0].Severity)
	assert.Contains(t, asha.Issues[0].String(), "Sheet1!A2")
	assert.Contains(t, asha.Issues[0].Problem, "line break")

	assert.Equal(t, 3, bela.Line, "the row below keeps its sheet row")
	assert.False(t, bela.Valid, "its rounded amount is still refused")
	require.NotEmpty(t, bela.Issues)
	assert.Contains(t, bela.Issues[0].String(), "Sheet1!F3")
}
