package sheet

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// tokens lists what the scanner reads, one token a line.
func tokens(t *testing.T, xml string) (string, error) {
	t.Helper()
	sc := newScanner(strings.NewReader(xml))
	var b strings.Builder
	for {
		kind, err := sc.next()
		if errors.Is(err, io.EOF) {
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
		switch kind {
		case tokStart:
			fmt.Fprintf(&b, "<%s r=%q t=%q>\n", sc.name, sc.attr("r"), sc.attr("t"))
		case tokEnd:
			fmt.Fprintf(&b, "</%s>\n", sc.name)
		case tokText:
			fmt.Fprintf(&b, "%q\n", sc.text)
		}
	}
}

func TestScannerReadsWhatSheetsHave(t *testing.T) {
	t.Parallel()
	got, err := tokens(t, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<!-- a comment with <tags> --><x:row r='2' spans="1:2"><x:c r="A2" t="inlineStr" note="a>b"><is><t>A &amp; B &lt;&#233;&#x20B9;&gt; &quot;&apos;</t></is></x:c>`+
		`<c r="B2" s="1"/><c><v><![CDATA[<raw> & text]]></v></c></x:row>`)
	require.NoError(t, err)
	assert.Equal(t, `"\n"
<row r="2" t="">
<c r="A2" t="inlineStr">
<is r="" t="">
<t r="" t="">
"A & B <é₹> \"'"
</t>
</is>
</c>
<c r="B2" t="">
</c>
<c r="" t="">
<v r="" t="">
"<raw> & text"
</v>
</c>
</row>
`, got)

	for _, bad := range []string{`<row r="1"`, `<t>&nbsp;</t>`, `<t>&#xD800;</t>`, `<t>a & b</t>`, `<!-- open`, `<![CDATA[ open`} {
		_, err := tokens(t, bad)
		assert.Error(t, err, bad)
	}
}

// TestSheetsReadAsExcelizeReadsThem compares the reader with excelize's
// own (the stored values) on a sheet of random cells: text with entities,
// spaces and line breaks, numbers, empty cells, sparse rows.
func TestSheetsReadAsExcelizeReadsThem(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 12))
	pieces := []string{"a", "É", "₹", "<", ">", "&", `"`, "'", " ", "\n", "0", "9", "=", "x:y", "_x", "]]>"}
	f := excelize.NewFile()
	for row := 1; row <= 300; row++ {
		if rng.IntN(10) == 0 {
			continue // a row missing from the sheet
		}
		for col := 1; col <= 8; col++ {
			cell, err := excelize.CoordinatesToCellName(col, row)
			require.NoError(t, err)
			switch rng.IntN(4) {
			case 0: // empty
			case 1:
				require.NoError(t, f.SetCellValue("Sheet1", cell, rng.Float64()*1e6))
			default:
				var s strings.Builder
				for range 1 + rng.IntN(12) {
					s.WriteString(pieces[rng.IntN(len(pieces))])
				}
				require.NoError(t, f.SetCellValue("Sheet1", cell, s.String()))
			}
		}
	}
	path := filepath.Join(t.TempDir(), "random.xlsx")
	require.NoError(t, f.SaveAs(path))
	require.NoError(t, f.Close())

	ref, err := excelize.OpenFile(path)
	require.NoError(t, err)
	defer ref.Close()
	want, err := ref.GetRows("Sheet1", excelize.Options{RawCellValue: true})
	require.NoError(t, err)

	wb, err := openWorkbook(path)
	require.NoError(t, err)
	defer wb.close()
	wb.sst, err = wb.readSST()
	require.NoError(t, err)
	part, err := wb.open(wb.sheets[0].part)
	require.NoError(t, err)
	defer part.Close()
	rr := newRowReader(wb, part)
	got := make([][]string, len(want))
	for {
		n, row, _, err := rr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.LessOrEqual(t, n, len(want))
		got[n-1] = append([]string(nil), row...)
	}
	for i := range want {
		if len(want[i]) == 0 {
			want[i] = nil
		}
		assert.Equal(t, want[i], got[i], "row %d", i+1)
	}
}

func FuzzScanner(f *testing.F) {
	f.Add(`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`)
	f.Add(`<?xml?><!-- c --><a b='>'><![CDATA[x]]>&amp;&#65;</a>`)
	f.Fuzz(func(t *testing.T, xml string) {
		sc := newScanner(strings.NewReader(xml))
		for range len(xml) + 2 {
			if _, err := sc.next(); err != nil {
				return
			}
			_ = sc.attr("r")
		}
		t.Fatalf("more tokens than bytes in %q", xml)
	})
}
