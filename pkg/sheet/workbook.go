package sheet

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// maxPartBytes bounds the small parts of a workbook that are read whole
// (the workbook, its relationships, the styles): a damaged or hostile
// file cannot make them take more memory than this.
const maxPartBytes = 32 << 20

// workbook is an opened .xlsx: its parts, its sheets and what telling a
// cell's value needs (the shared strings, which styles are dates).
type workbook struct {
	zr       *zip.ReadCloser
	parts    map[string]*zip.File // by lower-case name
	sheets   []sheetRef
	date1904 bool
	strings  string     // the shared strings part, "" when none
	dates    []bool     // per cell format (cellXfs index): the number is shown as a date or time
	shows    []int      // per cell format: the decimals a number is shown with, -1 for as many as it has
	tmpDir   string     // where the shared strings beyond the memory budget go
	sst      *sharedSST // read when the sheet is
}

// sheetRef is a sheet of the workbook and the part that holds it.
type sheetRef struct{ name, part string }

// openWorkbook opens the workbook at p and reads its structure.
func openWorkbook(p string) (*workbook, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, err
	}
	wb := &workbook{zr: zr, parts: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		wb.parts[strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "/"))] = f
	}
	if err := wb.readStructure(); err != nil {
		_ = zr.Close()
		return nil, err
	}
	return wb, nil
}

// close releases the archive and the shared strings.
func (wb *workbook) close() error {
	var err error
	if wb.sst != nil {
		err = wb.sst.close()
	}
	return errors.Join(err, wb.zr.Close())
}

type xRels struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

type xWorkbook struct {
	Pr struct {
		Date1904 string `xml:"date1904,attr"`
	} `xml:"workbookPr"`
	Sheets []struct {
		Name string `xml:"name,attr"`
		ID   string `xml:"id,attr"` // r:id, in whichever namespace
	} `xml:"sheets>sheet"`
}

// readStructure finds the workbook part, its sheets, the shared strings
// and the date formats.
func (wb *workbook) readStructure() error {
	book := "xl/workbook.xml"
	var root xRels
	if err := wb.decode("_rels/.rels", &root); err == nil {
		for _, r := range root.Rels {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				book = target("", r.Target)
			}
		}
	}
	var w xWorkbook
	if err := wb.decode(book, &w); err != nil {
		return err
	}
	wb.date1904 = w.Pr.Date1904 == "1" || strings.EqualFold(w.Pr.Date1904, "true")
	dir := path.Dir(book)
	relsPath := path.Join(dir, "_rels", path.Base(book)+".rels")
	var rels xRels
	if err := wb.decode(relsPath, &rels); err != nil {
		return err
	}
	byID := map[string]string{}
	styles := ""
	for _, r := range rels.Rels {
		t := target(dir, r.Target)
		byID[r.ID] = t
		switch {
		case strings.HasSuffix(r.Type, "/sharedStrings"):
			wb.strings = t
		case strings.HasSuffix(r.Type, "/styles"):
			styles = t
		}
	}
	for _, s := range w.Sheets {
		if p, ok := byID[s.ID]; ok {
			wb.sheets = append(wb.sheets, sheetRef{name: s.Name, part: p})
		}
	}
	if styles != "" {
		return wb.readStyles(styles)
	}
	return nil
}

// target resolves a relationship's target against the folder of the part
// that has it.
func target(dir, t string) string {
	if strings.HasPrefix(t, "/") {
		return strings.TrimPrefix(t, "/")
	}
	return path.Join(dir, t)
}

// open opens a part of the archive.
func (wb *workbook) open(name string) (io.ReadCloser, error) {
	f, ok := wb.parts[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("the workbook has no part %s", name)
	}
	return f.Open()
}

