package enkash_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pager answers list requests page by page in one server style, reading
// the paging fields of the body as that style's server would.
type pager struct {
	style string   // records, page-count, capped-count, spring, spring-no-total, ignore-paging, wrong-echo, endless (new items on every page), array (pages silently), whole-array (the whole list every time)
	size  int      // the server's own page size
	items []string // JSON objects
	calls atomic.Int64
	first atomic.Pointer[map[string]any] // the first request's body
}

func (p *pager) handle(w http.ResponseWriter, r *http.Request) {
	p.calls.Add(1)
	var m map[string]any
	_ = json.NewDecoder(r.Body).Decode(&m)
	p.first.CompareAndSwap(nil, &m)
	var q struct{ PageNumber, PageSize, Page, Size int }
	b, _ := json.Marshal(m)
	_ = json.Unmarshal(b, &q)
	k := q.PageNumber // 1-based
	if strings.HasPrefix(p.style, "spring") {
		k = q.Page + 1
	}
	if p.style == "ignore-paging" || p.style == "ignore-paging-own-count" || p.style == "wrong-echo" || p.style == "whole-array" {
		k = 1
	}
	size := p.size
	if p.style == "whole-array" {
		size = max(len(p.items), 1)
	}
	total := (len(p.items) + size - 1) / size
	from, to := min((k-1)*size, len(p.items)), min(k*size, len(p.items))
	data := "[" + strings.Join(p.items[from:to], ",") + "]"
	var payload string
	switch p.style {
	case "records", "ignore-paging":
		payload = fmt.Sprintf(`{"recordsCount":%d.0,"totalPages":%d,"data":%s}`, len(p.items), total, data)
	case "page-count", "ignore-paging-own-count": // recordsCount counts the page's own items
		payload = fmt.Sprintf(`{"recordsCount":%d,"data":%s}`, to-from, data)
	case "capped-count": // recordsCount stops at 4, as a search engine's may
		payload = fmt.Sprintf(`{"recordsCount":%d,"data":%s}`, min(len(p.items), 4), data)
	case "wrong-echo":
		payload = fmt.Sprintf(`{"recordsCount":%d,"totalPages":%d,"pageNumber":1,"data":%s}`, len(p.items), total, data)
	case "endless":
		payload = fmt.Sprintf(`{"recordsCount":100000,"totalPages":100000,"pageNumber":%d,"data":[%s]}`, q.PageNumber,
			txn(fmt.Sprintf("T%d", q.PageNumber), "R", "SUCCESS"))
	case "spring":
		payload = fmt.Sprintf(`{"content":%s,"totalElements":%d,"totalPages":%d,"number":%d,"last":%t}`, data, len(p.items), total, k-1, k >= total)
	case "array", "whole-array":
		payload = data
	case "spring-no-total":
		payload = fmt.Sprintf(`{"content":%s,"number":%d,"last":%t}`, data, k-1, k >= total)
	}
	reply(w, 200, `{"code":0,"message":"Success","payload":`+payload+`}`)
}

func txn(id, ref, status string) string {
	return fmt.Sprintf(`{"enKashCardId":"EKC1","enKashTransactionId":%q,"pgReferenceNumber":%q,"cardTransactionType":"CR","amount":1.0E2,"status":%q}`, id, ref, status)
}

func TestFindTransactionsReadsEveryPage(t *testing.T) {
	t.Parallel()
	five := []string{txn("T1", "R", "FAILED"), txn("T2", "R", "SUCCESS"), txn("T3", "R", "PENDING"), txn("T4", "R", "SUCCESS"), txn("T5", "R", "CREATED")}
	tests := []struct {
		name  string
		style string
		size  int
		calls int64
	}{
		{"records style, three pages", "records", 2, 3},
		{"Spring style, three pages", "spring", 2, 3},
		{"Spring style without totals stops on last", "spring-no-total", 2, 3},
		{"one page bigger than the list", "records", 50, 1},
		{"bare lists paged silently: read until an empty page", "array", 2, 4},
		{"a whole bare list: the next page repeats it", "whole-array", 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &pager{style: tt.style, size: tt.size, items: five}
			f := serve(t, p.handle)
			lk, err := newClient(t, config(f.URL)).FindTransactions(context.Background(), "R", "")
			require.NoError(t, err)
			assert.Equal(t, tt.calls, p.calls.Load())
			assert.True(t, lk.Conclusive)
			var ids []string
			for _, tx := range lk.Transactions {
				ids = append(ids, tx.EnKashTransactionID)
				assert.Equal(t, "100", tx.Amount.String())
			}
			assert.Equal(t, []string{"T1", "T2", "T3", "T4", "T5"}, ids)
		})
	}
}

