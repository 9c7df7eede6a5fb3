package sandbox

import (
	"encoding/json"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// The API paths the sandbox serves, as the portal names them. The sandbox
// keeps its own copy so that it cannot share a misreading with the client.
const (
	PathToken          = "/oauth/token"
	PathCreateAllocate = "/api/v0/partner/enKashCard/create-allocate-points"
	PathBulkAllocate   = "/api/v0/partner/enKashCard/bulk-create-allocate-points-json"
	PathAccount        = "/api/v0/partner/enKashCard/cardAccount/get"
	PathTransactions   = "/api/v0/partner/enKashCard/transaction/all"
	PathSearch         = "/api/v0/partner/enKashCard/search"
)

// The enum values create-allocate-points accepts.
const (
	codeAllocation  = "ALLOCATION"
	typeCredit      = "CR"
	typeDebit       = "DR"
	kindAllocate    = "ALLOCATE_POINT"
	kindUnallocate  = "UNALLOCATE_POINT"
	statusSucceeded = "SUCCESS"
	statusFailed    = "FAILED"
)

// allocateRequest is the body of create-allocate-points as the sandbox
// reads it: both spellings of the reference are decoded, and the server
// binds the one its ReferenceField names.
type allocateRequest struct {
	CompanyID       string       `json:"companyId"`
	CardAccountID   string       `json:"cardAccountId"`
	TransactionCode string       `json:"transactionCode"`
	TransactionType string       `json:"transactionType"`
	Type            string       `json:"type"`
	EnkashCardID    string       `json:"enkashCardId"`
	Email           string       `json:"email"`
	Mobile          string       `json:"mobile"`
	Title           string       `json:"title"`
	FirstName       string       `json:"firstName"`
	Gender          string       `json:"gender"`
	LoadAmount      money.Amount `json:"loadAmount"`
	RefNumber       string       `json:"uniqueReferenceNumber"`
	RefNum          string       `json:"uniqueReferenceNum"`
}

// allocateAnswer is the success payload of create-allocate-points. Its
// numbers are rendered by the server's [Options.NumberStyle];
// PGReferenceNumber is null when the request's reference was not bound, as
// a server ignoring an unknown key would answer.
type allocateAnswer struct {
	EnKashCardID      string          `json:"enKashCardId"`
	UserID            string          `json:"userId"`
	CardAccountID     string          `json:"cardAccountId"`
	EnkashCardTxnID   string          `json:"enkashCardTxnId"`
	PGReferenceNumber *string         `json:"pgReferenceNumber"`
	OTBBalance        json.RawMessage `json:"otbBalance"`
	MaskedNumber      string          `json:"maskedNumber"`
	Email             string          `json:"email"`
	Mobile            string          `json:"mobile"`
	Title             string          `json:"title"`
	FirstName         string          `json:"firstName"`
	Gender            string          `json:"gender,omitempty"`
}

// bulkItem is one element of the bulk body: "name", not "firstName".
type bulkItem struct {
	Title                 string       `json:"title"`
	Name                  string       `json:"name"`
	Email                 string       `json:"email"`
	Mobile                string       `json:"mobile"`
	LoadAmount            money.Amount `json:"loadAmount"`
	Remarks               string       `json:"remarks,omitempty"`
	UniqueReferenceNumber string       `json:"uniqueReferenceNumber,omitempty"`
}

// bulkEcho is an item as a bulk answer repeats it, its amount rendered in
// the server's number style.
type bulkEcho struct {
	Title                 string          `json:"title"`
	Name                  string          `json:"name"`
	Email                 string          `json:"email"`
	Mobile                string          `json:"mobile"`
	LoadAmount            json.RawMessage `json:"loadAmount"`
	Remarks               string          `json:"remarks,omitempty"`
	UniqueReferenceNumber string          `json:"uniqueReferenceNumber,omitempty"`
}

type bulkSuccess struct {
	bulkEcho
	CompanyID       string          `json:"companyId"`
	CardAccountID   string          `json:"cardAccountId"`
	EnKashCardID    string          `json:"enKashCardId"`
	UserID          string          `json:"userId"`
	EnkashCardTxnID string          `json:"enkashCardTxnId"`
	OTBBalance      json.RawMessage `json:"otbBalance"`
}

type bulkFailure struct {
	bulkEcho
	FailureReason string `json:"failureReason"`
}

// bulkAnswer is the payload of the bulk endpoint. A list left out by the
// answer shape ([Options.BulkAnswer]) is nil and absent from the JSON.
type bulkAnswer struct {
	Successes    *[]bulkSuccess `json:"successBulkEnKashCardCreateDTOs,omitempty"`
	Failures     *[]bulkFailure `json:"failureBulkEnKashCardCreateDTOs,omitempty"`
	SuccessCount int            `json:"successCount"`
	FailureCount int            `json:"failureCount"`
	TotalCount   int            `json:"totalCount"`
}

// accountQuery is the body of cardAccount/get and search, with search's
// optional filters and both paging spellings.
type accountQuery struct {
	CardAccountID string `json:"cardAccountId"`
	CompanyID     string `json:"companyId"`
	EnKashCardID  string `json:"enKashCardId"`
	Email         string `json:"email"`
	Mobile        string `json:"mobile"`
	paging
}

// accountAnswer is the payload of cardAccount/get.
type accountAnswer struct {
	CardAccountID    string          `json:"cardAccountId"`
	CompanyID        string          `json:"companyId"`
	CompanyName      string          `json:"companyName"`
	AvailableBalance json.RawMessage `json:"availableBalance"`
	TotalCards       int             `json:"totalCards"`
	ActiveCards      int             `json:"activeCards"`
}

// transactionQuery is the body of transaction/all.
type transactionQuery struct {
	CompanyID          string   `json:"companyId"`
	CardAccountID      string   `json:"cardAccountId"`
	EnKashCardID       string   `json:"enKashCardId"`
	PGReferenceNumber  string   `json:"pgReferenceNumber"`
	PGReferenceNumbers []string `json:"pgReferenceNumbers"`
	paging
}

// paging holds both paging spellings a request may use: records
// (pageNumber from 1, pageSize) and Spring (page from 0, size).
type paging struct {
	PageNumber *int `json:"pageNumber"`
	PageSize   *int `json:"pageSize"`
	Page       *int `json:"page"`
	Size       *int `json:"size"`
}

// transactionItem is one transaction of a transaction/all answer.
type transactionItem struct {
	EnKashCardID        string          `json:"enKashCardId"`
	EnKashTransactionID string          `json:"enKashTransactionId"`
	PGReferenceNumber   string          `json:"pgReferenceNumber"`
	CardTransactionType string          `json:"cardTransactionType"`
	Amount              json.RawMessage `json:"amount"`
	Status              string          `json:"status"`
	TxnDate             string          `json:"txnDate"`
}

// userItem is one card holder of a search answer.
type userItem struct {
	EnKashCardID  string          `json:"enKashCardId"`
	UserID        string          `json:"userId"`
	CardAccountID string          `json:"cardAccountId"`
	Email         string          `json:"email"`
	Mobile        string          `json:"mobile"`
	Title         string          `json:"title"`
	FirstName     string          `json:"firstName"`
	MaskedNumber  string          `json:"maskedNumber"`
	OTBBalance    json.RawMessage `json:"otbBalance"`
}

// codeEnvelope and responseEnvelope are the portal's two response forms.
type codeEnvelope struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Payload any    `json:"payload"`
}

type responseEnvelope struct {
	ResponseCode    int    `json:"response_code"`
	ResponseMessage string `json:"response_message"`
	Payload         any    `json:"payload"`
}
