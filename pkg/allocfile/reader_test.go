package allocfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readAll(t *testing.T, name string, src io.Reader) (*Reader, []*Row, error) {
	t.Helper()
	r, err := NewReader(name, src)
	if err != nil {
		return nil, nil, err
	}
	var rows []*Row
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return r, rows, nil
		}
		if err != nil {
			return r, rows, err
		}
		rows = append(rows, row)
	}
}

func readFile(t *testing.T, name string) (*Reader, []*Row, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return readAll(t, name, f)
}

func TestReadsWhatExcelWrites(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file   string
		comma  rune
		lines  []int
		amount []string
		names  []string
	}{
		{"bom_crlf.csv", ',', []int{2, 3}, []string{"500", "750.50"},
			[]string{"Employee ID", "Name", "Title", "Gender", "E-mail", "Mobile", "Amount", "Reference", "Department"}},
		{"semicolon.csv", ';', []int{2, 3}, []string{"1200", "99,5"}, nil},
		{"tab.csv", '\t', []int{2}, []string{"1200"}, nil},
		{"cr_only.csv", ',', []int{2, 3}, []string{"10", "20"}, nil},
		{"multiline.csv", ',', []int{2, 4, 7}, []string{"300", "400", "500"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			r, rows, err := readFile(t, tt.file)
			require.NoError(t, err)
			assert.Equal(t, tt.comma, r.Comma())
			require.Len(t, rows, len(tt.lines))
			for i, row := range rows {
				assert.Equal(t, tt.lines[i], row.Line, "row %d starts on its real file line", i+1)
				assert.Equal(t, tt.amount[i], row.Record.Amount)
				assert.Nil(t, row.Problem)
			}
			if tt.names != nil {
				assert.Equal(t, tt.names, r.Header().Names, "the BOM is gone from the first header")
			}
		})
	}
}

func TestHeaderAliasesAndKeptColumns(t *testing.T) {
	t.Parallel()
	r, rows, err := readFile(t, "bom_crlf.csv")
	require.NoError(t, err)
	h := r.Header()
	assert.Equal(t, 1, h.Index[ColFirstName], "Name is firstName")
	assert.Equal(t, 4, h.Index[ColEmail], "E-mail is email")
	assert.Equal(t, 6, h.Index[ColAmount], "Amount is loadAmount")
	assert.Equal(t, 7, h.Index[ColReference], "Reference is uniqueReferenceNumber")
	assert.Contains(t, h.Notes, `columns not used by EnKash are kept as they are in every output: "Employee ID", "Department"`)
	assert.Equal(t, "Aarav Sharma", rows[0].Record.FirstName)
	assert.Equal(t, []string{"E001", "Aarav Sharma", "Mr", "M", "aarav@example.com", "9876543210", "500", "REF-001", "Sales"}, rows[0].Values)
	assert.Equal(t, "column H (Reference)", h.DescribeCol(ColReference))
}

func TestMultiLineFieldsKeepTheirLines(t *testing.T) {
	t.Parallel()
	_, rows, err := readFile(t, "multiline.csv")
	require.NoError(t, err)
	assert.Equal(t, "Best performer,\nQ3 and Q4", rows[0].Record.Remarks)
	assert.Equal(t, 4, rows[1].LineOf(3), "email of the second record is on line 4")
	assert.Equal(t, 4, rows[1].LineOf(7), "remarks start on line 4")
	assert.Equal(t, 7, rows[2].LineOf(3), "the record after a three-line field is on line 7")
}

