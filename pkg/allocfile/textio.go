package allocfile

import (
	"bufio"
	"bytes"
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

// recorder keeps the bytes read since a mark, so that the text of the last
// record can be recovered when encoding/csv rejects it.
type recorder struct {
	src  io.Reader
	buf  []byte
	base int64 // stream offset of buf[0]
}

func (r *recorder) Read(p []byte) (int, error) {
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

// utf16Like reports whether the start of a file looks like UTF-16: a UTF-16
// byte-order mark, or NUL bytes, which UTF-8 text never has.
func utf16Like(head []byte) bool {
	return bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) ||
		bytes.IndexByte(head, 0) >= 0
}
