package allocfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// maxTitleRows is how many rows above the header a file may have (a title,
// a date, an empty line).
const maxTitleRows = 10

// findHeader finds the header among the first rows of head: the first
// record in which two or more cells name known columns. It returns how
// many bytes and lines come before it, and its delimiter; 0 when the
// header is the first line or is not found.
func findHeader(head []byte, mapping map[string]string) (skip, lines int, comma rune) {
	off := 0
	for row := 0; row <= maxTitleRows && off < len(head); row++ {
		for off < len(head) && (head[off] == '\n' || head[off] == '\r') {
			off++ // an empty line: counted with the title
		}
		rest := head[off:]
		comma = detectComma(rest)
		cr := csv.NewReader(bytes.NewReader(rest))
		cr.Comma, cr.LazyQuotes, cr.FieldsPerRecord = comma, true, -1
		cells, err := cr.Read()
		if err != nil {
			return 0, 0, comma
		}
		if knownCells(cells, mapping) >= 2 {
			if row == 0 {
				return 0, 0, comma
			}
			return off, countLines(head[:off]), comma
		}
		// encoding/csv skips empty lines: step over what it consumed.
		off += int(cr.InputOffset())
	}
	return 0, 0, comma
}

// knownCells counts the cells that name a known column.
func knownCells(cells []string, mapping map[string]string) int {
	n := 0
	for _, c := range cells {
		f := fold(c)
		if _, ok := mapping[f]; ok {
			n++
		} else if _, ok := aliases[f]; ok {
			n++
		}
	}
	return n
}

// countLines counts the line ends in b as lineEnds does: LF, or a lone CR.
func countLines(b []byte) int {
	return bytes.Count(b, []byte("\n")) + bytes.Count(bytes.ReplaceAll(b, []byte("\r\n"), nil), []byte("\r"))
}

// plural writes n with the singular or plural words.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// ErrMapping is wrapped by a --map or --mapping that cannot be used.
var ErrMapping = errors.New("invalid column mapping")

// ParseMap reads column mappings written "Header in the file=column", as
// --map takes them, into a map from the header name to the canonical
// column. The column may be any spelling an alias or the canonical name
// has (Employee Name=firstName, Points=amount).
func ParseMap(specs []string) (map[string]string, error) {
	m := map[string]string{}
	for _, s := range specs {
		from, to, ok := strings.Cut(s, "=")
		from, to = strings.TrimSpace(from), strings.TrimSpace(to)
		if !ok || from == "" || to == "" {
			return nil, fmt.Errorf("%w: %q: write it as \"Header in the file=column\", for example \"Employee Name=firstName\"", ErrMapping, s)
		}
		col := canonicalName(to)
		if col == "" {
			return nil, fmt.Errorf("%w: %q: %q is not a column of this tool; use one of %s", ErrMapping, s, to, strings.Join(fieldTags[:], ", "))
		}
		m[from] = col
	}
	return m, nil
}

// ReadMapping reads a mapping file: one "Header in the file=column" per
// line; empty lines and lines that start with # are ignored.
func ReadMapping(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: --mapping: %w", ErrMapping, err)
	}
	defer f.Close()
	var specs []string
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			specs = append(specs, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: --mapping %s: %w", ErrMapping, path, err)
	}
	m, err := ParseMap(specs)
	if err != nil {
		return nil, fmt.Errorf("--mapping %s: %w", path, err)
	}
	return m, nil
}

// canonicalName returns the canonical column a mapping's target names.
func canonicalName(to string) string {
	f := fold(to)
	for _, tag := range fieldTags {
		if fold(tag) == f {
			return tag
		}
	}
	return aliases[f]
}

// foldMap keys a mapping by the folded header names.
func foldMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for from, col := range m {
		out[fold(from)] = col
	}
	return out
}

// Closest returns the name among names that is the nearest spelling of a
// canonical column or one of its aliases, or "" when none is near.
func Closest(col string, names []string) string {
	targets := []string{fold(col)}
	for a, c := range aliases {
		if c == col {
			targets = append(targets, a)
		}
	}
	slices.Sort(targets) // the map's order must not decide a tie
	best, bestD := "", 1<<30
	for _, n := range names {
		f := fold(n)
		if f == "" {
			continue
		}
		for _, t := range targets {
			d := distance(f, t)
			if len(t) >= 4 && strings.Contains(f, t) { // "Amount Paid" holds amount
				d = min(d, 1)
			}
			if d < bestD && d <= max(2, len(t)/4) {
				best, bestD = n, d
			}
		}
	}
	return best
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
