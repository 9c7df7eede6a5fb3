package enkash

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// The API paths. Every one is a POST.
const (
	PathToken          = "/oauth/token"
	PathCreateAllocate = "/api/v0/partner/enKashCard/create-allocate-points"
	PathBulkAllocate   = "/api/v0/partner/enKashCard/bulk-create-allocate-points-json"
	PathAccount        = "/api/v0/partner/enKashCard/cardAccount/get"
	PathTransactions   = "/api/v0/partner/enKashCard/transaction/all"
	PathSearch         = "/api/v0/partner/enKashCard/search"
)

// The fixed enum values of create-allocate-points.
const (
	TransactionCodeAllocation = "ALLOCATION"
	TypeCredit                = "CR"
	TypeDebit                 = "DR"
	KindAllocatePoint         = "ALLOCATE_POINT"
	KindUnallocatePoint       = "UNALLOCATE_POINT"
)

// AllocateRequest is the body of create-allocate-points as it goes on the
// wire. Callers build an [reward.Allocation]; the client fills this.
type AllocateRequest struct {
	CompanyID             string       `json:"companyId"`
	CardAccountID         string       `json:"cardAccountId"`
	TransactionCode       string       `json:"transactionCode"`
	TransactionType       string       `json:"transactionType"`
	Type                  string       `json:"type"`
	EnkashCardID          string       `json:"enkashCardId,omitempty"`
	Email                 string       `json:"email,omitempty"`
	Mobile                string       `json:"mobile,omitempty"`
	Title                 string       `json:"title,omitempty"`
	FirstName             string       `json:"firstName,omitempty"`
	Gender                string       `json:"gender,omitempty"`
	LoadAmount            money.Amount `json:"loadAmount"`
	UniqueReferenceNumber string       `json:"uniqueReferenceNumber,omitempty"`
	UniqueReferenceNum    string       `json:"uniqueReferenceNum,omitempty"`
}

// Reference returns the reference under whichever spelling was sent.
func (r AllocateRequest) Reference() string {
	if r.UniqueReferenceNumber != "" {
		return r.UniqueReferenceNumber
	}
	return r.UniqueReferenceNum
}

// AllocateResult is the success payload of create-allocate-points.
type AllocateResult struct {
	EnKashCardID      string      `json:"enKashCardId"`
	UserID            string      `json:"userId,omitempty"`
	CardAccountID     string      `json:"cardAccountId,omitempty"`
	EnkashCardTxnID   string      `json:"enkashCardTxnId"`
	PGReferenceNumber string      `json:"pgReferenceNumber"`
	OTBBalance        json.Number `json:"otbBalance"`
	MaskedNumber      string      `json:"maskedNumber,omitempty"`
	Email             string      `json:"email,omitempty"`
	Mobile            string      `json:"mobile,omitempty"`
	Title             string      `json:"title,omitempty"`
	FirstName         string      `json:"firstName,omitempty"`
	Gender            string      `json:"gender,omitempty"`
}

