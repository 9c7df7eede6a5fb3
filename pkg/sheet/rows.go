package sheet

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// maxRows is the most rows a sheet has (Excel's limit).
const maxRows = 1 << 20

// maxColumns is the most columns a sheet has (XFD).
const maxColumns = 16384

// Cell is what the sheet says of a cell beyond the value the reader
// gives: that a formula computes it (the value is then the one Excel
// saved), or that its number format shows it rounded.
type Cell struct {
	Row, Col int // the sheet's row (from 1) and the 0-based column
	// HasFormula: a formula computes the cell; Formula is it without its
	// = ("" for a copy of a shared one); Cached: the workbook holds its
	// value.
	HasFormula, Cached bool
	Formula            string
	// Rounded: the cell's number format shows Shows decimals, fewer than
	// the number has, so the sheet shows it rounded.
	Rounded bool
	Shows   int
	// LineBreak: the cell's text held a line break (Alt+Enter), read as a
	// space so that every sheet row stays one CSV line.
	LineBreak bool
}

// rowReader streams the rows of one sheet's XML, each cell as stored.
type rowReader struct {
	wb    *workbook
	sc    *scanner
	row   int      // the last row read
	vals  []string // its cells, by column
	notes []Cell

	// the cell being read
	col              int
	typ              string
	style            int
	val, formula     []byte
	inV, inF, inText bool
	hasF, hasV       bool
	phonetic         int
}

func newRowReader(wb *workbook, r io.Reader) *rowReader {
	return &rowReader{wb: wb, sc: newScanner(r)}
}

// next reads the next <row>: its number and cells. It returns io.EOF
// after the last one.
func (r *rowReader) next() (int, []string, []Cell, error) {
	r.vals, r.notes = r.vals[:0], r.notes[:0]
	inRow := false
	for {
		kind, err := r.sc.next()
		if errors.Is(err, io.EOF) {
			return 0, nil, nil, io.EOF
		}
		if err != nil {
			return 0, nil, nil, err
		}
		switch kind {
		case tokStart:
			if err := r.start(&inRow); err != nil {
				return 0, nil, nil, err
			}
		case tokEnd:
			done, err := r.end(inRow)
			if done || err != nil {
				return r.row, r.vals, r.notes, err
			}
		case tokText:
			switch t := r.sc.text; {
			case r.inV:
				r.val = append(r.val, t...)
			case r.inF:
				r.formula = append(r.formula, t...)
			case r.inText && r.phonetic == 0:
				r.val = append(r.val, t...)
			}
		}
	}
}

// end handles a closing tag; done at the end of a row, io.EOF at the end
// of the sheet's data.
func (r *rowReader) end(inRow bool) (done bool, err error) {
	switch string(r.sc.name) {
	case "row":
		return inRow, nil
	case "c":
		return false, r.endCell()
	case "v":
		r.inV = false
	case "f":
		r.inF = false
	case "t":
		r.inText = false
	case "rPh":
		r.phonetic--
	case "sheetData":
		return true, io.EOF
	}
	return false, nil
}

// start handles an opening tag.
func (r *rowReader) start(inRow *bool) error {
	switch string(r.sc.name) {
	case "row":
		n := r.row + 1
		if v := r.sc.attr("r"); v != "" {
			k, err := strconv.Atoi(v)
			if err != nil || k <= r.row || k > maxRows {
				return fmt.Errorf("the sheet has a row numbered %q after row %d", v, r.row)
			}
			n = k
		}
		r.row, *inRow, r.col = n, true, -1
	case "c":
		r.startCell()
	case "v":
		r.inV, r.hasV = true, true
	case "f":
		r.inF, r.hasF = true, true
	case "t":
		r.inText = true
	case "rPh":
		r.phonetic++
	}
	return nil
}

// startCell reads a <c>'s attributes.
func (r *rowReader) startCell() {
	col := r.col + 1
	if ref := r.sc.attr("r"); ref != "" {
		if c, _, err := excelize.CellNameToCoordinates(ref); err == nil {
			col = c - 1
		}
	}
	r.col, r.typ, r.style = col, r.sc.attr("t"), 0
	if s := r.sc.attr("s"); s != "" {
		r.style, _ = strconv.Atoi(s)
	}
	r.val, r.formula = r.val[:0], r.formula[:0]
	r.hasF, r.hasV = false, false
}

// endCell stores the cell just read.
func (r *rowReader) endCell() error {
	if r.col < 0 || r.col >= maxColumns {
		return fmt.Errorf("row %d has a cell beyond column XFD", r.row)
	}
	v, err := r.value()
	if err != nil {
		return fmt.Errorf("row %d: %w", r.row, err)
	}
	note := Cell{Row: r.row, Col: r.col, HasFormula: r.hasF, Cached: r.hasF && r.hasV}
	if r.hasF {
		note.Formula = string(r.formula)
	}
	if r.typ == "" || r.typ == "n" {
		note.Shows, note.Rounded = r.wb.rounds(r.style, v)
	}
	if note.HasFormula || note.Rounded {
		r.notes = append(r.notes, note)
	}
	if v == "" {
		return nil
	}
	for len(r.vals) < r.col {
		r.vals = append(r.vals, "")
	}
	if r.col < len(r.vals) {
		r.vals[r.col] = v // a cell given twice: the last wins, as in Excel
		return nil
	}
	r.vals = append(r.vals, v)
	return nil
}

// value is the cell's text: a shared string, inline text, or the value
// as stored; a number formatted as a date is written as that date.
func (r *rowReader) value() (string, error) {
	switch r.typ {
	case "s":
		if len(r.val) == 0 {
			return "", nil
		}
		i, err := strconv.Atoi(strings.TrimSpace(string(r.val)))
		if err != nil {
			return "", fmt.Errorf("a shared-string cell holds %q", r.val)
		}
		return r.wb.sst.get(i)
	case "inlineStr", "str", "e":
		return string(unescapeX(r.val)), nil
	case "b":
		if string(r.val) == "1" {
			return "TRUE", nil
		}
		return "FALSE", nil
	case "d": // an ISO 8601 date, written as a date formatted number is
		v := strings.TrimSuffix(strings.TrimSpace(string(r.val)), "Z")
		v = strings.TrimSuffix(strings.TrimSuffix(v, ".000"), "T00:00:00")
		return strings.Replace(v, "T", " ", 1), nil
	}
	v := strings.TrimSpace(string(r.val))
	if v == "" || !r.wb.isDate(r.style) {
		return v, nil
	}
	return r.wb.asDate(v), nil
}

// asDate writes a stored number as the date (and time) it shows.
func (wb *workbook) asDate(v string) string {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return v
	}
	t, err := excelize.ExcelDateToTime(n, wb.date1904)
	if err != nil {
		return v
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04:05")
}
