package sheet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// tokKind is what the scanner read.
type tokKind int

const (
	tokStart tokKind = iota // <name attrs> (or <name/>: see scanner.empty)
	tokEnd                  // </name>, and the end of <name/>
	tokText                 // character data, entities decoded
)

// scanner reads the XML of a sheet or of the shared strings: tags, their
// attributes and text, without the allocations of encoding/xml (which made
// reading a sheet several times slower than validating it). It knows what
// these parts have: elements, attributes, text with the five entities and
// character references, CDATA, comments and processing instructions; a
// name's namespace prefix is dropped. It does not check that tags pair up.
type scanner struct {
	r     *bufio.Reader
	name  []byte // the tag's local name
	tag   []byte // the start tag's attributes, raw
	raw   []byte // the tag being read
	text  []byte // the text, decoded
	empty bool   // the start tag closed itself: a tokEnd follows
	owed  bool   // that tokEnd is still to be returned
	buf   []byte
}

func newScanner(r io.Reader) *scanner {
	return &scanner{r: bufio.NewReaderSize(r, 64<<10)}
}

// next reads the next token; io.EOF after the last one.
func (s *scanner) next() (tokKind, error) {
	if s.owed {
		s.owed = false
		return tokEnd, nil
	}
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != '<' {
			_ = s.r.UnreadByte()
			if err := s.readText(); err != nil {
				return 0, err
			}
			return tokText, nil
		}
		kind, skip, err := s.readTag()
		if err != nil {
			return 0, err
		}
		if !skip {
			return kind, nil
		}
	}
}

// readText reads character data up to the next tag.
func (s *scanner) readText() error {
	s.buf = s.buf[:0]
	for {
		chunk, err := s.r.ReadSlice('<')
		if err == nil {
			s.buf = append(s.buf, chunk[:len(chunk)-1]...)
			_ = s.r.UnreadByte()
			break
		}
		s.buf = append(s.buf, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			break
		}
		return err
	}
	var err error
	s.text, err = unescape(s.text[:0], s.buf)
	return err
}

// readTag reads what follows a <. skip: a comment, a declaration or a
// processing instruction, which are no tokens.
func (s *scanner) readTag() (kind tokKind, skip bool, err error) {
	first, err := s.r.Peek(1)
	if err != nil {
		return 0, false, unexpected(err)
	}
	switch first[0] {
	case '?':
		return 0, true, s.skipPast("?>")
	case '!':
		return s.readBang()
	}
	s.raw = s.raw[:0]
	quote := byte(0)
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			return 0, false, unexpected(err)
		}
		switch {
		case quote != 0:
			if b == quote {
				quote = 0
			}
		case b == '"' || b == '\'':
			quote = b
		case b == '>':
			return s.splitTag(), false, nil
		}
		s.raw = append(s.raw, b)
	}
}

// splitTag parts the tag's bytes into its name and attributes.
func (s *scanner) splitTag() tokKind {
	t, kind := s.raw, tokStart
	if len(t) > 0 && t[0] == '/' {
		t, kind = t[1:], tokEnd
	}
	s.empty = kind == tokStart && len(t) > 0 && t[len(t)-1] == '/'
	if s.empty {
		t = t[:len(t)-1]
		s.owed = true
	}
	end := bytes.IndexAny(t, " \t\r\n")
	if end < 0 {
		end = len(t)
	}
	s.name = t[:end]
	if i := bytes.LastIndexByte(s.name, ':'); i >= 0 {
		s.name = s.name[i+1:]
	}
	s.tag = t[end:]
	return kind
}

// readBang reads <!-- -->, <![CDATA[ ]]> (text) or another declaration.
func (s *scanner) readBang() (tokKind, bool, error) {
	head, _ := s.r.Peek(9)
	switch {
	case bytes.HasPrefix(head, []byte("!--")):
		return 0, true, s.skipPast("-->")
	case bytes.HasPrefix(head, []byte("![CDATA[")):
		_, _ = s.r.Discard(8)
		s.buf = s.buf[:0]
		for !bytes.HasSuffix(s.buf, []byte("]]>")) {
			b, err := s.r.ReadByte()
			if err != nil {
				return 0, false, unexpected(err)
			}
			s.buf = append(s.buf, b)
		}
		s.text = append(s.text[:0], s.buf[:len(s.buf)-3]...)
		return tokText, false, nil
	}
	return 0, true, s.skipPast(">")
}

// skipPast reads up to and including end.
func (s *scanner) skipPast(end string) error {
	matched := 0
	for matched < len(end) {
		b, err := s.r.ReadByte()
		if err != nil {
			return unexpected(err)
		}
		switch {
		case b == end[matched]:
			matched++
		case b == end[0]:
			matched = 1
		default:
			matched = 0
		}
	}
	return nil
}

// attr returns the value of the start tag's attribute whose local name is
// local, decoded; "" when it has none.
func (s *scanner) attr(local string) string {
	t := s.tag
	for len(t) > 0 {
		t = bytes.TrimLeft(t, " \t\r\n")
		eq := bytes.IndexByte(t, '=')
		if eq < 0 {
			return ""
		}
		key := bytes.TrimRight(t[:eq], " \t\r\n")
		if i := bytes.LastIndexByte(key, ':'); i >= 0 {
			key = key[i+1:]
		}
		rest := bytes.TrimLeft(t[eq+1:], " \t\r\n")
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return ""
		}
		end := bytes.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return ""
		}
		if string(key) == local {
			v, err := unescape(nil, rest[1:1+end])
			if err != nil {
				return ""
			}
			return string(v)
		}
		t = rest[end+2:]
	}
	return ""
}

// unescape appends raw with its entities and character references
// decoded to dst.
func unescape(dst, raw []byte) ([]byte, error) {
	for {
		i := bytes.IndexByte(raw, '&')
		if i < 0 {
			return append(dst, raw...), nil
		}
		dst = append(dst, raw[:i]...)
		raw = raw[i:]
		j := bytes.IndexByte(raw, ';')
		if j < 0 {
			return nil, errors.New("an & that starts no entity")
		}
		ent := string(raw[1:j])
		switch ent {
		case "amp":
			dst = append(dst, '&')
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			r, err := charRef(ent)
			if err != nil {
				return nil, err
			}
			dst = utf8.AppendRune(dst, r)
		}
		raw = raw[j+1:]
	}
}

// charRef decodes #123 or #x7B.
func charRef(ent string) (rune, error) {
	var n uint64
	var err error
	switch {
	case len(ent) > 2 && (ent[:2] == "#x" || ent[:2] == "#X"):
		n, err = strconv.ParseUint(ent[2:], 16, 32)
	case len(ent) > 1 && ent[0] == '#':
		n, err = strconv.ParseUint(ent[1:], 10, 32)
	default:
		return 0, fmt.Errorf("the entity &%s; is not one of XML's", ent)
	}
	if err != nil || !utf8.ValidRune(rune(n)) {
		return 0, fmt.Errorf("the character reference &%s; is not a character", ent)
	}
	return rune(n), nil
}

// unexpected turns the end of the input inside a tag into an error.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
