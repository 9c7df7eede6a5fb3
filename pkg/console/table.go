package console

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// pageSize is the rows a table shows at once.
const pageSize = 100

// table is one page of a CSV report, filtered.
type table struct {
	Header  []string
	Rows    [][]string
	Matched int // rows that pass the filter, on every page
	Total   int // rows in the file
	Page    int // from 1
	Pages   int
	// Counts counts every row by the value of the filter's column.
	Counts map[string]int
}

// filter keeps a row when column col equals want (when want is set) and
// any cell contains text (case-insensitive, when text is set).
type filter struct {
	col  int
	want string
	text string
}

func (f filter) keep(row []string) bool {
	if f.want != "" && (f.col >= len(row) || !strings.EqualFold(row[f.col], f.want)) {
		return false
	}
	if f.text == "" {
		return true
	}
	for _, c := range row {
		if strings.Contains(strings.ToLower(c), f.text) {
			return true
		}
	}
	return false
}

// readTable streams the CSV at path and keeps page page of the rows f
// keeps. A missing file is an empty table.
func readTable(path string, f filter, page int) (*table, error) {
	t := &table{Page: max(page, 1), Counts: map[string]int{}}
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Pages = 1
		return t, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	if t.Header, err = r.Read(); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(t.Header) > 0 { // the reports start with a UTF-8 BOM, for Excel
		t.Header[0] = strings.TrimPrefix(t.Header[0], "\ufeff")
	}
	f.text = strings.ToLower(strings.TrimSpace(f.text))
	first := (t.Page - 1) * pageSize
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		t.Total++
		if f.col >= 0 && f.col < len(row) {
			t.Counts[row[f.col]]++
		}
		if !f.keep(row) {
			continue
		}
		if t.Matched >= first && t.Matched < first+pageSize {
			t.Rows = append(t.Rows, row)
		}
		t.Matched++
	}
	t.Pages = max(1, (t.Matched+pageSize-1)/pageSize)
	return t, nil
}

// column returns the index of a header cell, or -1.
func (t *table) column(name string) int {
	for i, h := range t.Header {
		if h == name {
			return i
		}
	}
	return -1
}

// pageNumber reads the page query parameter.
func pageNumber(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 1
	}
	return n
}
