// Package sheet reads an Excel workbook (.xlsx) as the allocation reader
// reads a CSV file: it streams the rows of one sheet (excelize's
// File.Rows, so that memory does not grow with the sheet) and writes them
// as CSV, one line per sheet row, so that every line number is the sheet's
// row number. Cells are read as stored: a mobile stored as a number comes
// out with every digit; a number formatted as a date comes out as the date
// (2026-11-01), which the validator explains in an amount column.
package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Format is what a file is, by its content.
type Format int

// The formats Detect tells apart.
const (
	CSV  Format = iota // anything else: read as text
	XLSX               // an Excel workbook (a ZIP with xl/)
	XLS                // an Excel 97-2003 workbook (OLE2)
	ODS                // an OpenDocument spreadsheet (a ZIP whose mimetype says so)
	ZIP                // another ZIP archive
)

// Detect tells a workbook from a text file by the first bytes (at least
// the first 4 KB), never by the file's name.
func Detect(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return XLS
	case !bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return CSV
	case bytes.Contains(head, []byte("application/vnd.oasis.opendocument.spreadsheet")):
		return ODS
	case bytes.Contains(head, []byte("xl/")) || bytes.Contains(head, []byte("[Content_Types].xml")):
		return XLSX
	}
	return ZIP
}

// maxHeaderRows is how many rows decide the width every row is padded
// to: the header is among them (title rows above it are narrower).
const maxHeaderRows = 11

// Open starts streaming the sheet called name (the first sheet when name
// is "") of the workbook at path as CSV. It returns the sheet's name; the
// stream's Close releases the workbook.
func Open(path, name string) (io.ReadCloser, string, error) {
	f, err := excelize.OpenFile(path, excelize.Options{UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, "", fmt.Errorf("the workbook cannot be opened (it may be damaged, or still being written): %w", err)
	}
	sheets := f.GetSheetList()
	switch {
	case len(sheets) == 0:
		f.Close()
		return nil, "", errors.New("the workbook has no sheet")
	case name == "":
		name = sheets[0]
	case !slices.Contains(sheets, name):
		f.Close()
		return nil, "", fmt.Errorf("the workbook has no sheet %q; its sheets: %s (give one with --sheet)", name, quoteAll(sheets))
	}
	raw, err := f.Rows(name)
	if err != nil {
		f.Close()
		return nil, "", fmt.Errorf("reading sheet %q: %w", name, err)
	}
	shown, err := f.Rows(name)
	if err != nil {
		raw.Close()
		f.Close()
		return nil, "", fmt.Errorf("reading sheet %q: %w", name, err)
	}
	pr, pw := io.Pipe()
	s := &stream{f: f, raw: raw, shown: shown, pr: pr, date1904: date1904(f), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		pw.CloseWithError(s.write(pw))
	}()
	return s, name, nil
}

func date1904(f *excelize.File) bool {
	p, err := f.GetWorkbookProps()
	return err == nil && p.Date1904 != nil && *p.Date1904
}

// stream is the CSV of one sheet, written by a goroutine into a pipe.
type stream struct {
	f          *excelize.File
	raw, shown *excelize.Rows
	pr         *io.PipeReader
	date1904   bool
	done       chan struct{} // closed when the writer has returned
}

// Read reads the CSV.
func (s *stream) Read(p []byte) (int, error) { return s.pr.Read(p) }

// Close stops the writer, waits for it, and releases the workbook.
func (s *stream) Close() error {
	_ = s.pr.Close()
	<-s.done
	return s.f.Close()
}

// write writes the sheet's rows as CSV, padded to the header's width.
func (s *stream) write(w io.Writer) error {
	defer s.raw.Close()
	defer s.shown.Close()
	cw := csv.NewWriter(w)
	var head [][]string
	width := -1
	for s.raw.Next() && s.shown.Next() {
		row, err := s.row()
		if err != nil {
			return err
		}
		if width < 0 {
			head = append(head, row)
			if len(head) < maxHeaderRows {
				continue
			}
			width = flushHead(cw, head)
			continue
		}
		if err := cw.Write(pad(row, width)); err != nil {
			return err
		}
	}
	if width < 0 {
		flushHead(cw, head)
	}
	cw.Flush()
	return errors.Join(cw.Error(), s.raw.Error(), s.shown.Error())
}

// flushHead writes the first rows padded to the widest, and returns it.
func flushHead(cw *csv.Writer, head [][]string) int {
	width := 0
	for _, r := range head {
		width = max(width, len(r))
	}
	for _, r := range head {
		_ = cw.Write(pad(r, width)) // an error stays in cw, reported by Flush
	}
	return width
}

// pad extends a row with empty cells to width; an empty row stays empty,
// so that it is a blank line.
func pad(row []string, width int) []string {
	if len(row) == 0 || len(row) >= width {
		return row
	}
	return append(row, make([]string, width-len(row))...)
}

// row reads the current row: each cell as stored, except a number shown
// as a date or a time, which is written as the date it shows.
func (s *stream) row() ([]string, error) {
	raw, err := s.raw.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, err
	}
	shown, err := s.shown.Columns()
	if err != nil {
		return nil, err
	}
	for i, v := range raw {
		if i < len(shown) && shown[i] != v {
			raw[i] = s.cell(v, shown[i])
		}
	}
	return raw, nil
}

// cell is a cell whose shown text differs from its stored value: a number
// with a format. Only a date keeps a form of what is shown.
func (s *stream) cell(stored, shown string) string {
	n, err := strconv.ParseFloat(stored, 64)
	if err != nil || !dateLike(shown) {
		return stored
	}
	t, err := excelize.ExcelDateToTime(n, s.date1904)
	if err != nil {
		return stored
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04:05")
}

// dateLike reports whether a shown value looks like a date or a time
// rather than a number: it has /, :, a month name, or digits joined by -.
func dateLike(s string) bool {
	if strings.ContainsAny(s, "/:") {
		return true
	}
	lower := strings.ToLower(s)
	for _, m := range []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if strings.Contains(lower, m) {
			return true
		}
	}
	i := strings.IndexByte(s, '-')
	return i > 0 && i < len(s)-1 && s[i-1] >= '0' && s[i-1] <= '9' && s[i+1] >= '0' && s[i+1] <= '9'
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
