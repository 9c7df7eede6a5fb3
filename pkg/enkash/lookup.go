package enkash

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// maxLookupPages and maxSearchPages cap how many pages the client reads.
// One reference never needs more than a few transactions; a reward account
// may have many users when the server ignores the e-mail and mobile filter.
const (
	maxLookupPages = 20
	maxSearchPages = 1000
)

// ErrUnfilteredLookup means transaction/all answered with transactions for
// other references, so it cannot prove that a reference is absent.
var ErrUnfilteredLookup = errors.New("the lookup answered with other references' transactions, so it cannot prove absence")

// Lookup is what transaction/all says about one reference, every page read.
type Lookup struct {
	// Transactions are EnKash's transactions under the reference, in the
	// order EnKash listed them; a page that repeats one is read once.
	Transactions []Transaction
	// Conclusive is false when the answer is empty and no card was given:
	// a server that needs enKashCardId may answer an empty list (or null,
	// or "No records found") to a lookup without it, so such an empty
	// answer proves nothing. A non-empty answer, or an empty one for a
	// given card, is conclusive about what EnKash's lookup shows now (which
	// may still lag behind what it applied).
	Conclusive bool
}

// FindTransactions calls transaction/all for one reference, narrowed to a
// card when enKashCardID is known, and reads every page. payload null and
// "No records found" are an empty answer. An error means nothing was
// proven, including an answer that lists another reference's transaction
// ([ErrUnfilteredLookup]) or does not page as asked.
func (c *Client) FindTransactions(ctx context.Context, reference, enKashCardID string) (Lookup, error) {
	l := lister[Transaction]{
		path: PathTransactions,
		body: func(p Paging) any {
			return TransactionQuery{CompanyID: c.cfg.CompanyID, CardAccountID: c.cfg.CardAccountID, EnKashCardID: enKashCardID,
				PGReferenceNumber: reference, PGReferenceNumbers: []string{reference}, Paging: p}
		},
		key: func(t Transaction) string { return t.EnKashTransactionID },
		check: func(t Transaction) error {
			if t.PGReferenceNumber != reference {
				return ErrUnfilteredLookup
			}
			return nil
		},
		maxPages: maxLookupPages,
	}
	txns, err := l.all(ctx, c)
	if err != nil {
		return Lookup{}, err
	}
	return Lookup{Transactions: txns, Conclusive: len(txns) > 0 || enKashCardID != ""}, nil
}

// TxnState is what a transaction's status says about the credit or debit.
type TxnState int

// The states of [Transaction.State]. The zero value is TxnPending, the
// state that proves nothing.
const (
	TxnPending TxnState = iota // not final: PENDING, PROCESSING, CREATED, INITIATED, or a status the client does not know
	TxnApplied                 // final and applied: SUCCESS and its synonyms
	TxnFailed                  // final and not applied: FAILED, DECLINED, REVERSED and their synonyms
)

// String names the state.
func (s TxnState) String() string {
	switch s {
	case TxnApplied:
		return "applied"
	case TxnFailed:
		return "failed"
	}
	return "pending"
}

// The statuses, upper case with "_" for spaces and dashes, that are final.
var (
	appliedStatuses = []string{"SUCCESS", "SUCCESSFUL", "SUCCEEDED", "SUCCESSFULLY", "COMPLETED", "COMPLETE", "APPROVED", "SETTLED", "CREDITED", "DEBITED", "DONE"}
	failedStatuses  = []string{"FAILED", "FAILURE", "FAIL", "DECLINED", "REVERSED", "REVERSAL", "CANCELLED", "CANCELED", "REJECTED", "ERROR", "EXPIRED", "VOID", "VOIDED", "REFUNDED"}
)

// State reads the transaction's status. Only a success status is applied;
// a status the client does not know, or none, counts as pending, because
// such a transaction may still fail.
func (t Transaction) State() TxnState {
	s := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToUpper(strings.TrimSpace(t.Status)))
	for _, a := range appliedStatuses {
		if s == a {
			return TxnApplied
		}
	}
	for _, f := range failedStatuses {
		if s == f {
			return TxnFailed
		}
	}
	return TxnPending
}

