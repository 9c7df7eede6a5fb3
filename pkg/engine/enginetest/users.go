package enginetest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
)

// ListUsers lists the users FindCard would find, in pages of UsersPerPage
// ordered by e-mail, each page a call made through each. Like EnKash's
// paged listing, it shows each page as the account is when the page is
// read. It fails with [enkash.ErrTooManyPages] when it needs more than
// maxPages pages.
func (f *API) ListUsers(ctx context.Context, maxPages int, each enkash.PageFunc) ([]enkash.User, error) {
	var all []enkash.User
	for n := 1; ; n++ {
		if n > maxPages {
			return nil, fmt.Errorf("%s: %w (%d)", enkash.PathSearch, enkash.ErrTooManyPages, maxPages)
		}
		var (
			page []enkash.User
			more bool
		)
		err := each(ctx, func() (err error) {
			page, more, err = f.listPage(n)
			return err
		})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if !more {
			return all, nil
		}
	}
}

// listPage answers page n of ListUsers, and whether more pages follow.
func (f *API) listPage(n int) ([]enkash.User, bool, error) {
	dead, done := f.call(enkash.PathSearch)
	if dead {
		return nil, false, errDead
	}
	if f.OnListPage != nil {
		f.OnListPage(n) // outside the lock: it may wait for another call
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	defer done()
	if f.ListRefused {
		return nil, false, &enkash.RejectedError{Endpoint: enkash.PathSearch, HTTPStatus: 200, Code: 1, Message: "Email or mobile is required"}
	}
	users := f.known()
	emails := slices.Sorted(maps.Keys(users))
	size := cmp.Or(f.UsersPerPage, 100)
	lo := min((n-1)*size, len(emails))
	hi := min(lo+size, len(emails))
	var page []enkash.User
	for _, e := range emails[lo:hi] {
		page = append(page, enkash.User{EnKashCardID: users[e], Email: e})
	}
	return page, hi < len(emails), nil
}
