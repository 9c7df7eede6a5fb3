package enkash_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
)

func fiveUsers() []string {
	var out []string
	for i := 1; i <= 5; i++ {
		out = append(out, user(fmt.Sprintf("EKC%d", i), fmt.Sprintf("u%d@example.com", i), fmt.Sprintf("98765000%02d", i)))
	}
	return out
}

func TestListUsers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		style    string
		size     int // the server's page size; 0: 2
		maxPages int
		calls    int64 // requests made
		err      error // nil: all five users
		// drift changes the account's users after the request numbered
		// call (1-based) was answered.
		drift func(call int64, users []string) []string
	}{
		{"records, three pages and the empty one, read twice", "records", 0, 8, 8, nil, nil},
		{"spring, three pages and the empty one, read twice", "spring", 0, 8, 8, nil, nil},
		{"one page and the empty one are read once", "records", 10, 2, 2, nil, nil},
		{"no budget for the second reading: it is not begun", "records", 0, 7, 4, enkash.ErrTooManyPages, nil},
		{"more pages than allowed", "records", 0, 2, 2, enkash.ErrTooManyPages, nil},
		{"unpaged list the next page repeats: it may be a silent first page", "whole-array", 0, 2, 2, enkash.ErrUnprovenList, nil},
		{"unpaged whole list, one request allowed", "whole-array", 0, 1, 1, enkash.ErrTooManyPages, nil},
		{"silent pages without counts prove nothing", "array", 0, 8, 4, enkash.ErrUnprovenList, nil},
		{"silent pages, fewer allowed", "array", 0, 3, 3, enkash.ErrTooManyPages, nil},
		{"server repeats its first page: its count shows users are missing", "ignore-paging", 0, 5, 2, enkash.ErrUnprovenList, nil},
		{"server echoes another page", "wrong-echo", 0, 5, 2, errAmbiguous, nil},
		{"no page allowed", "records", 0, 0, 0, enkash.ErrTooManyPages, nil},
		// counts that are not the account's: read on to the empty page
		{"a count of the page's own users", "page-count", 0, 8, 4, enkash.ErrUnprovenList, nil},
		{"a capped count", "capped-count", 0, 8, 4, enkash.ErrUnprovenList, nil},
		{"a server that ignores paging and counts its one page", "ignore-paging-own-count", 0, 8, 2, enkash.ErrUnprovenList, nil},
		{"a user moves to the front between pages (sorted by last change)", "records", 0, 8, 4, enkash.ErrUnprovenList,
			func(call int64, u []string) []string {
				if call != 1 {
					return u
				}
				return append([]string{u[len(u)-1]}, u[:len(u)-1]...)
			}},
		{"a listed user is removed between pages", "records", 0, 8, 3, enkash.ErrUnprovenList,
			func(call int64, u []string) []string {
				if call != 1 {
					return u
				}
				return u[1:]
			}},
		{"one user removed and one added between pages: the count holds, the second reading differs", "records", 0, 8, 8,
			enkash.ErrUnprovenList, func(call int64, u []string) []string {
				if call != 1 {
					return u
				}
				return append(u[1:], user("EKC6", "u6@example.com", "9876500006"))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &pager{style: tt.style, size: cmp.Or(tt.size, 2), items: fiveUsers()}
			var mu sync.Mutex
			f := serve(t, func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, enkash.PathSearch, r.URL.Path)
				mu.Lock()
				defer mu.Unlock()
				p.handle(w, r)
				if tt.drift != nil {
					p.items = tt.drift(p.calls.Load(), p.items)
				}
			})
			pages := 0
			each := func(_ context.Context, fetch func() error) error { pages++; return fetch() }
			users, err := newClient(t, config(f.URL)).ListUsers(context.Background(), tt.maxPages, each)
			assert.Equal(t, tt.calls, p.calls.Load(), "requests")
			assert.Equal(t, int(tt.calls), pages, "every request went through the page hook")
			switch {
			case tt.err == errAmbiguous:
				var amb *enkash.AmbiguousError
				assert.ErrorAs(t, err, &amb)
				assert.Nil(t, users)
				return
			case tt.err != nil:
				assert.ErrorIs(t, err, tt.err)
				assert.Nil(t, users)
				return
			}
			require.NoError(t, err)
			require.Len(t, users, 5)
			for i, u := range users {
				assert.Equal(t, fmt.Sprintf("EKC%d", i+1), u.EnKashCardID)
			}
			m := *p.first.Load()
			assert.Equal(t, "A1", m["cardAccountId"])
			assert.Equal(t, "C1", m["companyId"])
			for _, k := range []string{"email", "mobile", "enKashCardId"} {
				assert.NotContains(t, m, k, "the documented listing sends no filter")
			}
		})
	}
}

// errAmbiguous marks a case that fails with an *enkash.AmbiguousError.
var errAmbiguous = errors.New("ambiguous")

func TestListUsersRetriesAPageThroughItsHook(t *testing.T) {
	t.Parallel()
	p := &pager{style: "records", size: 2, items: fiveUsers()}
	failed := false
	f := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if !failed && p.calls.Load() == 1 { // the second page's first try
			failed = true
			reply(w, 504, `{"message":"upstream request timeout"}`)
			return
		}
		p.handle(w, r)
	})
	each := func(_ context.Context, fetch func() error) error {
		if err := fetch(); err != nil {
			return fetch()
		}
		return nil
	}
	users, err := newClient(t, config(f.URL)).ListUsers(context.Background(), 8, each)
	require.NoError(t, err)
	assert.Len(t, users, 5)
	assert.True(t, failed)
}

