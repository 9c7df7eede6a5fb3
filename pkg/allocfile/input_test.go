package allocfile

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNonTextIsCalledWhatItIs(t *testing.T) {
	t.Parallel()
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	utf16le := []byte{}
	for _, c := range "firstName,loadAmount\r\nAarav,10\r\n" {
		utf16le = append(utf16le, byte(c), 0)
	}
	tests := []struct {
		name  string
		input []byte
		want  string
	}{
		{"random bytes", random, "the file is binary data, not text"},
		{"zip", append([]byte("PK\x03\x04\x14\x00\x06\x00"), random[:200]...), "the file is a ZIP archive, not a spreadsheet"},
		{"xlsx from the standard input", append([]byte("PK\x03\x04\x14\x00\x06\x00[Content_Types].xml"), random[:200]...), "a workbook is read from a file"},
		{"ods", append([]byte("PK\x03\x04\x14\x00\x00\x00mimetypeapplication/vnd.oasis.opendocument.spreadsheet"), random[:200]...),
			"an OpenDocument spreadsheet (.ods), which this tool does not read. Fix: open it and save it again as an Excel workbook (.xlsx) or as CSV UTF-8"},
		{"xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, random[:200]...), "an old Excel workbook (.xls), which this tool does not read. Fix: open it and save it again as an Excel workbook (.xlsx) or as CSV UTF-8"},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), "the file is a PDF document"},
		{"utf-16 without a BOM", utf16le, "the file is UTF-16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := readAll(t, "in.csv", bytes.NewReader(tt.input))
			var fe *FileError
			require.ErrorAs(t, err, &fe)
			assert.True(t, errors.Is(err, ErrInput))
			assert.Contains(t, err.Error(), tt.want)
			if !strings.Contains(tt.name, "utf-16") {
				assert.NotContains(t, err.Error(), "UTF-16", "only UTF-16 is called UTF-16")
			}
		})
	}
}

func TestARecordLongerThanTheCapStopsWithItsLine(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("firstName,loadAmount,remarks\nAarav,10,ok\nDiya,20,\"")
	chunk := strings.Repeat("x", 1000) + "\n"
	for b.Len() < 3*MaxRecordBytes {
		b.WriteString(chunk)
	}
	_, rows, err := readAll(t, "in.csv", strings.NewReader(b.String()))
	var fe *FileError
	require.ErrorAs(t, err, &fe)
	assert.Len(t, rows, 1)
	assert.Equal(t, 3, fe.Line)
	assert.Contains(t, err.Error(), "the record that starts after line 2 is longer than 1 MB")
	assert.Less(t, len(err.Error()), 300, "the record is never echoed")
}

func TestFieldsFollowTheTags(t *testing.T) {
	t.Parallel()
	var r Record
	typ := reflect.TypeFor[Record]()
	require.Equal(t, numFields, typ.NumField())
	for i := range numFields {
		*r.field(i) = typ.Field(i).Tag.Get("csv")
	}
	v := reflect.ValueOf(r)
	for i := range typ.NumField() {
		tag := typ.Field(i).Tag.Get("csv")
		assert.Equal(t, tag, v.Field(i).String(), "field(%d) is %s", i, typ.Field(i).Name)
		assert.Equal(t, tag, r.Field(tag))
	}
	r.SetField(ColMobile, "9876543210")
	assert.Equal(t, "9876543210", r.Mobile)
	assert.Empty(t, r.Field("department"))
}

func TestTheFormulaGuardIsTakenOffOnlyInAFileFedBack(t *testing.T) {
	t.Parallel()
	cells := []string{"=1+2", "'=1+2", "'plain", "\t=x", "-5", "''=x"}
	guarded := make([]string, len(cells))
	for i, c := range cells {
		guarded[i] = Guard(c)
	}
	quote := func(s []string) string {
		out := make([]string, len(s))
		for i, c := range s {
			out[i] = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
		}
		return strings.Join(out, ",")
	}
	header := "firstName,remarks,note,email,loadAmount,title"
	_, first, err := readAll(t, "in.csv", strings.NewReader(header+"\n"+quote(cells)+"\n"))
	require.NoError(t, err)
	assert.Equal(t, cells, first[0].Values, "a first run reads what the user wrote")
	_, back, err := readAll(t, "failed.csv", strings.NewReader(header+",status\n"+quote(append(guarded, "FAILED"))+"\n"))
	require.NoError(t, err)
	assert.Equal(t, cells, back[0].Values, "a report fed back reads what the user first wrote")
	assert.Equal(t, "=1+2", back[0].Record.FirstName)
	assert.Equal(t, "'=1+2", back[0].Record.Remarks)
}

func FuzzGuard(f *testing.F) {
	for _, s := range []string{"", "'", "''", "=A1", "'=A1", "\t-", "+91", "@x", "'abc", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := Unguard(Guard(s)); got != s {
			t.Fatalf("Unguard(Guard(%q)) = %q", s, got)
		}
		if g := Guard(s); g != "" && strings.ContainsRune("=+-@\t\r", rune(g[0])) {
			t.Fatalf("Guard(%q) = %q still starts like a formula", s, g)
		}
	})
}

func TestFieldOf(t *testing.T) {
	t.Parallel()
	for i, tag := range fieldTags {
		assert.Equal(t, i, fieldOf(tag), tag)
	}
	for _, col := range []string{"", "x", "operations", "Operation", "é", strings.Repeat("a", 40), "department"} {
		assert.Equal(t, -1, fieldOf(col), col)
	}
}

// BenchmarkField is the validator's use: every field read and set once.
func BenchmarkField(b *testing.B) {
	var r Record
	for range b.N {
		for _, tag := range fieldTags {
			r.SetField(tag, r.Field(tag))
		}
	}
}
