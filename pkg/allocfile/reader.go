package allocfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gocarina/gocsv"

	"github.com/rewardbatch/rewardbatch/pkg/sheet"
)

// SaveAsUTF8 is the fix for a file that is not UTF-8.
const SaveAsUTF8 = `save it again as UTF-8: in Excel use File > Save As > "CSV UTF-8 (Comma delimited) (*.csv)"; ` +
	`in LibreOffice tick "Edit filter settings" and choose "Unicode (UTF-8)"; in Google Sheets use File > Download > CSV`

// Reader streams the rows of one allocation file. Create it with
// [NewReader]; call Read until it returns io.EOF.
type Reader struct {
	file     string
	header   *Header
	comma    rune
	csv      *csv.Reader
	um       *gocsv.Unmarshaller
	rec      *recorder
	internal []string // per column: the canonical tag, or a unique name for a kept column
	unknown  bool     // some columns are not Record fields
	out      []outColumn
	fedBack  bool // the file is a report of this tool: take the formula guard off
	lastOff  int64
	lastLine int // the line of the last record read
	rows     int
	blank    int
	sheet    string // the workbook sheet, "" for a CSV file
}

// lineWord is what a position counts: lines of a CSV file, rows of a
// sheet.
func (r *Reader) lineWord() string {
	if r.sheet != "" {
		return "row"
	}
	return "line"
}

// outColumn is where a column of Row.Values comes from: a field of Record
// (field >= 0), or the cell gocsv left unmatched under name.
type outColumn struct {
	field int
	name  string
}

// Row is one data record of the file.
type Row struct {
	// Line is the file line where the record starts.
	Line int
	// Number counts data rows from 1; blank rows are not counted.
	Number int
	// Record holds the values of the known columns, as written.
	Record Record
	// Values are the record's cells for the columns that outputs carry (all
	// but the report columns of an earlier run), in file order.
	Values []string
	// Problem is set when encoding/csv could not read the record cleanly;
	// Record and Values then hold what could be recovered.
	Problem *RowProblem
	// Cells are what a workbook's sheet says of the row's cells beyond
	// their values: a formula, a rounding format (see sheet.Cell); set
	// by the caller that reads the workbook.
	Cells []sheet.Cell

	fieldLines []int // per column, only when the record spans several lines
}

// RowProblem is a record that is malformed as CSV.
type RowProblem struct {
	Problem string
	Fix     string
	Text    string // the record as it stands in the file
}

