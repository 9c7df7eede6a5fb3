package allocfile

import (
	"bufio"
	"bytes"
	"errors"
	"github.com/rewardbatch/rewardbatch/pkg/sheet"
	"io"
)

// peekSize is how much of the file is examined for the encoding and the
// header line.
const peekSize = 64 << 10

// lineEnds turns a stray CR (one not followed by LF, as old Mac exports
// write) into LF, so that encoding/csv and the line numbers see a line end.
type lineEnds struct{ src *bufio.Reader }

func (l lineEnds) Read(p []byte) (int, error) {
	n, err := l.src.Read(p)
	for i := 0; i < n; i++ {
		if p[i] != '\r' {
			continue
		}
		if i+1 < n {
			if p[i+1] != '\n' {
				p[i] = '\n'
			}
			continue
		}
		if next, perr := l.src.Peek(1); perr != nil || next[0] != '\n' {
			p[i] = '\n'
		}
	}
	return n, err
}

// MaxRecordBytes bounds one record (a line, or the lines of a quoted value
// over several lines), so that memory stays bounded whatever the file.
const MaxRecordBytes = 1 << 20

// errRecordTooLong is returned by the recorder when one record passes
// MaxRecordBytes.
var errRecordTooLong = errors.New("record too long")

// recorder keeps the bytes read since a mark, so that the text of the last
// record can be recovered when encoding/csv rejects it. It refuses to keep
// more than limit bytes.
type recorder struct {
	src   io.Reader
	buf   []byte
	base  int64 // stream offset of buf[0]
	mark  int64 // stream offset where the current record starts
	limit int64
}

func (r *recorder) Read(p []byte) (int, error) {
	if r.limit > 0 && r.base+int64(len(r.buf))-r.mark > r.limit {
		return 0, errRecordTooLong
	}
	n, err := r.src.Read(p)
	r.buf = append(r.buf, p[:n]...)
	return n, err
}

// span returns the bytes at stream offsets [from, to).
func (r *recorder) span(from, to int64) []byte {
	lo, hi := from-r.base, to-r.base
	if lo < 0 || hi > int64(len(r.buf)) || lo > hi {
		return nil
	}
	return r.buf[lo:hi]
}

// forget drops the bytes before offset off.
func (r *recorder) forget(off int64) {
	r.mark = off
	drop := off - r.base
	if drop <= 0 || drop < int64(len(r.buf))/2 || drop < 32<<10 {
		return
	}
	r.buf = r.buf[:copy(r.buf, r.buf[drop:])]
	r.base = off
}

// detectComma picks the delimiter of the header line: the most frequent of
// comma, semicolon and tab outside quotes; comma when there is none.
func detectComma(head []byte) rune {
	counts := map[byte]int{}
	quoted := false
	for _, b := range head {
		if b == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if b == '\n' || b == '\r' {
			break
		}
		if b == ',' || b == ';' || b == '\t' {
			counts[b]++
		}
	}
	best := byte(',')
	for _, c := range []byte{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return rune(best)
}

// sniff refuses a file that is not text, naming what it is instead.
func sniff(file string, head []byte) error {
	const reSave = "open it in the spreadsheet and save it again as CSV: " + SaveAsUTF8
	const asXLSX = "open it and save it again as an Excel workbook (.xlsx) or as CSV UTF-8: " + SaveAsUTF8
	switch sheet.Detect(head) {
	case sheet.XLS:
		return &FileError{File: file, Problem: "the file is an old Excel workbook (.xls), which this tool does not read", Fix: asXLSX}
	case sheet.ODS:
		return &FileError{File: file, Problem: "the file is an OpenDocument spreadsheet (.ods), which this tool does not read", Fix: asXLSX}
	case sheet.XLSX:
		return &FileError{File: file, Problem: "the file is an Excel workbook (.xlsx); a workbook is read from a file, not here",
			Fix: "give the workbook's path to validate or run, or save the sheet as CSV UTF-8"}
	case sheet.ZIP:
		return &FileError{File: file, Problem: "the file is a ZIP archive, not a spreadsheet", Fix: reSave}
	}
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return &FileError{File: file, Problem: "the file is a PDF document, not a CSV file", Fix: "export the data from the spreadsheet it came from as CSV; a PDF cannot be read"}
	case utf16Like(head):
		return &FileError{File: file, Problem: "the file is UTF-16 (Excel's \"Unicode Text\"), not UTF-8", Fix: SaveAsUTF8}
	case binaryLike(head):
		return &FileError{File: file, Problem: "the file is binary data, not text (it has control bytes that no CSV file has)",
			Fix: "check that this is the file you meant; export the spreadsheet as CSV UTF-8"}
	}
	return nil
}

// utf16Like reports whether the start of a file looks like UTF-16: a
// UTF-16 byte-order mark, or text whose every other byte is NUL.
func utf16Like(head []byte) bool {
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return true
	}
	n := min(len(head), 4096) &^ 1
	if n < 4 {
		return false
	}
	var zero [2]int
	for i, b := range head[:n] {
		if b == 0 {
			zero[i&1]++
		}
	}
	half := n / 2
	return (zero[1]*10 >= half*7 && zero[0]*10 < half) || (zero[0]*10 >= half*7 && zero[1]*10 < half)
}

// binaryLike reports whether the start of a file has bytes that text never
// has: NUL, or more than a few other control characters.
func binaryLike(head []byte) bool {
	ctl := 0
	for _, b := range head[:min(len(head), 8192)] {
		switch {
		case b == 0:
			return true
		case b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f', b == 0x7F:
			ctl++
		}
	}
	return ctl > 1 && ctl*100 >= min(len(head), 8192)
}
