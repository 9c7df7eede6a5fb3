package enkash

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// Request builds the wire body, spelling the reference as configured.
func (c *Client) Request(a reward.Allocation) AllocateRequest {
	req := AllocateRequest{
		CompanyID:       firstNonEmpty(a.CompanyID, c.cfg.CompanyID),
		CardAccountID:   firstNonEmpty(a.CardAccountID, c.cfg.CardAccountID),
		TransactionCode: TransactionCodeAllocation,
		TransactionType: TypeCredit,
		Type:            KindAllocatePoint,
		EnkashCardID:    a.EnkashCardID,
		Email:           a.Email,
		Mobile:          a.Mobile,
		Title:           a.Title,
		FirstName:       a.FirstName,
		Gender:          a.Gender,
		LoadAmount:      a.Amount,
	}
	if a.Operation == reward.OpDebit {
		req.TransactionType, req.Type = TypeDebit, KindUnallocatePoint
	}
	switch c.cfg.ReferenceField {
	case RefNum:
		req.UniqueReferenceNum = a.Reference
	case RefBoth:
		req.UniqueReferenceNum, req.UniqueReferenceNumber = a.Reference, a.Reference
	default:
		req.UniqueReferenceNumber = a.Reference
	}
	return req
}

// Allocate calls create-allocate-points for one row. The caller compares
// the result's PGReferenceNumber with a.Reference.
func (c *Client) Allocate(ctx context.Context, a reward.Allocation) (*AllocateResult, error) {
	var res AllocateResult
	if err := c.post(ctx, PathCreateAllocate, nil, c.Request(a), &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// BulkAllocate calls bulk-create-allocate-points-json. With
// pointsForExisting false EnKash funds only users it creates.
func (c *Client) BulkAllocate(ctx context.Context, items []BulkItem, pointsForExisting bool) (*BulkResult, error) {
	q := url.Values{
		"companyId":          {c.cfg.CompanyID},
		"cardAccountId":      {c.cfg.CardAccountID},
		"isPointsAllocation": {strconv.FormatBool(pointsForExisting)},
	}
	var raw json.RawMessage
	if err := c.post(ctx, PathBulkAllocate, q, items, &raw); err != nil {
		return nil, err
	}
	res := BulkResult{Raw: raw}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, &AmbiguousError{Endpoint: PathBulkAllocate, HTTPStatus: 200, Err: fmt.Errorf("unreadable bulk payload: %w", err)}
	}
	return &res, nil
}

// Account calls cardAccount/get for the configured reward account.
func (c *Client) Account(ctx context.Context) (*Account, error) {
	var acc Account
	err := c.post(ctx, PathAccount, nil, AccountRequest{CardAccountID: c.cfg.CardAccountID, CompanyID: c.cfg.CompanyID}, &acc)
	if err != nil {
		return nil, err
	}
	return &acc, nil
}

// ErrUnfilteredLookup means transaction/all answered with transactions for
// other references, so it cannot prove that a reference is absent.
var ErrUnfilteredLookup = errors.New("the lookup answered with other references' transactions, so it cannot prove absence")

// FindTransactions calls transaction/all for one reference, narrowed to a
// card when enKashCardID is known. An empty result with code 0 is EnKash
// saying it has no such transaction; an error means nothing was proven.
func (c *Client) FindTransactions(ctx context.Context, reference, enKashCardID string) ([]Transaction, error) {
	q := TransactionQuery{
		CompanyID: c.cfg.CompanyID, CardAccountID: c.cfg.CardAccountID,
		EnKashCardID: enKashCardID, PGReferenceNumber: reference, PGReferenceNumbers: []string{reference},
	}
	var raw json.RawMessage
	if err := c.post(ctx, PathTransactions, nil, q, &raw); err != nil {
		return nil, err
	}
	txns, err := decodeList[Transaction](raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", PathTransactions, err)
	}
	for _, t := range txns {
		if t.PGReferenceNumber != reference {
			return nil, fmt.Errorf("%s: %w", PathTransactions, ErrUnfilteredLookup)
		}
	}
	return txns, nil
}

// SearchUsers calls search for the reward account, narrowed to one card
// when enKashCardID is not empty.
func (c *Client) SearchUsers(ctx context.Context, enKashCardID string) ([]User, error) {
	var raw json.RawMessage
	req := AccountRequest{CardAccountID: c.cfg.CardAccountID, CompanyID: c.cfg.CompanyID, EnKashCardID: enKashCardID}
	if err := c.post(ctx, PathSearch, nil, req, &raw); err != nil {
		return nil, err
	}
	users, err := decodeList[User](raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", PathSearch, err)
	}
	return users, nil
}

// decodeList reads a payload that the portal shows in several shapes: a
// bare array, a paged object {"recordsCount": n, "data": [...]} (or
// "content"/"transactions"), a single object, or null for none.
func decodeList[T any](raw json.RawMessage) ([]T, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []T
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("unreadable list: %w", err)
		}
		return list, nil
	}
	var paged struct {
		Data         json.RawMessage `json:"data"`
		Content      json.RawMessage `json:"content"`
		Transactions json.RawMessage `json:"transactions"`
	}
	if err := json.Unmarshal(raw, &paged); err != nil {
		return nil, fmt.Errorf("unreadable payload: %w", err)
	}
	for _, inner := range []json.RawMessage{paged.Data, paged.Content, paged.Transactions} {
		if len(inner) > 0 && inner[0] == '[' {
			if err := json.Unmarshal(inner, &list); err != nil {
				return nil, fmt.Errorf("unreadable list: %w", err)
			}
			return list, nil
		}
	}
	var one T
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, fmt.Errorf("unreadable item: %w", err)
	}
	return []T{one}, nil
}
