package sheet

import (
	"io"
	"path/filepath"
	"testing"

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

	rc, name, err := Open(path, "")
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, "Sheet1", name)
	assert.Equal(t, "a,b,c\nx,,\n\n12345678901234,0012,1.5\n", string(b))

	rc, _, err = Open(path, "")
	require.NoError(t, err)
	require.NoError(t, rc.Close(), "closing before reading stops the writer")
}
