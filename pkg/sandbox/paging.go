package sandbox

import "fmt"

// The shapes of a paged list answer ([Options.PageStyle]).
const (
	PageRecords = "records" // body pageNumber (from 1), pageSize; payload recordsCount, totalPages, pageNumber, data
	PageSpring  = "spring"  // body page (from 0), size; payload content, totalElements, totalPages, number, last
	PageArray   = "array"   // body pageNumber (from 1); payload the page's items as a bare list, no counts
	// PageFirst answers the first page's items as a bare list whatever
	// page is asked for: a server that pages silently and ignores paging,
	// so that its first page looks like the whole list.
	PageFirst = "first-page"
)

// ParsePageStyle checks a page style's name.
func ParsePageStyle(s string) (string, error) {
	switch s {
	case PageRecords, PageSpring, PageArray, PageFirst:
		return s, nil
	}
	return "", fmt.Errorf("page style %q: want %s, %s, %s or %s", s, PageRecords, PageSpring, PageArray, PageFirst)
}

type recordsPage[T any] struct {
	RecordsCount int `json:"recordsCount"`
	TotalPages   int `json:"totalPages"`
	PageNumber   int `json:"pageNumber"`
	Data         []T `json:"data"`
}

type springPage[T any] struct {
	Content       []T  `json:"content"`
	TotalElements int  `json:"totalElements"`
	TotalPages    int  `json:"totalPages"`
	Number        int  `json:"number"`
	Last          bool `json:"last"`
}

// pageOf returns the payload of a list answer: the whole list when the
// server does not page, else the page the request asks for (the first by
// default), cut to the server's own page size whatever the request says.
func pageOf[T any](o *Options, items []T, p paging) any {
	if items == nil {
		items = []T{}
	}
	size := o.PageSize
	if size <= 0 {
		return listPayload[T]{len(items), items}
	}
	pages := (len(items) + size - 1) / size
	cut := func(k int) []T {
		lo := min(max(k, 0)*size, len(items))
		return items[lo:min(lo+size, len(items))]
	}
	switch o.PageStyle {
	case PageFirst:
		return cut(0)
	case PageArray:
		k := 1
		if p.PageNumber != nil {
			k = *p.PageNumber
		}
		return cut(k - 1)
	}
	if o.PageStyle == PageSpring {
		k := 0
		if p.Page != nil {
			k = *p.Page
		}
		return springPage[T]{Content: cut(k), TotalElements: len(items), TotalPages: pages, Number: k, Last: k >= pages-1}
	}
	k := 1
	if p.PageNumber != nil {
		k = *p.PageNumber
	}
	return recordsPage[T]{RecordsCount: len(items), TotalPages: pages, PageNumber: k, Data: cut(k - 1)}
}