// LineOf returns the file line of column col of the row (the record's line
// unless a multi-line field came before it).
func (r *Row) LineOf(col int) int {
	if col >= 0 && col < len(r.fieldLines) {
		return r.fieldLines[col]
	}
	return r.Line
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Options are how a file is read.
type Options struct {
	// Map maps header names, as the file has them, to canonical columns
	// (--map, --mapping; see [ParseMap]); they are matched as the aliases
	// are, and before them.
	Map map[string]string
	// Sheet is the name of the workbook sheet src is the CSV of (see
	// package sheet); "" for a CSV file. Positions are then rows of
	// that sheet.
	Sheet string
}

// NewReader reads the header of the file named file from src and returns a
// reader positioned on the first data row. Problems that stop the file
// from being read are a [*FileError].
func NewReader(file string, src io.Reader) (*Reader, error) {
	return NewReaderWith(file, src, Options{})
}

// NewReaderWith is [NewReader] with options. The header is looked for in
// the first rows: title rows above it are skipped, with a note.
func NewReaderWith(file string, src io.Reader, o Options) (*Reader, error) {
	mapping := foldMap(o.Map)
	br := bufio.NewReaderSize(src, peekSize)
	head, err := br.Peek(peekSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	if err := sniff(file, head); err != nil {
		return nil, err
	}
	if bytes.HasPrefix(head, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
		head = head[len(utf8BOM):]
	}
	r := &Reader{file: file, comma: detectComma(head), sheet: o.Sheet}
	skip, titles, comma := findHeader(head, mapping)
	if skip > 0 {
		// The title rows become empty lines, which encoding/csv passes
		// over while counting them: every line number stays the file's.
		_, _ = br.Discard(skip)
		pad := strings.Repeat("\n", titles)
		br = bufio.NewReaderSize(io.MultiReader(strings.NewReader(pad), br), peekSize)
		r.comma = comma
	}
	r.rec = &recorder{src: lineEnds{br}, limit: MaxRecordBytes}
	r.csv = csv.NewReader(r.rec)
	r.csv.Comma = r.comma
	r.csv.FieldsPerRecord = 0 // every record must have as many cells as the header
	r.csv.ReuseRecord = true  // gocsv copies what it keeps
	um, err := gocsv.NewUnmarshaller(r.csv, Record{})
	if errors.Is(err, io.EOF) {
		return nil, &FileError{File: file, Problem: "the file is empty", Fix: "export the spreadsheet again, with its header line"}
	}
	r.lastOff = r.csv.InputOffset()
	if !utf8.Valid(r.rec.span(0, r.lastOff)) {
		return nil, r.encodingError(1, r.rec.span(0, r.lastOff))
	}
	if err != nil {
		return nil, r.parseError(err)
	}
	r.um = um
	if r.header, err = resolveHeader(file, um.Headers, mapping); err != nil {
		return nil, err
	}
	r.header.Line = titles + 1
	if titles > 0 {
		r.header.Notes = append([]string{fmt.Sprintf("the header is on %s %d: %s above it skipped (a title)", r.lineWord(), titles+1,
			plural(titles, r.lineWord(), r.lineWord()+"s"))}, r.header.Notes...)
	}
	if err := r.mapColumns(); err != nil {
		return nil, err
	}
	return r, nil
}

// mapColumns gives gocsv the canonical names of the known columns (the
// header aliases are resolved before it, so that its tags map them to
// Record's fields) and a unique name to every other column, and plans
// where each value of Row.Values comes from.
func (r *Reader) mapColumns() error {
	r.internal = make([]string, len(r.um.Headers))
	for i, col := range r.header.Canonical {
		r.internal[i] = col
		if col == "" {
			r.internal[i] = "\x00column " + strconv.Itoa(i)
			r.unknown = true
		}
	}
	if err := r.um.RenormalizeHeaders(func([]string) []string { return r.internal }); err != nil {
		return fmt.Errorf("%s: %w", r.file, err)
	}
	for i, col := range r.header.Canonical {
		switch {
		case r.header.Dropped[i]:
			r.fedBack = r.fedBack || reportColumns[fold(r.header.Names[i])]
		case col != "":
			r.out = append(r.out, outColumn{field: fieldOf(col)})
		default:
			r.out = append(r.out, outColumn{field: -1, name: r.internal[i]})
		}
	}
	return nil
}

// Header returns the resolved header.
func (r *Reader) Header() *Header { return r.header }

// Comma returns the detected delimiter.
func (r *Reader) Comma() rune { return r.comma }

// BlankRows returns how many rows without any value were skipped so far.
func (r *Reader) BlankRows() int { return r.blank }

// Read returns the next data row, or io.EOF after the last one. A record
// that is malformed as CSV is returned as a row with Problem set; an error
// means the rest of the file cannot be trusted and reading must stop.
func (r *Reader) Read() (*Row, error) {
	for {
		rec, unmatched, raw, err := r.next()
		if err != nil {
			var pe *csv.ParseError
			if errors.Is(err, io.EOF) || !errors.As(err, &pe) {
				return nil, err
			}
			r.rows++
			return r.recover(pe, raw), nil
		}
		if blank(raw, r.comma) {
			r.blank++
			continue
		}
		r.rows++
		return r.row(rec, unmatched), nil
	}
}

// next decodes one record with gocsv. It returns the record's bytes too.
// A *csv.ParseError is a malformed record the caller recovers; any other
// error ends the file.
func (r *Reader) next() (rec Record, unmatched map[string]string, raw []byte, err error) {
	r.rec.forget(r.lastOff)
	start := r.lastOff
	var v any
	if r.unknown {
		v, unmatched, err = r.um.ReadUnmatched()
	} else {
		v, err = r.um.Read()
	}
	end := r.csv.InputOffset()
	r.lastOff = end
	switch {
	case errors.Is(err, io.EOF):
		return rec, nil, nil, io.EOF
	case errors.Is(err, errRecordTooLong):
		return rec, nil, nil, &FileError{File: r.file, Line: r.lastLine + 1,
			Problem: fmt.Sprintf("the record that starts after line %d is longer than %d MB (a quoted value that is never closed?)", r.lastLine, MaxRecordBytes>>20),
			Fix:     "check the quotes from that line on; a value must be shorter than 1 MB"}
	}
	raw = r.rec.span(start, end)
	if err != nil {
		return rec, nil, raw, r.recordError(err, raw)
	}
	r.lastLine, _ = r.csv.FieldPos(len(r.internal) - 1)
	if !utf8.Valid(raw) {
		line, _ := r.csv.FieldPos(0)
		return rec, nil, nil, r.encodingError(line, raw)
	}
	return v.(Record), unmatched, raw, nil
}

// recordError sorts an error of gocsv: a *csv.ParseError that the caller
// recovers as a row, or an error that ends the file. It is apart from next
// so that the hot path allocates nothing for it.
func (r *Reader) recordError(err error, raw []byte) error {
	var pe *csv.ParseError
	switch {
	case !errors.As(err, &pe):
		return r.parseError(err)
	case !utf8.Valid(raw):
		return r.encodingError(pe.StartLine, raw)
	case errors.Is(err, csv.ErrQuote) && pe.Line > pe.StartLine:
		return r.parseError(err)
	}
	r.lastLine = pe.Line
	return err
}

// row builds the Row of a record that encoding/csv read cleanly.
func (r *Reader) row(rec Record, unmatched map[string]string) *Row {
	row := &Row{Number: r.rows, Record: rec}
	row.Line, _ = r.csv.FieldPos(0)
	if r.lastLine != row.Line {
		row.fieldLines = make([]int, len(r.internal))
		for i := range row.fieldLines {
			row.fieldLines[i], _ = r.csv.FieldPos(i)
		}
	}
	out := &row.Record
	unguard := r.unguard()
	for i := range numFields {
		*out.field(i) = unguard(*out.field(i))
	}
	row.Values = make([]string, len(r.out))
	for i, c := range r.out {
		if c.field >= 0 {
			row.Values[i] = *out.field(c.field)
		} else {
			row.Values[i] = unguard(unmatched[c.name])
		}
	}
	return row
}

// unguard is how cells lose the guard: all of it in a report fed back,
// only the apostrophe that keeps digits from Excel in any other file.
func (r *Reader) unguard() func(string) string {
	if r.fedBack {
		return Unguard
	}
	return UnguardDigits
}

// recover re-reads a malformed record leniently, so that its cells still
// reach the outputs beside the reason it is invalid.
func (r *Reader) recover(pe *csv.ParseError, raw []byte) *Row {
	row := &Row{Line: pe.StartLine, Number: r.rows}
	lenient := csv.NewReader(bytes.NewReader(raw))
	lenient.Comma, lenient.LazyQuotes, lenient.FieldsPerRecord = r.comma, true, -1
	cells, _ := lenient.Read()
	for i, col := range r.header.Canonical {
		cell := ""
		if i < len(cells) {
			cell = cells[i]
		}
		if r.header.Dropped[i] {
			continue
		}
		cell = r.unguard()(cell)
		row.Record.SetField(col, cell)
		row.Values = append(row.Values, cell)
	}
	text := string(bytes.TrimRight(raw, "\r\n"))
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount):
		row.Problem = &RowProblem{Text: text,
			Problem: fmt.Sprintf("the row has %d cells but the header has %d", len(cells), len(r.internal)),
			Fix:     fmt.Sprintf("a value probably contains a %s without quotes: put that value in double quotes, or remove the extra cells", commaName(r.comma))}
	case errors.Is(pe.Err, csv.ErrBareQuote):
		row.Problem = &RowProblem{Text: text, Problem: "a value has a double quote but is not itself in quotes",
			Fix: `put the whole value in double quotes and write the inner quote twice (""), or remove the quote`}
	default:
		row.Problem = &RowProblem{Text: text, Problem: "a quoted value is not closed properly",
			Fix: `a quote inside a quoted value must be written twice ("")`}
	}
	return row
}

