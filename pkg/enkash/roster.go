package enkash

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrUserWithoutCard means a listing of the account's users named a user
// without enKashCardId, so the listing cannot tell that user's card.
var ErrUserWithoutCard = errors.New("a listed user has no enKashCardId")

// ErrUserWithoutContact means a list of users named one with neither an
// e-mail nor a mobile number: the answer's user is not understood (its
// keys may be named otherwise than the client reads them), so no one can
// be shown absent from it.
var ErrUserWithoutContact = errors.New("a listed user has neither an e-mail nor a mobile number the client can read")

// contactKnown refuses a user whom no e-mail or mobile could ever match.
func contactKnown(u User) error {
	if strings.TrimSpace(u.Email) == "" && mobileDigits(u.Mobile) == "" {
		return ErrUserWithoutContact
	}
	return nil
}

// ListUsers reads every user of the reward account through search with
// only the account's ids, EnKash's documented "Get User Details", reading
// each page through each (nil: at once), in at most maxPages requests in
// all ([ErrTooManyPages] beyond).
//
// A user the listing leaves out looks absent, and an absent user's row is
// sent, so the listing must prove itself whole, or it fails with
// [ErrUnprovenList]:
//   - every page counts the account's users (recordsCount or
//     totalElements), and all say the same number, which is not 0 (a
//     server that lists nothing without a filter may answer an empty,
//     counted page);
//   - the distinct users read are exactly that number (a page that skips
//     or repeats a user, as offset paging does when the list changes
//     between pages, leaves them short), read on past the page that
//     reaches the count to an empty page: a count of the page's own
//     users, or one capped, would otherwise end the listing early and
//     prove it whole. A page that repeats users (a server that ignores
//     paging answers its first page whatever is asked) proves nothing;
//   - a listing of more than one page is read twice and both readings
//     hold the same users: a user removed and another added between
//     pages keep the count, but not the set.
//
// It also fails on any paging every list of the client refuses.
func (c *Client) ListUsers(ctx context.Context, maxPages int, each PageFunc) ([]User, error) {
	first, pages, full, err := c.listUsersOnce(ctx, maxPages, each)
	switch {
	case err != nil || full == 1:
		return first, err // one answer holds them all: one reading of the account
	case 2*pages > maxPages:
		return nil, fmt.Errorf("%s: %w (%d: the listing has %d pages, and is read twice)", PathSearch, ErrTooManyPages, maxPages, pages)
	}
	second, _, _, err := c.listUsersOnce(ctx, maxPages-pages, each)
	if err != nil {
		return nil, err
	}
	if !sameUsers(first, second) {
		return nil, fmt.Errorf("%s: %w: two readings of the account's users differ (it changed while it was listed)", PathSearch, ErrUnprovenList)
	}
	return second, nil
}

// listUsersOnce reads the account's users once, in at most maxPages
// requests, and returns them, how many pages it read, and how many of
// those held users not read before.
func (c *Client) listUsersOnce(ctx context.Context, maxPages int, each PageFunc) (users []User, pages, full int, err error) {
	q := SearchQuery{CardAccountID: c.cfg.CardAccountID, CompanyID: c.cfg.CompanyID}
	var counts []int // of the pages that held users, and of an empty last page that counts
	l := lister[User]{
		path: PathSearch,
		body: func(p Paging) any { q.Paging = p; return q },
		key:  userKey,
		check: func(u User) error {
			if strings.TrimSpace(u.EnKashCardID) == "" {
				return ErrUserWithoutCard
			}
			return contactKnown(u)
		},
		maxPages:   maxPages,
		each:       each,
		proveWhole: true,
		counted: func(n, items, fresh int) {
			pages++
			if fresh > 0 {
				full++
			}
			if items > 0 || n >= 0 { // an empty last page may be a "No records found" without counts
				counts = append(counts, n)
			}
		},
	}
	if users, err = l.all(ctx, c); err != nil {
		return nil, pages, full, err
	}
	if err := wholeByCount(users, counts); err != nil {
		return nil, pages, full, fmt.Errorf("%s: %w: %w", PathSearch, ErrUnprovenList, err)
	}
	return users, pages, full, nil
}

