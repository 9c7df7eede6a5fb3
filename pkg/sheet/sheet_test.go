package sheet

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

func TestDetect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		head string
		want Format
	}{
		{"firstName,loadAmount\n", CSV},
		{"PK\x03\x04\x14\x00\x06\x00\x08\x00[Content_Types].xml", XLSX},
		{"PK\x03\x04\x14\x00\x00\x00mimetypeapplication/vnd.oasis.opendocument.spreadsheet", ODS},
		{"PK\x03\x04\x14\x00\x00\x00readme.txt", ZIP},
		{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00", XLS},
	} {
		assert.Equal(t, tc.want, Detect([]byte(tc.head)), "%q", tc.head)
	}
}

// TestRowsKeepTheirNumbers: an empty row is an empty line, short rows are
// padded to the header's width, cells come as stored.
func TestRowsKeepTheirNumbers(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	defer f.Close()
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &[]any{"a", "b", "c"}))
	require.NoError(t, f.SetSheetRow("Sheet1", "A2", &[]any{"x"}))
	require.NoError(t, f.SetSheetRow("Sheet1", "A4", &[]any{12345678901234, "0012", 1.5}))
	path := filepath.Join(t.TempDir(), "b.xlsx")
	require.NoError(t, f.SaveAs(path))

	rc, name, err := Open(path, "", t.TempDir())
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, "Sheet1", name)
	assert.Equal(t, "a,b,c\nx,,\n\n12345678901234,0012,1.5\n", string(b))

	rc, _, err = Open(path, "", t.TempDir())
	require.NoError(t, err)
	require.NoError(t, rc.Close(), "closing before reading stops the writer")
}

// saved writes f into a temporary .xlsx and returns its path.
func saved(t *testing.T, f *excelize.File) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "b.xlsx")
	require.NoError(t, f.SaveAs(path))
	require.NoError(t, f.Close())
	return path
}

// readAll streams the sheet and returns its CSV and the notes of its
// cells in rows 1 to rows.
func readAll(t *testing.T, path, sheet string, rows int) (string, []Cell) {
	t.Helper()
	st, _, err := Open(path, sheet, t.TempDir())
	require.NoError(t, err)
	b, err := io.ReadAll(st)
	require.NoError(t, err)
	var fs []Cell
	for r := 1; r <= rows; r++ {
		fs = append(fs, st.Cells(r)...)
	}
	require.NoError(t, st.Close())
	return string(b), fs
}

// TestCellsAsStored: shared strings (rich text too), inline strings,
// booleans, numbers with a format, dates in built-in and custom formats,
// and formulas with and without a saved value.
func TestCellsAsStored(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	must := func(err error) { t.Helper(); require.NoError(t, err) }
	s := "Sheet1"
	must(f.SetSheetRow(s, "A1", &[]any{"text", "number", "date", "formula", "flag"}))
	must(f.SetCellValue(s, "A2", "José ₹ line_x000D_end"))
	must(f.SetCellValue(s, "B2", 1234.5))
	money, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00: shown 1,234.50, stored 1234.5
	must(err)
	must(f.SetCellStyle(s, "B2", "B2", money))
	must(f.SetCellValue(s, "C2", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)))
	must(f.SetCellFormula(s, "D2", "SUM(B2:B3)"))
	must(f.SetCellValue(s, "E2", true))
	must(f.SetCellRichText(s, "A3", []excelize.RichTextRun{{Text: "Ri"}, {Text: "ch", Font: &excelize.Font{Bold: true}}}))
	must(f.SetCellValue(s, "B3", 45962))
	dmy := "dd/mm/yyyy"
	custom, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dmy})
	must(err)
	must(f.SetCellStyle(s, "B3", "B3", custom))
	must(f.SetCellValue(s, "C3", 45962.5))
	must(f.SetCellStyle(s, "C3", "C3", custom))
	must(f.SetCellFormula(s, "D3", "B2*2"))
	must(f.SetCellValue(s, "D3", 2469))
	must(f.SetCellFormula(s, "D3", "B2*2"))
	path := saved(t, f)

	got, fs := readAll(t, path, "", 3)
	assert.Equal(t, "text,number,date,formula,flag\n"+
		"José ₹ line end,1234.5,2026-11-01,,TRUE\n"+ // _x000D_ is a carriage return: a line break, read as a space
		"Rich,2025-11-01,2025-11-01 12:00:00,2469,\n", got)
	require.Len(t, fs, 3)
	assert.Equal(t, Cell{Row: 2, Col: 3, HasFormula: true, Formula: "SUM(B2:B3)"}, fs[0], "no saved value")
	assert.Equal(t, Cell{Row: 2, Col: 0, LineBreak: true}, fs[1], "the line break is noted")
	assert.Equal(t, Cell{Row: 3, Col: 3, HasFormula: true, Formula: "B2*2", Cached: true}, fs[2])
}

