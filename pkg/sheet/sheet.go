// Package sheet reads an Excel workbook (.xlsx) as the allocation reader
// reads a CSV file: it streams the rows of one sheet and writes them as
// CSV, one line per sheet row, so that every line number is the sheet's
// row number. Cells are read as stored: a mobile stored as a number comes
// out with every digit; a number formatted as a date comes out as the date
// (2026-11-01), which the validator explains in an amount column; the
// formula cells, and the numbers their format shows rounded, are told
// apart ([Stream.Cells]).
//
// The sheet's XML is read once, token by token, straight from the
// archive, and the shared strings beyond [MemoryStrings] bytes wait in a
// temporary file: memory does not grow with the sheet. (excelize's row
// iterator decodes every row twice to tell a date, cannot tell a formula,
// and keeps the shared strings in memory.)
package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
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

// Stream is one sheet of a workbook as CSV: one line per sheet row, so
// that every line number is the sheet's row number. A goroutine reads the
// sheet's XML as it is read; Close stops it.
type Stream struct {
	wb   *workbook
	pr   *io.PipeReader
	done chan struct{} // closed when the writer has returned

	mu    sync.Mutex
	notes []Cell // those of the rows not yet asked for, in row order, from asked
	asked int
}

// Open starts streaming the sheet called name (the first sheet when name
// is "") of the workbook at path as CSV; the shared strings beyond
// [MemoryStrings] go to a temporary file in tmpDir ("" for the system's).
// It returns the sheet's name; the stream's Close releases the workbook. Cells are read as stored (a number
// as its digits, text as it is), except a number formatted as a date or a
// time, which is written as the date it shows (2026-11-01). The values of
// formulas are the ones Excel saved; [Stream.Cells] tells them.
func Open(path, name, tmpDir string) (*Stream, string, error) {
	wb, err := openWorkbook(path)
	if err != nil {
		return nil, "", fmt.Errorf("the workbook cannot be opened (it may be damaged, or still being written): %w", err)
	}
	wb.tmpDir = tmpDir
	ref, err := wb.sheet(name)
	if err == nil {
		wb.sst, err = wb.readSST()
	}
	var part io.ReadCloser
	if err == nil {
		part, err = wb.open(ref.part)
	}
	if err != nil {
		_ = wb.close()
		return nil, "", err
	}
	pr, pw := io.Pipe()
	s := &Stream{wb: wb, pr: pr, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer part.Close()
		err := s.write(pw, newRowReader(wb, part))
		if err != nil && !errors.Is(err, io.ErrClosedPipe) {
			err = fmt.Errorf("reading sheet %q: %w", ref.name, err)
		}
		pw.CloseWithError(err)
	}()
	return s, ref.name, nil
}

// Read reads the CSV.
func (s *Stream) Read(p []byte) (int, error) { return s.pr.Read(p) }

// Close stops the writer, waits for it, and releases the workbook.
func (s *Stream) Close() error {
	_ = s.pr.Close()
	<-s.done
	return s.wb.close()
}

// Cells returns what the sheet says of the cells of row row beyond their
// values (see [Cell]; for the CSV lines read so far), and forgets it of
// the rows before: ask for the rows in order.
func (s *Stream) Cells(row int) []Cell {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.asked
	for i < len(s.notes) && s.notes[i].Row < row {
		i++
	}
	j := i
	for j < len(s.notes) && s.notes[j].Row == row {
		j++
	}
	out := slices.Clone(s.notes[i:j])
	s.asked = j
	if j > 1024 && j*2 > len(s.notes) { // drop what was asked for, now and then
		s.notes = s.notes[:copy(s.notes, s.notes[j:])]
		s.asked = 0
	}
	return out
}

// note queues the notes of a row's cells before the row is written.
func (s *Stream) note(fs []Cell) {
	if len(fs) == 0 {
		return
	}
	s.mu.Lock()
	s.notes = append(s.notes, fs...)
	s.mu.Unlock()
}

// write writes the sheet's rows as CSV, padded to the header's width; a
// row missing from the sheet, or without a value, is an empty line.
func (s *Stream) write(w io.Writer, rr *rowReader) error {
	cw := csv.NewWriter(w)
	var head []headRow
	width, line, blank := -1, 0, 0 // blank: rows without a value above the next head row
	for {
		n, row, fs, err := rr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		s.note(flattenBreaks(n, row, fs))
		gap := n - 1 - line
		line = n
		if width < 0 && len(row) == 0 {
			blank += gap + 1
			continue
		}
		if width < 0 {
			head = append(head, headRow{gap: blank + gap, cells: slices.Clone(row)})
			blank = 0
			if len(head) >= maxHeaderRows {
				width = flushHead(cw, head)
			}
			continue
		}
		for range gap {
			_ = cw.Write(nil) // an error stays in cw, reported by Flush
		}
		if err := cw.Write(pad(row, width)); err != nil {
			return err
		}
	}
	if width < 0 {
		flushHead(cw, head)
	}
	cw.Flush()
	return cw.Error()
}

// headRow is one of the first rows, and how many rows the sheet leaves
// out before it.
type headRow struct {
	gap   int
	cells []string
}

// flushHead writes the first rows padded to the widest, and returns it.
func flushHead(cw *csv.Writer, head []headRow) int {
	width := 0
	for _, r := range head {
		width = max(width, len(r.cells))
	}
	for _, r := range head {
		for range r.gap {
			_ = cw.Write(nil) // an error stays in cw, reported by Flush
		}
		_ = cw.Write(pad(r.cells, width))
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

// flattenBreaks turns the line breaks inside the cells of sheet row n
// into spaces, so that the row stays one CSV line and every later line
// number stays its sheet row, and notes each cell it changed.
func flattenBreaks(n int, row []string, fs []Cell) []Cell {
	for i, v := range row {
		if !strings.ContainsAny(v, "\r\n") {
			continue
		}
		row[i] = breaks.Replace(v)
		fs = append(fs, Cell{Row: n, Col: i, LineBreak: true})
	}
	return fs
}

var breaks = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ")