// decode reads a small part whole into v.
func (wb *workbook) decode(name string, v any) error {
	rc, err := wb.open(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := xml.NewDecoder(io.LimitReader(rc, maxPartBytes)).Decode(v); err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return nil
}

type xStyles struct {
	NumFmts []struct {
		ID   int    `xml:"numFmtId,attr"`
		Code string `xml:"formatCode,attr"`
	} `xml:"numFmts>numFmt"`
	Xfs []struct {
		NumFmt int `xml:"numFmtId,attr"`
	} `xml:"cellXfs>xf"`
}

// readStyles marks the cell formats that show a number as a date or time.
func (wb *workbook) readStyles(name string) error {
	var st xStyles
	if err := wb.decode(name, &st); err != nil {
		return err
	}
	custom := map[int]string{}
	for _, f := range st.NumFmts {
		custom[f.ID] = f.Code
	}
	wb.dates, wb.shows = make([]bool, len(st.Xfs)), make([]int, len(st.Xfs))
	for i, xf := range st.Xfs {
		if code, ok := custom[xf.NumFmt]; ok {
			wb.dates[i], wb.shows[i] = dateFormat(code), formatDecimals(code)
		} else {
			wb.dates[i], wb.shows[i] = builtinDate(xf.NumFmt), builtinDecimals(xf.NumFmt)
		}
	}
	return nil
}

// isDate reports whether cell format s shows a number as a date.
func (wb *workbook) isDate(s int) bool { return s >= 0 && s < len(wb.dates) && wb.dates[s] }

// builtinDate reports whether a built-in number format is a date or a
// time: 14-22 and 45-47 everywhere, 27-36 and 50-58 in East Asian
// locales, 71-81 in Thai.
func builtinDate(id int) bool {
	switch {
	case id >= 14 && id <= 22, id >= 27 && id <= 36, id >= 45 && id <= 47, id >= 50 && id <= 58, id >= 71 && id <= 81:
		return true
	}
	return false
}

// dateFormat reports whether a format code shows a date or a time: it has
// a y, m, d, h or s outside quoted text, escapes and brackets (a [h] of
// elapsed time counts).
func dateFormat(code string) bool {
	code, _, _ = strings.Cut(code, ";")
	for i := 0; i < len(code); i++ {
		switch c := code[i] | 0x20; {
		case code[i] == '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return false
			}
			i += j + 1
		case code[i] == '\\', code[i] == '_', code[i] == '*':
			i++
		case code[i] == '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				return false
			}
			if inner := strings.ToLower(code[i+1 : i+j]); strings.Trim(inner, "hms") == "" && inner != "" {
				return true
			}
			i += j
		case c == 'y' || c == 'm' || c == 'd' || c == 'h' || c == 's':
			return true
		}
	}
	return false
}

// builtinDecimals is the decimals a built-in number format shows: 0 for
// 0, #,##0 and the accounting formats without cents, 2 for those with;
// -1 for General, percentages, scientific, fractions, dates and text.
func builtinDecimals(id int) int {
	switch id {
	case 1, 3, 37, 38, 41, 42:
		return 0
	case 2, 4, 39, 40, 43, 44:
		return 2
	}
	return -1
}

// formatDecimals is the decimals a custom number format shows (its first
// section's digits after the decimal point), or -1 when it shows the
// number otherwise: General, a percentage, scientific, a fraction, a
// date, text.
func formatDecimals(code string) int {
	code, _, _ = strings.Cut(code, ";")
	if dateFormat(code) {
		return -1
	}
	digits, point, after := false, false, 0
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return -1
			}
			i += j + 1
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				return -1
			}
			i += j
		case '%', 'E', 'e', '/', '@':
			return -1
		case '.':
			point = true
		case '0', '#', '?':
			digits = true
			if point {
				after++
			}
		}
	}
	if !digits {
		return -1
	}
	return after
}

// rounds reports whether cell format s shows the stored number v with
// fewer decimals than it has, and how many it shows.
func (wb *workbook) rounds(s int, v string) (int, bool) {
	if s < 0 || s >= len(wb.shows) || wb.shows[s] < 0 || v == "" {
		return 0, false
	}
	shows := wb.shows[s]
	if strings.ContainsAny(v, "eE") { // 1.5E-3: as the digits it stands for
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, false
		}
		v = strconv.FormatFloat(f, 'f', -1, 64)
	}
	_, frac, _ := strings.Cut(v, ".")
	return shows, len(strings.TrimRight(frac, "0")) > shows
}

// sheet returns the named sheet, or the first when name is "".
func (wb *workbook) sheet(name string) (sheetRef, error) {
	if len(wb.sheets) == 0 {
		return sheetRef{}, errors.New("the workbook has no sheet")
	}
	if name == "" {
		return wb.sheets[0], nil
	}
	names := make([]string, len(wb.sheets))
	for i, s := range wb.sheets {
		if s.name == name {
			return s, nil
		}
		names[i] = strconv.Quote(s.name)
	}
	return sheetRef{}, fmt.Errorf("the workbook has no sheet %q; its sheets: %s (give one with --sheet)", name, strings.Join(names, ", "))
}