// ErrNoCard means no user of the reward account has the e-mail or mobile.
// It proves nothing about a credit: a user EnKash has just created may not
// be listed yet.
var ErrNoCard = errors.New("no EnKash card matches the e-mail or mobile")

// errNothingToFind is the answer to a search for neither an e-mail nor a
// mobile.
var errNothingToFind = fmt.Errorf("%w: neither an e-mail nor a mobile was given", ErrNoCard)

// ErrManyCards means the e-mail and the mobile match different cards, or
// several cards match, so the card of a row cannot be known.
var ErrManyCards = errors.New("several EnKash cards match the e-mail or mobile")

// FindCard returns the card of the reward account's user whose e-mail
// (compared without case) or mobile (compared by its last ten digits) is
// given, through search, reading every page. The filters are sent too, for
// a server that honours them; when both are given and nobody matches (a
// server may require both to match), each is searched alone. It fails with
// [ErrNoCard] when no user matches and [ErrManyCards] when the match is not
// one card, and with [ErrUserWithoutContact] when an answer names a user
// with neither an e-mail nor a mobile it can read: nobody can be shown
// absent from an answer that is not understood.
func (c *Client) FindCard(ctx context.Context, email, mobile string) (string, error) {
	email, mobile = strings.TrimSpace(email), strings.TrimSpace(mobile)
	if email == "" && mobileDigits(mobile) == "" {
		return "", errNothingToFind
	}
	users, err := c.searchUsers(ctx, SearchQuery{Email: email, Mobile: mobile}, contactKnown)
	if err != nil {
		return "", err
	}
	card, err := matchCard(users, email, mobile)
	if !errors.Is(err, ErrNoCard) || email == "" || mobile == "" {
		return card, err
	}
	users = nil
	for _, q := range []SearchQuery{{Email: email}, {Mobile: mobile}} {
		found, err := c.searchUsers(ctx, q, contactKnown)
		if err != nil {
			return "", err
		}
		users = append(users, found...)
	}
	return matchCard(users, email, mobile)
}

// matchCard returns the one card among users with the e-mail or the mobile.
func matchCard(users []User, email, mobile string) (string, error) {
	digits := mobileDigits(mobile)
	var card string
	for _, u := range users {
		if !(email != "" && strings.EqualFold(strings.TrimSpace(u.Email), email)) && !(digits != "" && mobileDigits(u.Mobile) == digits) {
			continue
		}
		if card != "" && u.EnKashCardID != card {
			return "", fmt.Errorf("%w: %s and %s", ErrManyCards, card, u.EnKashCardID)
		}
		card = u.EnKashCardID
	}
	if card == "" {
		return "", ErrNoCard
	}
	return card, nil
}

// mobileDigits keeps the digits of a mobile number, the last ten of a
// longer one (a country code such as +91 or a leading 0 is dropped).
func mobileDigits(m string) string {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, m)
	if len(d) > 10 {
		d = d[len(d)-10:]
	}
	return d
}

// SearchUsers calls search for the reward account, narrowed to one card
// when enKashCardID is not empty, and reads every page.
func (c *Client) SearchUsers(ctx context.Context, enKashCardID string) ([]User, error) {
	return c.searchUsers(ctx, SearchQuery{EnKashCardID: enKashCardID}, func(User) error { return nil })
}

// searchUsers reads every page of search for q.
func (c *Client) searchUsers(ctx context.Context, q SearchQuery, check func(User) error) ([]User, error) {
	q.CardAccountID, q.CompanyID = c.cfg.CardAccountID, c.cfg.CompanyID
	l := lister[User]{
		path:     PathSearch,
		body:     func(p Paging) any { q.Paging = p; return q },
		key:      userKey,
		check:    check,
		maxPages: maxSearchPages,
	}
	return l.all(ctx, c)
}