// wholeByCount checks a listing's users against the counts its pages
// carried.
func wholeByCount(users []User, counts []int) error {
	for _, n := range counts {
		switch {
		case n < 0:
			return errors.New("a page does not count the users")
		case n != counts[0]:
			return fmt.Errorf("the pages count %d and then %d users (the account changed while it was listed)", counts[0], n)
		}
	}
	switch {
	case len(counts) == 0 || counts[0] == 0:
		return errors.New("the answer lists no user at all (a server may list nothing without a filter)")
	case len(users) != counts[0]:
		return fmt.Errorf("the pages count %d users, and %d distinct users were read (a page skipped or repeated some)", counts[0], len(users))
	}
	return nil
}

// sameUsers reports whether two listings hold the same users.
func sameUsers(a, b []User) bool {
	if len(a) != len(b) {
		return false
	}
	in := make(map[string]bool, len(a))
	for _, u := range a {
		in[userKey(u)] = true
	}
	for _, u := range b {
		if !in[userKey(u)] {
			return false
		}
	}
	return true
}

// userKey is a user's identity in a list: the whole of it, not the card
// alone, so that of two users who share a card both are kept, and each
// one's e-mail finds it.
func userKey(u User) string {
	return u.EnKashCardID + "\x00" + u.UserID + "\x00" + u.Email + "\x00" + u.Mobile
}

// Roster finds cards in one listing of the account's users, as
// [Client.FindCard] finds them through searches.
type Roster struct {
	users   []User
	byEmail map[string][]int // ASCII e-mail in lower case → indexes in users
	byPhone map[string][]int // mobile digits → indexes in users
	odd     []int            // users whose e-mail is not ASCII: always compared
}

// NewRoster indexes users (a listing such as [Client.ListUsers] returns).
func NewRoster(users []User) *Roster {
	r := &Roster{users: users, byEmail: map[string][]int{}, byPhone: map[string][]int{}}
	for i, u := range users {
		switch e := strings.TrimSpace(u.Email); {
		case !isASCII(e):
			r.odd = append(r.odd, i)
		case e != "":
			k := strings.ToLower(e)
			r.byEmail[k] = append(r.byEmail[k], i)
		}
		if d := mobileDigits(u.Mobile); d != "" {
			r.byPhone[d] = append(r.byPhone[d], i)
		}
	}
	return r
}

// Len returns how many users the roster holds.
func (r *Roster) Len() int { return len(r.users) }

// Card returns the one card among the listed users with the e-mail
// (compared without case) or the mobile (compared by its last ten
// digits): [ErrNoCard] when no listed user has either, [ErrManyCards]
// when they have more than one card between them, exactly as a search
// that listed the same users would.
func (r *Roster) Card(email, mobile string) (string, error) {
	email, mobile = strings.TrimSpace(email), strings.TrimSpace(mobile)
	if email == "" && mobileDigits(mobile) == "" {
		return "", errNothingToFind
	}
	if !isASCII(email) {
		return matchCard(r.users, email, mobile) // rare: compare every user
	}
	// The candidates, in listing order, are a superset of the users
	// matchCard accepts, so its answer on them is its answer on all.
	var picked []int
	if email != "" {
		picked = append(picked, r.byEmail[strings.ToLower(email)]...)
		picked = append(picked, r.odd...)
	}
	if d := mobileDigits(mobile); d != "" {
		picked = append(picked, r.byPhone[d]...)
	}
	cands := make([]User, 0, len(picked))
	slices.Sort(picked)
	for _, i := range slices.Compact(picked) {
		cands = append(cands, r.users[i])
	}
	return matchCard(cands, email, mobile)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