func TestListUsersRefusesAUserWithoutCard(t *testing.T) {
	t.Parallel()
	f := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		reply(w, 200, `{"code":0,"payload":{"recordsCount":2,"data":[`+user("EKC1", "a@example.com", "9876500001")+`,`+user("", "b@example.com", "9876500002")+`]}}`)
	})
	_, err := newClient(t, config(f.URL)).ListUsers(context.Background(), 3, nil)
	assert.ErrorIs(t, err, enkash.ErrUserWithoutCard)
}

// TestRosterCardIsFindCard checks that a roster finds what FindCard finds
// against a server that lists the same users whatever the filter.
func TestRosterCardIsFindCard(t *testing.T) {
	t.Parallel()
	users := []string{
		user("EKC1", "asha@example.com", "9876500001"), user("EKC2", "Ravi.K@Example.com", "9876500002"),
		user("EKC3", "meena@example.com", "+91 98765 00003"), user("EKC4", "dup@example.com", "9876500004"),
		user("EKC5", "dup@example.com", "9876500005"), user("EKC6", "\u212aumar@example.com", ""), // a Kelvin sign folds to k
		user("EKC7", "", "9876500007"), user("EKC7", "seven@example.com", ""), user("EKC8", "  pad@example.com ", "0098765 00008"),
	}
	queries := [][2]string{
		{"ravi.k@example.COM", ""}, {"", "9876500003"}, {"asha@example.com", "09876500001"}, {"nobody@example.com", "9876500002"},
		{"asha@example.com", "9876500002"}, {"dup@example.com", ""}, {"nobody@example.com", "9000000000"}, {" ", ""},
		{"kumar@example.com", ""}, {"KUMAR@example.com", "9876500001"}, {"seven@example.com", "9876500007"},
		{"pad@example.com", "+91 9876500008"}, {"\u212aumar@example.com", ""}, {"", "12"}, {"", "abc"}, {"seven@example.com", ""},
	}
	f := serve(t, func(w http.ResponseWriter, r *http.Request) {
		(&pager{style: "records", size: 100, items: users}).handle(w, r)
	})
	c := newClient(t, config(f.URL))
	listed, err := c.ListUsers(context.Background(), 2, nil)
	require.NoError(t, err)
	roster := enkash.NewRoster(listed)
	assert.Equal(t, 9, roster.Len(), "two users of one card are both kept")
	for _, q := range queries {
		wantCard, wantErr := c.FindCard(context.Background(), q[0], q[1])
		card, err := roster.Card(q[0], q[1])
		assert.Equal(t, wantCard, card, "%q", q)
		if wantErr == nil {
			assert.NoError(t, err, "%q", q)
			continue
		}
		require.Error(t, err, "%q", q)
		assert.Equal(t, wantErr.Error(), err.Error(), "%q", q)
		for _, sentinel := range []error{enkash.ErrNoCard, enkash.ErrManyCards} {
			assert.Equal(t, errors.Is(wantErr, sentinel), errors.Is(err, sentinel), "%q", q)
		}
	}
}

// TestEmptyListings: an empty listing proves nothing, counted or not: a
// server may list nothing without a filter, and every user would then look
// absent. The rows are searched for one by one instead.
func TestEmptyListings(t *testing.T) {
	t.Parallel()
	for _, style := range []string{"records", "spring", "array"} {
		t.Run(style, func(t *testing.T) {
			t.Parallel()
			p := &pager{style: style, size: 10}
			f := serve(t, p.handle)
			users, err := newClient(t, config(f.URL)).ListUsers(context.Background(), 3, nil)
			assert.EqualValues(t, 1, p.calls.Load())
			assert.ErrorIs(t, err, enkash.ErrUnprovenList)
			assert.Nil(t, users)
		})
	}
}

// TestUsersWhoseContactCannotBeRead: a server that names a user's e-mail
// and mobile under other keys than the client reads would make every
// person look absent from its answers, and every row be sent. A user with
// neither an e-mail nor a mobile the client can read fails the search and
// the listing instead; a search narrowed to a card does not need them.
func TestUsersWhoseContactCannotBeRead(t *testing.T) {
	t.Parallel()
	other := `{"enKashCardId":"EKC1","userId":"U1","emailId":"asha@example.com","mobileNumber":"9876500001"}`
	f := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		reply(w, 200, `{"code":0,"payload":{"recordsCount":1,"data":[`+other+`]}}`)
	})
	c := newClient(t, config(f.URL))
	_, err := c.FindCard(context.Background(), "asha@example.com", "9876500001")
	assert.ErrorIs(t, err, enkash.ErrUserWithoutContact, "not ErrNoCard: the row would be sent")
	assert.NotErrorIs(t, err, enkash.ErrNoCard)
	_, err = c.ListUsers(context.Background(), 3, nil)
	assert.ErrorIs(t, err, enkash.ErrUserWithoutContact)
	users, err := c.SearchUsers(context.Background(), "EKC1")
	require.NoError(t, err)
	assert.Len(t, users, 1)
}
