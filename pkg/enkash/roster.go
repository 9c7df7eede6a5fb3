package enkash

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// ErrUserWithoutCard means a listing of the account's users named a user
// without enKashCardId, so the listing cannot tell that user's card.
var ErrUserWithoutCard = errors.New("a listed user has no enKashCardId")

// ListUsers reads every user of the reward account through search with
// only the account's ids, EnKash's documented "Get User Details", reading
// each page through each (nil: at once). It fails, wrapping
// [ErrTooManyPages], when the listing needs more than maxPages requests
// (an answer that does not count its pages needs one more request, to see
// that it is whole), and on any paging that does not prove the listing
// complete, as every list of the client does. Stricter than a search, it
// fails with [ErrUnprovenList] when the answer carries no counts and is
// empty at once, or only repeats its first page: a server that refuses to
// list without a filter, or pages silently and ignores the page asked
// for, would otherwise make every user it left out look absent.
func (c *Client) ListUsers(ctx context.Context, maxPages int, each PageFunc) ([]User, error) {
	q := SearchQuery{CardAccountID: c.cfg.CardAccountID, CompanyID: c.cfg.CompanyID}
	l := lister[User]{
		path: PathSearch,
		body: func(p Paging) any { q.Paging = p; return q },
		key:  userKey,
		check: func(u User) error {
			if strings.TrimSpace(u.EnKashCardID) == "" {
				return ErrUserWithoutCard
			}
			return nil
		},
		maxPages:   maxPages,
		each:       each,
		proveWhole: true,
	}
	return l.all(ctx, c)
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