func TestFindTransactionsWholeListWithoutIDs(t *testing.T) {
	t.Parallel()
	noID := `{"pgReferenceNumber":"R","amount":"100.00","status":"SUCCESS"}`
	p := &pager{style: "whole-array", items: []string{noID, noID}}
	f := serve(t, p.handle)
	lk, err := newClient(t, config(f.URL)).FindTransactions(context.Background(), "R", "EKC1")
	require.NoError(t, err)
	assert.Len(t, lk.Transactions, 2, "the repeat of a whole list is not read twice")
	assert.Equal(t, int64(2), p.calls.Load())
}

func TestFindTransactionsEmptyAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
	}{
		{"payload null", `{"code":0,"message":"Success","payload":null}`},
		{"no payload", `{"code":0,"message":"Success"}`},
		{"No records found", `{"code":1,"message":"No records found","payload":"No records found"}`},
		{"empty list", `{"code":0,"payload":[]}`},
		{"empty page", `{"code":0,"payload":{"recordsCount":0,"data":[]}}`},
		{"empty Spring page", `{"code":0,"payload":{"content":[],"totalElements":0,"totalPages":0,"number":0,"last":true}}`},
		{"null data", `{"code":0,"payload":{"recordsCount":0,"data":null}}`},
		{"empty object", `{"code":0,"payload":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := serve(t, func(w http.ResponseWriter, _ *http.Request) { reply(w, 200, tt.body) })
			c := newClient(t, config(f.URL))
			lk, err := c.FindTransactions(context.Background(), "R", "EKC1")
			require.NoError(t, err)
			assert.Empty(t, lk.Transactions)
			assert.True(t, lk.Conclusive, "empty for a given card")
			lk, err = c.FindTransactions(context.Background(), "R", "")
			require.NoError(t, err)
			assert.Empty(t, lk.Transactions)
			assert.False(t, lk.Conclusive, "an empty answer without the card proves nothing")
		})
	}
}

func TestFindTransactionsRefusesAnswersThatProveNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		api   http.HandlerFunc
		want  error
		safer enkash.Safety
	}{
		{"another reference on a later page", (&pager{style: "records", size: 1, items: []string{txn("T1", "R", "SUCCESS"), txn("T9", "OTHER", "SUCCESS")}}).handle,
			enkash.ErrUnfilteredLookup, enkash.SafetyAmbiguous},
		{"a server that ignores paging: the rest cannot be seen", (&pager{style: "ignore-paging", size: 2, items: []string{txn("T1", "R", "FAILED"), txn("T2", "R", "FAILED"), txn("T3", "R", "SUCCESS")}}).handle,
			nil, enkash.SafetyAmbiguous},
		{"a page that is not the one asked for", (&pager{style: "wrong-echo", size: 1, items: []string{txn("T1", "R", "SUCCESS"), txn("T2", "R", "SUCCESS")}}).handle,
			nil, enkash.SafetyAmbiguous},
		{"endless pages", (&pager{style: "endless", size: 1}).handle, enkash.ErrTooManyPages, enkash.SafetyAmbiguous},
		{"a lookup that needs the card", func(w http.ResponseWriter, _ *http.Request) {
			reply(w, 200, `{"code":1,"message":"enKashCardId is required","payload":"enKashCardId is required"}`)
		}, nil, enkash.SafetyRejected},
		{"an unreadable amount", func(w http.ResponseWriter, _ *http.Request) {
			reply(w, 200, `{"code":0,"payload":[{"pgReferenceNumber":"R","amount":"1,000"}]}`)
		}, nil, enkash.SafetyAmbiguous},
		{"an unreadable page count", func(w http.ResponseWriter, _ *http.Request) {
			reply(w, 200, `{"code":0,"payload":{"totalPages":"many","data":[]}}`)
		}, nil, enkash.SafetyAmbiguous},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := serve(t, tt.api)
			lk, err := newClient(t, config(f.URL)).FindTransactions(context.Background(), "R", "EKC1")
			require.Error(t, err)
			assert.Empty(t, lk.Transactions)
			assert.False(t, lk.Conclusive)
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
			}
			assert.Equal(t, tt.safer, enkash.Classify(err), "%v", err)
		})
	}
}

func TestTransactionState(t *testing.T) {
	t.Parallel()
	for status, want := range map[string]enkash.TxnState{
		"SUCCESS": enkash.TxnApplied, "success": enkash.TxnApplied, "Successful": enkash.TxnApplied, "COMPLETED": enkash.TxnApplied,
		"PENDING": enkash.TxnPending, "PROCESSING": enkash.TxnPending, "CREATED": enkash.TxnPending, "INITIATED": enkash.TxnPending,
		"in progress": enkash.TxnPending, "ON_HOLD": enkash.TxnPending, "": enkash.TxnPending, "SUCCESS_PENDING": enkash.TxnPending,
		"FAILED": enkash.TxnFailed, "Declined": enkash.TxnFailed, "REVERSED": enkash.TxnFailed, "cancelled": enkash.TxnFailed,
		" failure ": enkash.TxnFailed,
	} {
		assert.Equal(t, want, enkash.Transaction{Status: status}.State(), "%q", status)
	}
	assert.Equal(t, "pending", enkash.TxnState(0).String(), "the zero state proves nothing")
	assert.Equal(t, "applied", enkash.TxnApplied.String())
	assert.Equal(t, "failed", enkash.TxnFailed.String())
}

func user(card, email, mobile string) string {
	return fmt.Sprintf(`{"enKashCardId":%q,"userId":"U-%s","cardAccountId":"A1","email":%q,"mobile":%q,"firstName":"A"}`, card, card, email, mobile)
}

func TestFindCard(t *testing.T) {
	t.Parallel()
	users := []string{
		user("EKC1", "asha@example.com", "9876500001"), user("EKC2", "Ravi.K@Example.com", "9876500002"),
		user("EKC3", "meena@example.com", "+91 98765 00003"), user("EKC4", "dup@example.com", "9876500004"),
		user("EKC5", "dup@example.com", "9876500005"),
	}
	tests := []struct {
		name, email, mobile string
		style               string
		card                string
		err                 error
	}{
		{"e-mail without case, on page 1", "ravi.k@example.COM", "", "records", "EKC2", nil},
		{"mobile with a country code, on page 2", "", "9876500003", "records", "EKC3", nil},
		{"both on one card, Spring pages", "asha@example.com", "09876500001", "spring", "EKC1", nil},
		{"either matches", "nobody@example.com", "9876500002", "spring", "EKC2", nil},
		{"e-mail and mobile on different cards", "asha@example.com", "9876500002", "records", "", enkash.ErrManyCards},
		{"two cards with one e-mail", "dup@example.com", "", "records", "", enkash.ErrManyCards},
		{"nobody", "nobody@example.com", "9000000000", "records", "", enkash.ErrNoCard},
		{"nothing to match", " ", "", "records", "", enkash.ErrNoCard},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &pager{style: tt.style, size: 2, items: users}
			f := serve(t, func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, enkash.PathSearch, r.URL.Path)
				p.handle(w, r)
			})
			card, err := newClient(t, config(f.URL)).FindCard(context.Background(), tt.email, tt.mobile)
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				assert.Empty(t, card)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.card, card)
			m := *p.first.Load()
			assert.Equal(t, "A1", m["cardAccountId"])
			if tt.email != "" {
				assert.Equal(t, strings.TrimSpace(tt.email), m["email"], "the filter is sent for a server that honours it")
			}
		})
	}
}

// andSearch is a search that honours its filters and requires all of them
// to match, exactly as written.
func andSearch(users [][3]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var q struct{ Email, Mobile string }
		_ = json.NewDecoder(r.Body).Decode(&q)
		var found []string
		for _, u := range users {
			if (q.Email == "" || q.Email == u[1]) && (q.Mobile == "" || q.Mobile == u[2]) {
				found = append(found, user(u[0], u[1], u[2]))
			}
		}
		reply(w, 200, `{"code":0,"payload":{"recordsCount":`+fmt.Sprint(len(found))+`,"data":[`+strings.Join(found, ",")+`]}}`)
	}
}

func TestFindCardWhenTheServerRequiresEveryFilter(t *testing.T) {
	t.Parallel()
	users := [][3]string{{"EKC1", "asha@example.com", "9876500001"}, {"EKC2", "ravi@example.com", "9876500002"}}
	tests := []struct {
		name, email, mobile, card string
		err                       error
	}{
		{"both on one user", "asha@example.com", "9876500001", "EKC1", nil},
		{"the mobile changed since", "asha@example.com", "9000000009", "EKC1", nil},
		{"the e-mail and the mobile of two users", "asha@example.com", "9876500002", "", enkash.ErrManyCards},
		{"nobody", "x@example.com", "9000000009", "", enkash.ErrNoCard},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := serve(t, andSearch(users))
			card, err := newClient(t, config(f.URL)).FindCard(context.Background(), tt.email, tt.mobile)
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.card, card)
		})
	}
}

func TestFindCardWhenSearchFindsNothing(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{"code":0,"payload":null}`, `{"code":1,"message":"No records found"}`, `{"code":0,"payload":{"recordsCount":0,"data":[]}}`} {
		f := serve(t, func(w http.ResponseWriter, _ *http.Request) { reply(w, 200, body) })
		_, err := newClient(t, config(f.URL)).FindCard(context.Background(), "asha@example.com", "")
		assert.ErrorIs(t, err, enkash.ErrNoCard, body)
	}
}
