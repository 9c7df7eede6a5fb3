package filetemplate

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/sheet"
)

// TestXLSXTemplate opens the template back and checks what protects the
// data: Text formats where Excel would damage values, two decimals for the
// amount, the drop-down lists, the frozen header, the Instructions sheet,
// and no data row that could be sent by mistake.
func TestXLSXTemplate(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteXLSX(&buf))
	f, err := excelize.OpenReader(&buf)
	require.NoError(t, err)
	defer f.Close()

	assert.Equal(t, []string{DataSheet, InstructionsSheet}, f.GetSheetList())
	rows, err := f.GetRows(DataSheet)
	require.NoError(t, err)
	require.Len(t, rows, 1, "the header only: an example row would be paid")
	var names []string
	for _, c := range Columns {
		names = append(names, c.Name)
	}
	assert.Equal(t, names, rows[0])

	numFmt := func(cell string) int {
		id, err := f.GetCellStyle(DataSheet, cell)
		require.NoError(t, err)
		st, err := f.GetStyle(id)
		require.NoError(t, err)
		return st.NumFmt
	}
	for _, tc := range []struct {
		column string
		cell   string
		numFmt int
	}{
		{allocfile.ColMobile, "G500", 49},
		{allocfile.ColReference, "B2", 49},
		{allocfile.ColCardID, "I99999", 49},
		{allocfile.ColAmount, "H2", 2},
	} {
		t.Run(tc.column, func(t *testing.T) {
			assert.Equal(t, tc.column, rows[0][cellColumn(t, tc.cell)-1])
			assert.Equal(t, tc.numFmt, numFmt(tc.cell))
		})
	}

	dvs, err := f.GetDataValidations(DataSheet)
	require.NoError(t, err)
	lists := map[string]string{}
	for _, dv := range dvs {
		lists[dv.Sqref] = dv.Formula1
	}
	assert.Equal(t, `"allocate,topup,debit"`, lists["A2:A100001"])
	assert.Equal(t, `"Mr,Mrs,Ms"`, lists["D2:D100001"])
	assert.Equal(t, `"M,F"`, lists["E2:E100001"])
	assert.Contains(t, lists, "H2:H100001", "the amount refuses what is not a positive number")

	panes, err := f.GetPanes(DataSheet)
	require.NoError(t, err)
	assert.True(t, panes.Freeze)
	assert.Equal(t, 1, panes.YSplit)

	help, err := f.GetRows(InstructionsSheet)
	require.NoError(t, err)
	assert.Contains(t, help[3], allocfile.ColOperation)
}

func cellColumn(t *testing.T, cell string) int {
	col, _, err := excelize.CellNameToCoordinates(cell)
	require.NoError(t, err)
	return col
}

// TestCSVTemplateIsReadBack: the reader recognises every column of the CSV
// template, byte-order mark included, so template and reader cannot drift.
func TestCSVTemplateIsReadBack(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteCSV(&buf))
	assert.True(t, bytes.HasPrefix(buf.Bytes(), []byte("\uFEFF")))
	r, err := allocfile.NewReader("template.csv", &buf)
	require.NoError(t, err)
	for _, c := range Columns {
		assert.True(t, r.Header().Has(c.Name), c.Name)
	}
}

// TestXLSXTemplateFilledInIsReadBack: a row typed into the template as
// an HR user would (the mobile and reference in Text cells, the amount a
// number) comes back through the workbook reader exactly, header and all.
func TestXLSXTemplateFilledInIsReadBack(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteXLSX(&buf))
	f, err := excelize.OpenReader(&buf)
	require.NoError(t, err)
	typed := map[string]any{
		allocfile.ColOperation: "allocate", allocfile.ColReference: "000123", allocfile.ColFirstName: "José",
		allocfile.ColTitle: "Ms", allocfile.ColGender: "F", allocfile.ColEmail: "jose@example.com",
		allocfile.ColMobile: "9876543210", allocfile.ColAmount: 1250.5,
	}
	want := map[string]string{allocfile.ColAmount: "1250.5"}
	for i, c := range Columns {
		v, ok := typed[c.Name]
		if !ok {
			continue
		}
		cell, err := excelize.CoordinatesToCellName(i+1, 2)
		require.NoError(t, err)
		require.NoError(t, f.SetCellValue(DataSheet, cell, v))
		if s, ok := v.(string); ok {
			want[c.Name] = s
		}
	}
	path := filepath.Join(t.TempDir(), "allocations-template.xlsx")
	require.NoError(t, f.SaveAs(path))
	require.NoError(t, f.Close())

	st, name, err := sheet.Open(path, "", t.TempDir())
	require.NoError(t, err)
	defer st.Close()
	assert.Equal(t, DataSheet, name, "the data sheet comes first")
	r, err := allocfile.NewReaderWith(path, st, allocfile.Options{Sheet: name})
	require.NoError(t, err)
	row, err := r.Read()
	require.NoError(t, err)
	assert.Equal(t, 2, row.Line)
	for col, v := range want {
		assert.Equal(t, v, row.Record.Field(col), col)
	}
	_, err = r.Read()
	assert.ErrorIs(t, err, io.EOF, "the template has no other row")
}
