package enkash

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Paging is sent with every list request, in both styles a server may read:
// PageNumber (1-based) with PageSize, and Spring's Page (0-based) with Size.
// A server reads the pair it knows and ignores the other.
type Paging struct {
	PageNumber int `json:"pageNumber"`
	PageSize   int `json:"pageSize"`
	Page       int `json:"page"`
	Size       int `json:"size"`
}

// pageSize is what the client asks for; the server's own size wins.
const pageSize = 100

// ErrTooManyPages means a list answer went on for more pages than the
// client reads, so it proves nothing.
var ErrTooManyPages = errors.New("the answer has more pages than the client reads")

// noRecordsMarks are the messages, in lower case, with which a list
// endpoint refuses (code 1) what is simply an empty answer.
var noRecordsMarks = []string{"no records found", "no record found", "no data found", "no transactions found", "no transaction found"}

// isNoRecords reports whether err is a refusal that means "the list is
// empty", such as code 1 "No records found".
func isNoRecords(err error) bool {
	var rej *RejectedError
	if !errors.As(err, &rej) {
		return false
	}
	m := strings.ToLower(rej.Message)
	for _, s := range noRecordsMarks {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// lister reads every page of one list endpoint.
type lister[T any] struct {
	path     string
	body     func(Paging) any // the request body for one page
	key      func(T) string   // identity, to drop an item a page repeats; "" keeps it
	check    func(T) error    // refuses an item that proves the answer wrong
	maxPages int
	each     PageFunc // makes each page's request; nil: at once
	// proveWhole refuses an end the list does not prove: a first answer
	// that is empty without counts (it may be a refusal to list without a
	// filter), and an unpaged answer that the next page only repeats (it
	// may be the first page of a server that pages silently and ignores
	// the page asked for). It also reads on past the page that reaches the
	// count (or says it is the last) to an empty page, since a count may
	// be the page's own or capped, and refuses any page that repeats
	// items: a server that ignores paging may answer its first page (with
	// that page's own count) whatever is asked.
	proveWhole bool
	// counted, when set, is told each page's record count (-1: none), how
	// many items it held, and how many of those were not read before.
	counted func(count, items, fresh int)
}

// ErrUnprovenList means a list that must be whole ended without showing
// that it was: see lister.proveWhole.
var ErrUnprovenList = errors.New("the answer does not show that the list is whole")

// PageFunc makes the request of one page of a list: it calls fetch, once
// or again (fetch may be retried; it changes nothing but its own result),
// and returns fetch's last error or its own. A caller paces a listing of
// many pages through it, page by page, as it paces single requests.
type PageFunc func(ctx context.Context, fetch func() error) error

// all reads pages until the answer says it is done: an empty page, Spring's
// last, the last of totalPages, or every counted record. An answer that says
// nothing of pages (a bare list, a single object, a list without counts)
// may be a whole unpaged list or the first page of a server that pages
// silently, so the next page is asked for: empty, or the same items again,
// means the list was whole. On an answer that does count its pages, a page
// that only repeats items already read means the server does not page as
// asked and the rest cannot be seen: an error, because a partial list could
// hide a second credit or the successful try.
func (l lister[T]) all(ctx context.Context, c *Client) ([]T, error) {
	var (
		items []T
		prev  listPage[T]
		seen  = map[string]bool{}
		read  int
		// counted: some page carried counts, total pages or Spring's last
		counted bool
	)
	for n := 1; n <= l.maxPages; n++ {
		pg, err := l.fetch(ctx, c, n)
		if err != nil {
			return nil, err
		}
		fresh, err := l.collect(pg.items, seen, &items)
		if err != nil {
			return nil, err
		}
		if l.counted != nil {
			l.counted(pg.count, len(pg.items), fresh)
		}
		read += len(pg.items)
		counted = counted || !pg.unpaged()
		repeated := n > 1 && len(pg.items) > 0 && (fresh == 0 || reflect.DeepEqual(pg.items, prev.items))
		switch {
		case (repeated || n == 1 && len(pg.items) == 0 && !counted) && l.proveWhole:
			return nil, fmt.Errorf("%s: %w", l.path, ErrUnprovenList)
		case repeated && prev.unpaged():
			return items[:len(items)-fresh], nil
		case repeated:
			return nil, &AmbiguousError{Endpoint: l.path, HTTPStatus: 200,
				Err: fmt.Errorf("page %d repeats items already read: the server does not page as asked", n)}
		case pg.done(n, read) && (!l.proveWhole || len(pg.items) == 0):
			return items, nil
		}
		prev = pg
	}
	return nil, fmt.Errorf("%s: %w (%d)", l.path, ErrTooManyPages, l.maxPages)
}

// collect checks the items of one page and appends to all those whose key
// was not seen; it returns how many it appended.
func (l lister[T]) collect(page []T, seen map[string]bool, all *[]T) (int, error) {
	fresh := 0
	for _, it := range page {
		if err := l.check(it); err != nil {
			return 0, fmt.Errorf("%s: %w", l.path, err)
		}
		k := l.key(it)
		if k != "" && seen[k] {
			continue
		}
		seen[k], fresh = true, fresh+1
		*all = append(*all, it)
	}
	return fresh, nil
}

// fetch reads page n through l.each.
func (l lister[T]) fetch(ctx context.Context, c *Client, n int) (pg listPage[T], err error) {
	if l.each == nil {
		return l.page(ctx, c, n)
	}
	err = l.each(ctx, func() (err error) {
		pg, err = l.page(ctx, c, n)
		return err
	})
	return pg, err
}

// page fetches and decodes page n (1-based).
func (l lister[T]) page(ctx context.Context, c *Client, n int) (listPage[T], error) {
	var raw json.RawMessage
	err := c.post(ctx, l.path, nil, l.body(Paging{PageNumber: n, PageSize: pageSize, Page: n - 1, Size: pageSize}), &raw)
	if err != nil && !isNoRecords(err) {
		return listPage[T]{}, err
	}
	if err != nil {
		raw = nil
	}
	pg, err := decodePage[T](raw)
	if err != nil {
		return pg, &AmbiguousError{Endpoint: l.path, HTTPStatus: 200, Err: err}
	}
	if pg.echo >= 0 && pg.echo != n {
		return pg, &AmbiguousError{Endpoint: l.path, HTTPStatus: 200,
			Err: fmt.Errorf("asked for page %d, the answer is page %d: the server does not page as asked", n, pg.echo)}
	}
	return pg, nil
}

// listPage is one decoded page and what it says about the others. A field
// the answer did not carry is -1.
type listPage[T any] struct {
	items      []T
	totalPages int
	count      int // recordsCount or totalElements
	last       int // Spring's last: 1 true, 0 false
	echo       int // the page number the answer carries, made 1-based
}

// done reports whether page n, with read items so far, is the last one.
func (p listPage[T]) done(n, read int) bool {
	switch {
	case len(p.items) == 0:
		return true
	case p.last >= 0:
		return p.last == 1
	case p.totalPages >= 0:
		return n >= p.totalPages
	case p.count >= 0:
		return read >= p.count
	}
	return false // says nothing of pages: ask for the next
}

// unpaged reports whether the answer said nothing of pages.
func (p listPage[T]) unpaged() bool { return p.last < 0 && p.totalPages < 0 && p.count < 0 }

// pageShape is every key of the paged payloads: {"recordsCount","totalPages",
// "pageNumber","data"} and Spring's {"content","totalElements","totalPages",
// "number","last"}. Numbers may come in any JSON form.
type pageShape struct {
	Data          json.RawMessage `json:"data"`
	Content       json.RawMessage `json:"content"`
	Transactions  json.RawMessage `json:"transactions"`
	RecordsCount  json.RawMessage `json:"recordsCount"`
	TotalElements json.RawMessage `json:"totalElements"`
	TotalPages    json.RawMessage `json:"totalPages"`
	PageNumber    json.RawMessage `json:"pageNumber"`
	Number        json.RawMessage `json:"number"`
	Last          *bool           `json:"last"`
}

// decodePage reads a list payload in any of its shapes: null or absent
// (empty), a bare array (unpaged), a paged object, or a single object (one
// item; {} is empty).
func decodePage[T any](raw json.RawMessage) (listPage[T], error) {
	p := listPage[T]{totalPages: -1, count: -1, last: -1, echo: -1}
	if len(raw) == 0 || string(raw) == "null" {
		return p, nil
	}
	if raw[0] == '[' {
		err := json.Unmarshal(raw, &p.items)
		return p, wrapUnreadable(err, "list")
	}
	var s pageShape
	if err := json.Unmarshal(raw, &s); err != nil {
		return p, wrapUnreadable(err, "payload")
	}
	list := cmpRaw(s.Data, s.Content, s.Transactions)
	if list == nil && s.RecordsCount == nil && s.TotalElements == nil && s.TotalPages == nil {
		if string(raw) == "{}" {
			return p, nil
		}
		var one T
		err := json.Unmarshal(raw, &one)
		p.items = []T{one}
		return p, wrapUnreadable(err, "item")
	}
	if list != nil && string(list) != "null" {
		if err := json.Unmarshal(list, &p.items); err != nil {
			return p, wrapUnreadable(err, "list")
		}
	}
	return p, p.readCounts(s)
}

// readCounts fills the paging fields of p from s.
func (p *listPage[T]) readCounts(s pageShape) error {
	var err error
	if p.count, err = wireCount(cmpRaw(s.RecordsCount, s.TotalElements)); err != nil {
		return err
	}
	if p.totalPages, err = wireCount(s.TotalPages); err != nil {
		return err
	}
	if p.echo, err = wireCount(s.PageNumber); err != nil {
		return err
	}
	if p.echo < 0 && s.Number != nil {
		n, err := wireCount(s.Number)
		if err != nil {
			return err
		}
		p.echo = n + 1 // Spring counts from 0
	}
	if s.Last != nil {
		p.last = 0
		if *s.Last {
			p.last = 1
		}
	}
	return nil
}

// cmpRaw returns the first of raws that the answer carried (null included).
func cmpRaw(raws ...json.RawMessage) json.RawMessage {
	for _, r := range raws {
		if r != nil {
			return r
		}
	}
	return nil
}

// wireCount reads a count in any JSON form ("3", "3.0", "\"3\""); -1 when
// absent or null.
func wireCount(raw json.RawMessage) (int, error) {
	if raw == nil || string(raw) == "null" {
		return -1, nil
	}
	n, ok := wholeNumber(raw)
	if !ok || n < 0 {
		return -1, fmt.Errorf("unreadable page count %s", raw)
	}
	return int(n), nil
}

// wrapUnreadable says which part of a list answer could not be read; nil
// stays nil.
func wrapUnreadable(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("unreadable %s: %w", what, err)
}