// TestSheetsAndLimits: --sheet picks a sheet; a missing one lists them;
// rows missing from the sheet are empty lines; the 1904 date system.
func TestSheetsAndLimits(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &[]any{"first"}))
	_, err := f.NewSheet("Nov 2026")
	require.NoError(t, err)
	require.NoError(t, f.SetSheetRow("Nov 2026", "B3", &[]any{"x", 2}))
	require.NoError(t, f.SetSheetRow("Nov 2026", "A5", &[]any{"y"}))
	date1904 := true
	require.NoError(t, f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &date1904}))
	require.NoError(t, f.SetCellValue("Nov 2026", "C5", 0))
	style, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	require.NoError(t, err)
	require.NoError(t, f.SetCellStyle("Nov 2026", "C5", "C5", style))
	path := saved(t, f)

	got, _ := readAll(t, path, "Nov 2026", 5)
	assert.Equal(t, "\n\n,x,2\n\ny,,1904-01-01\n", got)
	_, _, err = Open(path, "Dec", t.TempDir())
	require.Error(t, err)
	assert.Equal(t, `the workbook has no sheet "Dec"; its sheets: "Sheet1", "Nov 2026" (give one with --sheet)`, err.Error())

	bad := filepath.Join(t.TempDir(), "bad.xlsx")
	require.NoError(t, os.WriteFile(bad, []byte("PK\x03\x04 not really"), 0o600))
	_, _, err = Open(bad, "", t.TempDir())
	assert.ErrorContains(t, err, "the workbook cannot be opened")
}

func TestFormatDecimals(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]int{
		"0": 0, "#,##0": 0, "0.00": 2, "#,##0.000": 3, `[$₹-4009] #,##0.00`: 2, `_(* #,##0_);_(* \(#,##0\)`: 0,
		`0.0" pts"`: 1, "General": -1, "0%": -1, "0.00E+00": -1, "# ?/?": -1, "dd/mm/yyyy": -1, "@": -1,
	} {
		assert.Equal(t, want, formatDecimals(code), code)
	}
	assert.Equal(t, 2, builtinDecimals(4))
	assert.Equal(t, -1, builtinDecimals(0))
}

func TestDateFormats(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]bool{
		"General": false, "0.00": false, "#,##0.00": false, `[$₹-4009] #,##0.00`: false, `_(* #,##0_);_(* \(#,##0\)`: false,
		`0.00" days"`: false, `#,##0;[Red]-#,##0`: false, "@": false, "0.00E+00": false,
		"dd/mm/yyyy": true, "d-mmm-yy": true, "h:mm AM/PM": true, "[h]:mm": true, `[$-409]mmmm d, yyyy`: true, "yyyy-mm-dd;@": true,
	} {
		assert.Equal(t, want, dateFormat(code), code)
	}
	assert.True(t, builtinDate(14))
	assert.False(t, builtinDate(4))
}

