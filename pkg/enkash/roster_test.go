package enkash_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
		maxPages int
		calls    int64 // requests made
		err      error // nil: all five users
	}{
		{"records, three pages, three allowed", "records", 3, 3, nil},
		{"spring, three pages, three allowed", "spring", 3, 3, nil},
		{"more pages than allowed", "records", 2, 2, enkash.ErrTooManyPages},
		{"unpaged list the next page repeats: it may be a silent first page", "whole-array", 2, 2, enkash.ErrUnprovenList},
		{"unpaged whole list, one request allowed", "whole-array", 1, 1, enkash.ErrTooManyPages},
		{"silent pages: read until an empty page", "array", 4, 4, nil},
		{"silent pages, fewer allowed", "array", 3, 3, enkash.ErrTooManyPages},
		{"server repeats its first page", "ignore-paging", 5, 2, errAmbiguous},
		{"server echoes another page", "wrong-echo", 5, 2, errAmbiguous},
		{"no page allowed", "records", 0, 0, enkash.ErrTooManyPages},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &pager{style: tt.style, size: 2, items: fiveUsers()}
			f := serve(t, func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, enkash.PathSearch, r.URL.Path)
				p.handle(w, r)
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
	users, err := newClient(t, config(f.URL)).ListUsers(context.Background(), 3, each)
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
	listed, err := c.ListUsers(context.Background(), 1, nil)
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

// TestEmptyListings: an account with no users is a listing only when the
// answer counts it; an empty answer without counts may be a server that
// lists nothing without a filter, and would make every user look absent.
func TestEmptyListings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		style string
		err   error
	}{
		{"records", nil},
		{"spring", nil},
		{"array", enkash.ErrUnprovenList},
	} {
		t.Run(tt.style, func(t *testing.T) {
			t.Parallel()
			p := &pager{style: tt.style, size: 10}
			f := serve(t, p.handle)
			users, err := newClient(t, config(f.URL)).ListUsers(context.Background(), 3, nil)
			assert.EqualValues(t, 1, p.calls.Load())
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Empty(t, users)
		})
	}
}
