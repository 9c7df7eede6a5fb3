package sandbox

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"regexp"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// Transaction is one applied credit or debit, as GET /__sandbox/transactions
// shows it.
type Transaction struct {
	EnKashTransactionID string       `json:"enKashTransactionId"`
	PGReferenceNumber   string       `json:"pgReferenceNumber"`
	EnKashCardID        string       `json:"enKashCardId"`
	TransactionType     string       `json:"transactionType"` // CR or DR
	Amount              money.Amount `json:"amount"`
	Status              string       `json:"status"`
	Time                time.Time    `json:"time"`
}

type card struct {
	id, userID, email, mobile, title, firstName, gender string
	otb                                                 money.Amount
	created                                             time.Time // zero for the cards the sandbox starts with
}

// book is the account, its cards and its transactions. The Server's mutex
// guards it.
type book struct {
	balance  money.Amount
	cards    map[string]*card
	order    []*card // in creation order, for stable pages
	drift    int     // Options.ListDrift: pages of the listing answered so far
	byEmail  map[string]*card
	byMobile map[string]*card
	txns     []Transaction
	byRef    map[string][]int   // reference -> indexes into txns
	pending  []pendingTxn       // transactions not final yet, oldest first
	results  map[string]outcome // reference -> its first outcome, for the replay policy
}

// outcome is what one apply did: the transaction, its card, and the card's
// balance just after.
type outcome struct {
	txn Transaction
	c   *card
	otb money.Amount
}

func newBook(balance money.Amount) book {
	return book{
		balance: balance, cards: map[string]*card{}, byEmail: map[string]*card{}, byMobile: map[string]*card{},
		byRef: map[string][]int{}, results: map[string]outcome{},
	}
}

// refusal is a business failure: HTTP 200, code 1, the message.
type refusal string

func (r refusal) Error() string { return string(r) }

// Messages the sandbox answers with; the first ones are the portal's own.
const (
	msgInsufficientAccount = "Insufficient balance in card account"
	msgInsufficientCard    = "Insufficient balance in reward card"
	msgDuplicate           = "Duplicate reference number"
	msgDuplicate409        = "Transaction ID already exists"
	msgCardNotFound        = "Card not found"
)

var (
	emailRE  = regexp.MustCompile(`^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$`)
	mobileRE = regexp.MustCompile(`^\d{10}$`)
)

// checkPerson applies the field rules of the card APIs.
func checkPerson(r allocateRequest, requireGender bool) error {
	switch {
	case r.FirstName == "":
		return refusal("firstName is required")
	case !emailRE.MatchString(r.Email):
		return refusal("Invalid email")
	case !mobileRE.MatchString(r.Mobile):
		return refusal("Invalid mobile number, it must be 10 digits")
	case r.Title != "Mr" && r.Title != "Mrs" && r.Title != "Ms":
		return refusal("Invalid title, allowed values are Mr, Mrs, Ms")
	case (requireGender || r.Gender != "") && r.Gender != "M" && r.Gender != "F":
		return refusal("Invalid gender, allowed values are M, F")
	}
	return nil
}

// apply performs one create-allocate-points request on the book and returns
// what it did. ref is the reference as the server bound it ("" when
// the request spelled it in a way the server ignores).
//
// The bulk endpoint has no gender field, so it passes requireGender false.
func (b *book) apply(r allocateRequest, ref string, rng *rand.Rand, now time.Time, requireGender bool) (outcome, error) {
	if r.LoadAmount.Cmp(money.Amount{}) <= 0 {
		return outcome{}, refusal("loadAmount must be greater than 0")
	}
	var (
		c   *card
		err error
	)
	switch {
	case r.TransactionCode != codeAllocation:
		return outcome{}, refusal("Invalid transactionCode")
	case r.TransactionType == typeCredit && r.Type == kindAllocate:
		c, err = b.credit(r, rng, now, requireGender)
	case r.TransactionType == typeDebit && r.Type == kindUnallocate:
		c, err = b.debit(r)
	default:
		return outcome{}, refusal("Invalid transactionType and type combination")
	}
	if err != nil {
		return outcome{}, err
	}
	return b.record(r, ref, c, now), nil
}