func TestMalformedRowsAreRowsNotLosses(t *testing.T) {
	t.Parallel()
	r, rows, err := readFile(t, "broken_rows.csv")
	require.NoError(t, err)
	require.Len(t, rows, 4, "four data rows; the blank one is skipped")
	assert.Equal(t, 1, r.BlankRows())
	assert.Nil(t, rows[0].Problem)

	assert.Equal(t, 3, rows[1].Line)
	require.NotNil(t, rows[1].Problem)
	assert.Equal(t, "the row has 8 cells but the header has 7", rows[1].Problem.Problem)
	assert.Equal(t, "a value probably contains a comma without quotes: put that value in double quotes, or remove the extra cells", rows[1].Problem.Fix)
	assert.Equal(t, "Diya,Ms,F,d@example.com,9876500032,1,000,R2", rows[1].Problem.Text)
	assert.Equal(t, "Diya", rows[1].Record.FirstName, "what could be recovered is kept")

	require.NotNil(t, rows[2].Problem)
	assert.Equal(t, "a value has a double quote but is not itself in quotes", rows[2].Problem.Problem)
	assert.Equal(t, `Ka"bir`, rows[2].Record.FirstName)

	assert.Equal(t, 6, rows[3].Line)
	assert.Equal(t, "Meera", rows[3].Record.FirstName, "rows after a malformed one are read")
}

func TestFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, input string
		want              string
	}{
		{"utf-16", "utf16.csv", "", `utf16.csv: the file is UTF-16 (Excel's "Unicode Text"), not UTF-8. Fix: save it again as UTF-8`},
		{"windows-1252", "cp1252.csv", "", `cp1252.csv line 2: the file is not UTF-8 text (byte 0xE9, a letter such as é or ₹ in a Windows code page); it was probably saved as "CSV (Comma delimited)" in a Windows encoding. Fix: save it again as UTF-8`},
		{"unterminated quote", "unterminated.csv", "", `unterminated.csv line 3: a quoted value that starts on this line is not closed properly, so everything up to line 4 was read as one value. Fix: find the stray double quote on line 3`},
		{"empty", "", "", "in.csv: the file is empty"},
		{"doubled column", "", "amount,points\n1,2\n", "in.csv line 1, column B (points): column A (amount) and column B (points) both mean loadAmount. Fix: keep one of the two columns and delete the other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tt.file != "" {
				_, _, err = readFile(t, tt.file)
			} else {
				_, _, err = readAll(t, "in.csv", strings.NewReader(tt.input))
			}
			var fe *FileError
			require.ErrorAs(t, err, &fe)
			assert.True(t, errors.Is(err, ErrInput))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestReportColumnsOfAnEarlierRunAreDropped(t *testing.T) {
	t.Parallel()
	r, rows, err := readFile(t, "fed_back.csv")
	require.NoError(t, err)
	assert.Equal(t, []string{"firstName", "title", "gender", "email", "mobile", "loadAmount", "uniqueReferenceNumber"}, r.Header().OutNames())
	assert.Equal(t, []string{"Aarav", "Mr", "M", "a@example.com", "9876500061", "10", "R1"}, rows[0].Values)
	assert.Contains(t, r.Header().Notes, `columns from an earlier report are ignored: "status", "reason"`)
}

func TestDuplicateUnknownHeadersAreKeptApart(t *testing.T) {
	t.Parallel()
	_, rows, err := readAll(t, "in.csv", strings.NewReader("note,loadAmount,note,\nfirst,5,second,third\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"first", "5", "second", "third"}, rows[0].Values)
}

func TestColumnLetter(t *testing.T) {
	t.Parallel()
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		assert.Equal(t, want, ColumnLetter(i))
	}
}

func FuzzReader(f *testing.F) {
	for _, name := range []string{"bom_crlf.csv", "semicolon.csv", "multiline.csv", "broken_rows.csv", "cr_only.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader("fuzz.csv", strings.NewReader(string(b)))
		if err != nil {
			return
		}
		prev := 0
		for {
			row, err := r.Read()
			if err != nil {
				return
			}
			if row.Line <= prev {
				t.Fatalf("line numbers must grow: %d after %d", row.Line, prev)
			}
			prev = row.Line
			if len(row.Values) != len(r.Header().OutNames()) {
				t.Fatalf("row has %d values, header %d", len(row.Values), len(r.Header().OutNames()))
			}
		}
	})
}
