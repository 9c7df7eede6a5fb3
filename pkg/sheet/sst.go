package sheet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"unicode/utf8"
)

// MemoryStrings is how many bytes of the shared-strings table are kept in
// memory; the rest goes to a temporary file. A sheet of a million rows
// with a unique e-mail and reference on every row has some 50 MB of them,
// which must not count against the validator's memory budget.
const MemoryStrings = 2 << 20

// windowBytes is how much of the temporary file is read at once. Excel
// numbers the strings in the order they first appear, so a sheet read
// from the top finds its new strings one after the other.
const windowBytes = 256 << 10

// sharedSST is the shared-strings table: every string's end offset in
// the concatenation of all of them, the first MemoryStrings bytes in
// memory, the rest in a temporary file read through a window.
type sharedSST struct {
	ends   []uint32
	head   []byte
	tmp    *os.File
	win    []byte
	winOff int64 // offset of win[0] in the concatenation
	memory int   // bytes kept in memory (MemoryStrings)
}

// readSST reads the shared strings of part.
func (wb *workbook) readSST() (*sharedSST, error) {
	s := &sharedSST{memory: MemoryStrings}
	if wb.strings == "" {
		return s, nil
	}
	rc, err := wb.open(wb.strings)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if err := s.load(rc, wb.tmpDir); err != nil {
		_ = s.close()
		return nil, fmt.Errorf("reading the shared strings: %w", err)
	}
	return s, nil
}

// load reads the <si> items: the text of their <t> elements, outside the
// phonetic runs (<rPh>).
func (s *sharedSST) load(r io.Reader, tmpDir string) error {
	sc := newScanner(r)
	var (
		buf      []byte // the current item
		total    int64
		inT      bool
		phonetic int
		spill    *bufio.Writer
	)
	for {
		kind, err := sc.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		switch {
		case kind == tokText:
			if inT {
				buf = append(buf, sc.text...)
			}
		case kind == tokStart:
			switch string(sc.name) {
			case "sst":
				if n, err := strconv.Atoi(sc.attr("uniqueCount")); err == nil && n > 0 {
					s.ends = make([]uint32, 0, min(n, 1<<22)) // a hint only: a damaged count costs at most 16 MB
				}
			case "si":
				buf = buf[:0]
			case "t":
				inT = phonetic == 0
			case "rPh":
				phonetic++
			}
		default:
			switch string(sc.name) {
			case "t":
				inT = false
			case "rPh":
				phonetic--
			case "si":
				buf = unescapeX(buf)
				if total += int64(len(buf)); total > math.MaxUint32 {
					return errors.New("the shared strings are larger than 4 GB")
				}
				if spill, err = s.keep(buf, spill, tmpDir); err != nil {
					return err
				}
				s.ends = append(s.ends, uint32(total))
			}
		}
	}
	if spill != nil {
		return spill.Flush()
	}
	return nil
}

// keep stores one string: in memory while there is room, in the
// temporary file after.
func (s *sharedSST) keep(b []byte, spill *bufio.Writer, tmpDir string) (*bufio.Writer, error) {
	if spill == nil && len(s.head)+len(b) <= s.memory {
		s.head = append(s.head, b...)
		return nil, nil
	}
	if spill == nil {
		f, err := os.CreateTemp(tmpDir, "rewardbatch-strings-*")
		if err != nil {
			return nil, err
		}
		s.tmp, spill = f, bufio.NewWriterSize(f, 64<<10)
		s.winOff = -1
	}
	_, err := spill.Write(b)
	return spill, err
}

// get returns string i.
func (s *sharedSST) get(i int) (string, error) {
	if i < 0 || i >= len(s.ends) {
		return "", fmt.Errorf("a cell refers to shared string %d, but the workbook has %d", i, len(s.ends))
	}
	from, to := int64(0), int64(s.ends[i])
	if i > 0 {
		from = int64(s.ends[i-1])
	}
	if to <= int64(len(s.head)) {
		return string(s.head[from:to]), nil
	}
	off, n := from-int64(len(s.head)), to-from
	if s.winOff >= 0 && off >= s.winOff && off+n <= s.winOff+int64(len(s.win)) {
		return string(s.win[off-s.winOff : off-s.winOff+n]), nil
	}
	if off < s.winOff || n > windowBytes {
		b := make([]byte, n) // an earlier string, or a long one: read it alone
		if _, err := s.tmp.ReadAt(b, off); err != nil {
			return "", fmt.Errorf("reading the shared strings: %w", err)
		}
		return string(b), nil
	}
	if s.win == nil {
		s.win = make([]byte, windowBytes)
	}
	k, err := s.tmp.ReadAt(s.win[:windowBytes], off)
	if k < int(n) {
		return "", fmt.Errorf("reading the shared strings: %w", err)
	}
	s.win, s.winOff = s.win[:k], off
	return string(s.win[:n]), nil
}

// close removes the temporary file.
func (s *sharedSST) close() error {
	if s.tmp == nil {
		return nil
	}
	name := s.tmp.Name()
	err := s.tmp.Close()
	s.tmp = nil
	return errors.Join(err, os.Remove(name))
}

// unescapeX decodes Excel's _xHHHH_ escapes (a control character such as
// _x000D_, or a literal _x..._ written as _x005F_x...) in place.
func unescapeX(b []byte) []byte {
	if len(b) < 7 {
		return b
	}
	out := b[:0]
	for i := 0; i < len(b); i++ {
		if b[i] == '_' && i+6 < len(b) && b[i+1] == 'x' && b[i+6] == '_' {
			if v, err := parseHex4(b[i+2 : i+6]); err == nil {
				out = utf8.AppendRune(out, v)
				i += 6
				continue
			}
		}
		out = append(out, b[i])
	}
	return out
}

func parseHex4(h []byte) (rune, error) {
	var v rune
	for _, c := range h {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | rune(c-'A'+10)
		default:
			return 0, errors.New("not hex")
		}
	}
	return v, nil
}