// credit moves points from the account to a card: the given one, the
// user's (by e-mail or mobile), or a new card.
func (b *book) credit(r allocateRequest, rng *rand.Rand, now time.Time, requireGender bool) (*card, error) {
	var c *card
	if r.EnkashCardID != "" {
		var err error
		if c, err = b.existing(r); err != nil {
			return nil, err
		}
	} else {
		if err := checkPerson(r, requireGender); err != nil {
			return nil, err
		}
		e, m := b.byEmail[r.Email], b.byMobile[r.Mobile]
		if e != nil && m != nil && e != m {
			return nil, refusal("email and mobile belong to different users")
		}
		c = cmp.Or(e, m)
	}
	if b.balance.Cmp(r.LoadAmount) < 0 {
		return nil, refusal(msgInsufficientAccount)
	}
	if c == nil {
		c = b.newCard(r, rng, now)
	}
	b.balance = b.balance.Sub(r.LoadAmount)
	c.otb = c.otb.Add(r.LoadAmount)
	return c, nil
}

// debit moves points from a card back to the account.
func (b *book) debit(r allocateRequest) (*card, error) {
	c, err := b.existing(r)
	if err != nil {
		return nil, err
	}
	if c.otb.Cmp(r.LoadAmount) < 0 {
		return nil, refusal(msgInsufficientCard)
	}
	c.otb = c.otb.Sub(r.LoadAmount)
	b.balance = b.balance.Add(r.LoadAmount)
	return c, nil
}

// record books the transaction of an applied request, and the first
// result of its reference (what the replay policy answers).
func (b *book) record(r allocateRequest, ref string, c *card, now time.Time) outcome {
	txn := Transaction{
		EnKashTransactionID: fmt.Sprintf("ECTR%09d", len(b.txns)+1), PGReferenceNumber: ref,
		EnKashCardID: c.id, TransactionType: r.TransactionType, Amount: r.LoadAmount, Status: statusSucceeded, Time: now,
	}
	b.txns = append(b.txns, txn)
	if ref != "" {
		b.byRef[ref] = append(b.byRef[ref], len(b.txns)-1)
	}
	res := outcome{txn: txn, c: c, otb: c.otb}
	if ref != "" {
		if _, seen := b.results[ref]; !seen {
			b.results[ref] = res
		}
	}
	return res
}

// existing finds the card of a topup or debit and checks the optional
// e-mail and mobile against it.
func (b *book) existing(r allocateRequest) (*card, error) {
	if r.EnkashCardID == "" {
		return nil, refusal("enkashCardId is required for a top-up or a debit")
	}
	c := b.cards[r.EnkashCardID]
	if c == nil {
		return nil, refusal(msgCardNotFound)
	}
	if (r.Email != "" && r.Email != c.email) || (r.Mobile != "" && r.Mobile != c.mobile) {
		return nil, refusal("email or mobile does not match the card")
	}
	return c, nil
}

func (b *book) newCard(r allocateRequest, rng *rand.Rand, now time.Time) *card {
	c := &card{
		id: "EKC" + randomID(rng, 7), userID: "EKU" + randomID(rng, 6), email: r.Email, mobile: r.Mobile,
		title: r.Title, firstName: r.FirstName, gender: r.Gender, created: now,
	}
	for b.cards[c.id] != nil {
		c.id = "EKC" + randomID(rng, 7)
	}
	b.add(c)
	return c
}

// add files a new card under its id, e-mail and mobile.
func (b *book) add(c *card) {
	b.cards[c.id], b.byEmail[c.email], b.byMobile[c.mobile] = c, c, c
	b.order = append(b.order, c)
}

// find returns the transactions of the references applied no later than
// seen (a lagging replica's view), optionally on one card.
func (b *book) find(refs []string, cardID string, seen time.Time) []Transaction {
	var out []Transaction
	for _, ref := range refs {
		for _, i := range b.byRef[ref] {
			if !b.txns[i].Time.After(seen) && (cardID == "" || b.txns[i].EnKashCardID == cardID) {
				out = append(out, b.txns[i])
			}
		}
	}
	return out
}

const idAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

func randomID(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[rng.IntN(len(idAlphabet))]
	}
	return string(b)
}

// masked renders a card number from the mobile, as the portal's sample does
// (XXXX XXXX XXXX 8867).
func masked(mobile string) string {
	if len(mobile) < 4 {
		return "XXXX XXXX XXXX XXXX"
	}
	return "XXXX XXXX XXXX " + mobile[len(mobile)-4:]
}
