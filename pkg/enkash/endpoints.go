package enkash

import (
	"errors"
	"net/http"
	"time"

	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"go.uber.org/zap"
	"net/url"
	"strconv"

	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// Request builds the wire body, spelling the reference as configured.
func (c *Client) Request(a reward.Allocation) AllocateRequest {
	req := AllocateRequest{
		CompanyID:       cmp.Or(a.CompanyID, c.cfg.CompanyID),
		CardAccountID:   cmp.Or(a.CardAccountID, c.cfg.CardAccountID),
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
// pointsForExisting false EnKash funds only users it creates. An HTTP 400
// is judged as [Client.AllocateBulk] judges it: a *RejectedError or
// *DuplicateError only when its body proves that nothing of the call was
// applied, else an [*AmbiguousError].
func (c *Client) BulkAllocate(ctx context.Context, items []BulkItem, pointsForExisting bool) (*BulkResult, error) {
	raw, err := c.postBulk(ctx, items, pointsForExisting)
	if err != nil {
		sent := make(map[string]money.Amount, len(items))
		for _, it := range items {
			sent[it.UniqueReferenceNumber] = it.LoadAmount
		}
		_, err = c.bulkRefused(err, sent)
		return nil, err
	}
	res := BulkResult{Raw: raw}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, &AmbiguousError{Endpoint: PathBulkAllocate, HTTPStatus: 200, Err: fmt.Errorf("unreadable bulk payload: %w", err)}
	}
	return &res, nil
}

// postBulk posts items to bulk-create-allocate-points-json for the
// configured reward account and returns the answer's payload.
func (c *Client) postBulk(ctx context.Context, items []BulkItem, pointsForExisting bool) (json.RawMessage, error) {
	q := url.Values{
		"companyId":          {c.cfg.CompanyID},
		"cardAccountId":      {c.cfg.CardAccountID},
		"isPointsAllocation": {strconv.FormatBool(pointsForExisting)},
	}
	var raw json.RawMessage
	if err := c.post(ctx, PathBulkAllocate, q, items, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// DefaultAccountRetryFor bounds how long [Client.Account] retries.
const DefaultAccountRetryFor = 2 * time.Minute

// Account calls cardAccount/get for the configured reward account: the
// pre-flight of a run. It reads nothing but a balance, so a 429, 502, 503
// or 504 is retried, after the Retry-After EnKash gives (in seconds or as an
// HTTP date) or a capped backoff, while the waits fit in the bound set by
// [WithAccountRetryFor]; a wait that would not fit returns the error at
// once.
func (c *Client) Account(ctx context.Context) (*Account, error) {
	giveUp := time.Now().Add(c.accountRetryFor)
	for n := 1; ; n++ {
		var acc Account
		err := c.post(ctx, PathAccount, nil, AccountRequest{CardAccountID: c.cfg.CardAccountID, CompanyID: c.cfg.CompanyID}, &acc)
		if err == nil {
			return &acc, nil
		}
		wait, ok := readRetry(err, n)
		if !ok || time.Now().Add(wait).After(giveUp) {
			return nil, err
		}
		c.log.Warn("the reward account balance is not available yet; waiting", zap.Duration("wait", wait), zap.Error(err))
		if serr := sleepCtx(ctx, wait); serr != nil {
			return nil, err
		}
	}
}

// readRetry says whether a read that failed with err may be tried again,
// and after how long: the Retry-After of a 429, 502, 503 or 504, else one
// second doubling per attempt n, at most 15 seconds.
func readRetry(err error, n int) (time.Duration, bool) {
	var (
		na  *NotAppliedError
		amb *AmbiguousError
	)
	backoff := min(time.Second<<min(max(n-1, 0), 4), 15*time.Second)
	switch {
	case errors.As(err, &na) && na.HTTPStatus == http.StatusTooManyRequests:
		return cmp.Or(na.RetryAfter, backoff), true
	case errors.As(err, &amb) && (amb.HTTPStatus == http.StatusBadGateway || amb.HTTPStatus == http.StatusServiceUnavailable ||
		amb.HTTPStatus == http.StatusGatewayTimeout):
		return cmp.Or(amb.RetryAfter, backoff), true
	}
	return 0, false
}