// TestSharedStringsBeyondMemory reads a table larger than its memory
// budget (and than a window) through the temporary file: in order, backwards and at random.
func TestSharedStringsBeyondMemory(t *testing.T) {
	t.Parallel()
	var xml strings.Builder
	xml.WriteString(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	var want []string
	for i := range 20000 {
		v := fmt.Sprintf("string number %08d", i)
		want = append(want, v)
		fmt.Fprintf(&xml, `<si><t>%s</t><rPh><t>phonetic</t></rPh></si>`, v)
	}
	xml.WriteString(`</sst>`)
	s := &sharedSST{memory: 64 << 10}
	require.NoError(t, s.load(strings.NewReader(xml.String()), t.TempDir()))
	defer s.close()
	require.NotNil(t, s.tmp, "part of the table is on disk")
	for _, i := range []int{0, len(want) - 1, len(want) / 2, len(want)/2 + 1, 1, len(want) - 2, 12345} {
		got, err := s.get(i)
		require.NoError(t, err)
		assert.Equal(t, want[i], got)
	}
	for i := 0; i < len(want); i += 7 {
		got, err := s.get(i)
		require.NoError(t, err)
		if got != want[i] {
			require.Equal(t, want[i], got, "string %d", i)
		}
	}
	_, err := s.get(len(want))
	assert.Error(t, err)
}

// TestFormulasAreAskedForInOrder: each row gets its own notes; rows not
// asked for are forgotten when a later row is, however many there are.
func TestFormulasAreAskedForInOrder(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	const rows = 5000
	for r := 1; r <= rows; r++ {
		require.NoError(t, f.SetCellFormula("Sheet1", fmt.Sprintf("B%d", r), fmt.Sprintf("A%d*2", r)))
	}
	path := saved(t, f)
	st, _, err := Open(path, "", t.TempDir())
	require.NoError(t, err)
	defer st.Close()
	_, err = io.ReadAll(st)
	require.NoError(t, err)
	for r := 1; r <= rows; r += 3 {
		fs := st.Cells(r)
		require.Len(t, fs, 1, "row %d", r)
		require.Equal(t, Cell{Row: r, Col: 1, HasFormula: true, Formula: fmt.Sprintf("A%d*2", r)}, fs[0])
	}
	assert.Empty(t, st.Cells(rows+1))
	assert.Empty(t, st.Cells(1), "asked for already")
}

// TestISODateCells: a cell of type d (an ISO 8601 date, as strict files
// and some programs write) reads as a date formatted number does.
func TestISODateCells(t *testing.T) {
	t.Parallel()
	for stored, want := range map[string]string{
		"2026-11-01T00:00:00Z": "2026-11-01", "2026-11-01T10:30:00": "2026-11-01 10:30:00",
		"2026-11-01T00:00:00.000Z": "2026-11-01", "2026-11-01": "2026-11-01",
	} {
		r := &rowReader{wb: &workbook{}, typ: "d", val: []byte(stored)}
		got, err := r.value()
		require.NoError(t, err)
		assert.Equal(t, want, got, stored)
	}
}

// TestAFarFirstRow: rows left out before the first one, or without a
// value, are empty lines, however many, and the header's width still
// comes from the rows with values.
func TestAFarFirstRow(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	style, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFFF00"}}})
	require.NoError(t, err)
	require.NoError(t, f.SetCellStyle("Sheet1", "A2", "C20", style)) // rows of coloured empty cells
	require.NoError(t, f.SetSheetRow("Sheet1", "A30", &[]any{"a", "b"}))
	require.NoError(t, f.SetSheetRow("Sheet1", "A31", &[]any{"x"}))
	got, _ := readAll(t, saved(t, f), "", 0)
	assert.Equal(t, strings.Repeat("\n", 29)+"a,b\nx,\n", got, "the rows left out do not decide the width")
}

// TestNumbersShownRounded: a number whose format shows fewer decimals
// than it has is told apart; one shown whole is not.
func TestNumbersShownRounded(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	whole, err := f.NewStyle(&excelize.Style{NumFmt: 3}) // #,##0
	require.NoError(t, err)
	rupees := `[$₹-4009] #,##0.0`
	oneDecimal, err := f.NewStyle(&excelize.Style{CustomNumFmt: &rupees})
	require.NoError(t, err)
	for row, v := range map[int]any{1: 1250.5, 2: 1250, 3: 1250.25, 4: 0.001} {
		cell := fmt.Sprintf("A%d", row)
		require.NoError(t, f.SetCellValue("Sheet1", cell, v))
		require.NoError(t, f.SetCellStyle("Sheet1", cell, cell, whole))
		cell = fmt.Sprintf("B%d", row)
		require.NoError(t, f.SetCellValue("Sheet1", cell, v))
		require.NoError(t, f.SetCellStyle("Sheet1", cell, cell, oneDecimal))
	}
	got, notes := readAll(t, saved(t, f), "", 4)
	assert.Equal(t, "1250.5,1250.5\n1250,1250\n1250.25,1250.25\n0.001,0.001\n", got, "the values as stored")
	assert.Equal(t, []Cell{
		{Row: 1, Col: 0, Rounded: true},
		{Row: 3, Col: 0, Rounded: true}, {Row: 3, Col: 1, Rounded: true, Shows: 1},
		{Row: 4, Col: 0, Rounded: true}, {Row: 4, Col: 1, Rounded: true, Shows: 1},
	}, notes)
}