// UnmarshalJSON reads the success payload, with otbBalance in every JSON
// form rewritten as a plain decimal ("2.5E7" becomes "25000000").
func (r *AllocateResult) UnmarshalJSON(b []byte) error {
	type plain AllocateResult
	var aux struct {
		plain
		OTBBalance json.RawMessage `json:"otbBalance"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*r = AllocateResult(aux.plain)
	otb, err := wireNumber(aux.OTBBalance)
	if err != nil {
		return fmt.Errorf("otbBalance: %w", err)
	}
	r.OTBBalance = otb
	return nil
}

// wireNumber reads a number EnKash wrote in any JSON form (see
// [money.ParseWire]) and returns it as a plain decimal; absent or null is "".
func wireNumber(raw json.RawMessage) (json.Number, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	a, err := money.ParseWire(string(raw))
	if err != nil {
		return "", err
	}
	return json.Number(a.String()), nil
}

// BulkItem is one element of the bulk create-and-allocate body. Note "name",
// not "firstName", and no gender or transaction fields.
type BulkItem struct {
	Title                 string       `json:"title"`
	Name                  string       `json:"name"`
	Email                 string       `json:"email"`
	Mobile                string       `json:"mobile"`
	LoadAmount            money.Amount `json:"loadAmount"`
	Remarks               string       `json:"remarks,omitempty"`
	UniqueReferenceNumber string       `json:"uniqueReferenceNumber,omitempty"`
}

// BulkSuccess is one allocated item of a bulk answer.
type BulkSuccess struct {
	BulkItem
	CompanyID       string      `json:"companyId,omitempty"`
	CardAccountID   string      `json:"cardAccountId,omitempty"`
	EnKashCardID    string      `json:"enKashCardId"`
	UserID          string      `json:"userId,omitempty"`
	EnkashCardTxnID string      `json:"enkashCardTxnId,omitempty"`
	OTBBalance      json.Number `json:"otbBalance,omitempty"`
}

// BulkFailure is one refused item of a bulk answer. The portal cuts off the
// real key names; these are the sandbox's and are kept with the raw payload.
type BulkFailure struct {
	BulkItem
	FailureReason string `json:"failureReason"`
}

// BulkResult is the payload of bulk create-and-allocate. Raw keeps the whole
// payload, because the portal does not document all of its keys.
type BulkResult struct {
	Successes    []BulkSuccess   `json:"successBulkEnKashCardCreateDTOs"`
	Failures     []BulkFailure   `json:"failureBulkEnKashCardCreateDTOs"`
	SuccessCount int             `json:"successCount"`
	FailureCount int             `json:"failureCount"`
	TotalCount   int             `json:"totalCount"`
	Raw          json.RawMessage `json:"-"`
}

// AccountRequest is the body of cardAccount/get, search and sso-token.
type AccountRequest struct {
	CardAccountID string `json:"cardAccountId"`
	CompanyID     string `json:"companyId"`
	EnKashCardID  string `json:"enKashCardId,omitempty"`
}

// Account is the payload of cardAccount/get. Balances stay json.Number so
// that nothing passes through a float.
type Account struct {
	CardAccountID               string      `json:"cardAccountId"`
	CompanyID                   string      `json:"companyId"`
	CompanyName                 string      `json:"companyName"`
	AvailableBalance            json.Number `json:"availableBalance"`
	TotalCards                  json.Number `json:"totalCards,omitempty"`
	ActiveCards                 json.Number `json:"activeCards,omitempty"`
	TotalAllocationPoint        json.Number `json:"totalAllocationPoint,omitempty"`
	TotalRedemptionPoint        json.Number `json:"totalRedemptionPoint,omitempty"`
	CurrentMonthAllocationPoint json.Number `json:"currentMonthAllocationPoint,omitempty"`
	CurrentMonthRedemptionPoint json.Number `json:"currentMonthRedemptionPoint,omitempty"`
}

// Balance returns AvailableBalance as an exact amount, in whichever JSON
// form EnKash wrote it (see [money.ParseWire]). Non-zero digits beyond
// hundredths are an error, never rounded.
func (a Account) Balance() (money.Amount, error) {
	if a.AvailableBalance == "" {
		return money.Amount{}, errors.New("EnKash did not return availableBalance")
	}
	return money.ParseWire(string(a.AvailableBalance))
}

// TransactionQuery is the body of transaction/all. The portal's schema asks
// for enKashCardId too; whether a lookup by reference alone works is
// unconfirmed, so the card is sent only when known.
type TransactionQuery struct {
	CompanyID          string   `json:"companyId"`
	CardAccountID      string   `json:"cardAccountId"`
	EnKashCardID       string   `json:"enKashCardId,omitempty"`
	PGReferenceNumber  string   `json:"pgReferenceNumber,omitempty"`
	PGReferenceNumbers []string `json:"pgReferenceNumbers,omitempty"`
	Paging
}

// SearchQuery is the body of search (Get User Details). The e-mail and
// mobile filters are not documented; a server that ignores them lists every
// user, and the client matches them itself.
type SearchQuery struct {
	CardAccountID string `json:"cardAccountId"`
	CompanyID     string `json:"companyId"`
	EnKashCardID  string `json:"enKashCardId,omitempty"`
	Email         string `json:"email,omitempty"`
	Mobile        string `json:"mobile,omitempty"`
	Paging
}

// Transaction is one item of a transaction/all answer.
type Transaction struct {
	EnKashCardID        string      `json:"enKashCardId"`
	EnKashTransactionID string      `json:"enKashTransactionId"`
	PGReferenceNumber   string      `json:"pgReferenceNumber"`
	CardTransactionType string      `json:"cardTransactionType"`
	Amount              json.Number `json:"amount"`
	Status              string      `json:"status"`
	TxnDate             string      `json:"txnDate,omitempty"`
}

// UnmarshalJSON accepts the transaction id under each spelling the portal
// uses (enKashTransactionId, enkashCardTxnId, enkashCardTransactionId), and
// the amount in every JSON form, rewritten as a plain decimal ("2.5E7"
// becomes "25000000"). An amount that cannot be read exactly is an error.
func (t *Transaction) UnmarshalJSON(b []byte) error {
	type plain Transaction
	var aux struct {
		plain
		Amount json.RawMessage `json:"amount"`
		TxnID  string          `json:"enkashCardTxnId"`
		TxnID2 string          `json:"enkashCardTransactionId"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*t = Transaction(aux.plain)
	amount, err := wireNumber(aux.Amount)
	if err != nil {
		return fmt.Errorf("transaction amount: %w", err)
	}
	t.Amount = amount
	for _, id := range []string{aux.TxnID, aux.TxnID2} {
		if t.EnKashTransactionID == "" {
			t.EnKashTransactionID = id
		}
	}
	return nil
}

// User is one card holder of a search answer.
type User struct {
	EnKashCardID  string      `json:"enKashCardId"`
	UserID        string      `json:"userId"`
	CardAccountID string      `json:"cardAccountId"`
	Email         string      `json:"email,omitempty"`
	Mobile        string      `json:"mobile,omitempty"`
	Title         string      `json:"title,omitempty"`
	FirstName     string      `json:"firstName,omitempty"`
	MaskedNumber  string      `json:"maskedNumber,omitempty"`
	OTBBalance    json.Number `json:"otbBalance,omitempty"`
}

// Envelope is a decoded response envelope. EnKash uses code/message on some
// endpoints and response_code/response_message on others; both land here.
// Payload stays raw: an object on success, often a plain string on failure.
type Envelope struct {
	Code    int
	Message string
	Payload json.RawMessage
}

type flexInt struct {
	n   int
	set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	if s := string(bytes.Trim(b, `"`)); s == "null" || s == "" {
		return nil
	}
	n, ok := wholeNumber(b)
	if !ok {
		return fmt.Errorf("code %s is not a number", b)
	}
	f.n, f.set = int(n), true
	return nil
}

// wholeNumber reads a whole number EnKash wrote in any JSON form ("3",
// "3.0", "3E0", "\"3\"").
func wholeNumber(raw []byte) (int64, bool) {
	a, err := money.ParseWire(string(raw))
	if err != nil || a.Hundredths()%100 != 0 {
		return 0, false
	}
	return a.Hundredths() / 100, true
}

// DecodeEnvelope reads either envelope form. A body without any code field
// is an error: it is not an EnKash answer.
func DecodeEnvelope(body []byte) (Envelope, error) {
	var raw struct {
		Code            flexInt         `json:"code"`
		ResponseCode    flexInt         `json:"response_code"`
		Message         string          `json:"message"`
		ResponseMessage string          `json:"response_message"`
		Payload         json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Envelope{}, fmt.Errorf("response is not JSON: %w", err)
	}
	env := Envelope{Payload: raw.Payload, Message: raw.Message}
	switch {
	case raw.Code.set:
		env.Code = raw.Code.n
	case raw.ResponseCode.set:
		env.Code = raw.ResponseCode.n
	default:
		return Envelope{}, errors.New("response has neither code nor response_code")
	}
	if env.Message == "" {
		env.Message = raw.ResponseMessage
	}
	return env, nil
}

// FailureText returns the most useful failure text: the message, or the
// payload when it is a plain string and the message is empty.
func (e Envelope) FailureText() string {
	if e.Message != "" && e.Message != "Failure" {
		return e.Message
	}
	var s string
	if json.Unmarshal(e.Payload, &s) == nil && s != "" {
		return s
	}
	if e.Message != "" {
		return e.Message
	}
	return "no message"
}