func (r *Reader) parseError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", r.file, err)
	}
	if errors.Is(err, csv.ErrQuote) && pe.Line > pe.StartLine {
		return &FileError{File: r.file, Line: pe.StartLine,
			Problem: fmt.Sprintf("a quoted value that starts on this line is not closed properly, so everything up to line %d was read as one value", pe.Line),
			Fix:     `find the stray double quote on line ` + strconv.Itoa(pe.StartLine) + `: a quote inside a value must be written twice ("")`}
	}
	return &FileError{File: r.file, Line: pe.StartLine, Problem: "the header line is not valid CSV: " + pe.Err.Error(),
		Fix: "export the spreadsheet again as CSV"}
}

func (r *Reader) encodingError(line int, raw []byte) error {
	b := raw
	for len(b) > 0 {
		c, size := utf8.DecodeRune(b)
		if c == utf8.RuneError && size <= 1 {
			break
		}
		b = b[size:]
	}
	bad := ""
	if len(b) > 0 {
		bad = fmt.Sprintf(" (byte 0x%02X, a letter such as é or ₹ in a Windows code page)", b[0])
	}
	return &FileError{File: r.file, Line: line, Problem: "the file is not UTF-8 text" + bad +
		"; it was probably saved as \"CSV (Comma delimited)\" in a Windows encoding", Fix: SaveAsUTF8}
}

// blank reports whether a record has no value at all (",,,," as Excel
// writes for an empty row).
func blank(raw []byte, comma rune) bool {
	for _, b := range raw {
		switch b {
		case ' ', '\t', '\r', '\n', '"':
		default:
			if rune(b) != comma {
				return false
			}
		}
	}
	return true
}

func commaName(c rune) string {
	switch c {
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	}
	return "comma"
}
