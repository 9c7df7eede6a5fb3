package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// The behaviour tests speak plain HTTP to a plain (unencrypted) sandbox,
// without pkg/enkash: what they check is what goes over the wire.

// clock is a settable Options.Now, so that time-based behaviours need no
// sleeps.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// raw is a plain HTTP client of one sandbox.
type raw struct {
	t     testing.TB
	srv   *sandbox.Server
	url   string
	hc    *http.Client
	token string
}

// answer is one HTTP answer, with its envelope decoded when it has one.
type answer struct {
	Status  int
	Header  http.Header
	Body    []byte
	Code    *int
	Message string
	Payload json.RawMessage
}

// startRaw serves a plain sandbox (tokens living a day unless opts says
// otherwise) and logs in.
func startRaw(t testing.TB, opts sandbox.Options) *raw {
	t.Helper()
	opts.Plain = true
	if opts.TokenTTL == 0 {
		opts.TokenTTL = 24 * time.Hour
	}
	s := sandbox.New(opts)
	r := &raw{t: t, srv: s, url: serve(t, s), hc: &http.Client{Timeout: 10 * time.Second}}
	a := r.login()
	require.Equal(t, http.StatusOK, a.Status, "login: %s", a.Body)
	return r
}

// serve serves s on loopback until the test ends and returns its URL.
func serve(t testing.TB, s *sandbox.Server) string {
	t.Helper()
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

// login calls the token endpoint and keeps the token it gives.
func (r *raw) login() answer {
	r.t.Helper()
	c := r.srv.Options().Credentials
	form := url.Values{"grant_type": {"password"}, "username": {c.Username}, "password": {c.Password.Reveal()}, "clientId": {c.ClientID}}
	req, err := http.NewRequest(http.MethodPost, r.url+sandbox.PathToken, strings.NewReader(form.Encode()))
	require.NoError(r.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.ClientID, c.ClientSecret.Reveal())
	a := r.do(req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if a.Status == http.StatusOK && json.Unmarshal(a.Body, &tok) == nil {
		r.token = tok.AccessToken
	}
	return a
}

// post sends body as JSON to an API path with the token and headers every
// API call needs.
func (r *raw) post(path string, body any) answer {
	r.t.Helper()
	return r.do(r.request(path, body))
}

// request builds the POST of post.
func (r *raw) request(path string, body any) *http.Request {
	b, err := json.Marshal(body)
	require.NoError(r.t, err)
	req, err := http.NewRequest(http.MethodPost, r.url+path, bytes.NewReader(b))
	require.NoError(r.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("partnerId", r.srv.Options().Credentials.PartnerID)
	req.Header.Set("Authorization", "Bearer "+r.token)
	return req
}

func (r *raw) do(req *http.Request) answer {
	r.t.Helper()
	resp, err := r.hc.Do(req)
	require.NoError(r.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(r.t, err)
	a := answer{Status: resp.StatusCode, Header: resp.Header, Body: body}
	var env struct {
		Code            *int            `json:"code"`
		ResponseCode    *int            `json:"response_code"`
		Message         string          `json:"message"`
		ResponseMessage string          `json:"response_message"`
		Payload         json.RawMessage `json:"payload"`
	}
	if json.Unmarshal(body, &env) == nil {
		a.Code, a.Message, a.Payload = env.Code, env.Message, env.Payload
		if env.ResponseCode != nil {
			a.Code, a.Message = env.ResponseCode, env.ResponseMessage
		}
	}
	return a
}

// code returns the envelope code, or -1 when the answer has none.
func (a answer) code() int {
	if a.Code == nil {
		return -1
	}
	return *a.Code
}

// allocate credits points to a new person under ref.
func (r *raw) allocate(ref, mobile, points string) answer {
	r.t.Helper()
	return r.do(r.allocateRequest(ref, mobile, points))
}

// allocateRequest builds the create-allocate-points request of allocate.
func (r *raw) allocateRequest(ref, mobile, points string) *http.Request {
	c := r.srv.Options().Credentials
	return r.request(sandbox.PathCreateAllocate, map[string]any{
		"companyId": c.CompanyID, "cardAccountId": c.CardAccountID, "transactionCode": "ALLOCATION",
		"transactionType": "CR", "type": "ALLOCATE_POINT", "email": "p" + mobile + "@example.com", "mobile": mobile,
		"title": "Ms", "firstName": "Priya", "gender": "F", "loadAmount": json.Number(points), "uniqueReferenceNumber": ref,
	})
}

// lookup calls transaction/all for ref, on card when it is not empty, with
// extra body fields (paging) merged in.
func (r *raw) lookup(ref, card string, extra map[string]any) answer {
	r.t.Helper()
	c := r.srv.Options().Credentials
	body := map[string]any{"companyId": c.CompanyID, "cardAccountId": c.CardAccountID, "pgReferenceNumber": ref}
	if card != "" {
		body["enKashCardId"] = card
	}
	for k, v := range extra {
		body[k] = v
	}
	return r.post(sandbox.PathTransactions, body)
}

// listItem is the part of a transaction or user item the tests read.
type listItem struct {
	EnKashCardID      string          `json:"enKashCardId"`
	PGReferenceNumber string          `json:"pgReferenceNumber"`
	Status            string          `json:"status"`
	Amount            json.RawMessage `json:"amount"`
	Email             string          `json:"email"`
	Mobile            string          `json:"mobile"`
}

// items reads the unpaged list payload {"recordsCount": n, "data": [...]}.
func (a answer) items(t testing.TB) []listItem {
	t.Helper()
	var p struct {
		RecordsCount int        `json:"recordsCount"`
		Data         []listItem `json:"data"`
	}
	require.NoError(t, json.Unmarshal(a.Payload, &p), "payload %s", a.Payload)
	require.Equal(t, len(p.Data), p.RecordsCount)
	return p.Data
}

// cardOf returns the card id of a successful allocate answer.
func (a answer) cardOf(t testing.TB) string {
	t.Helper()
	var p struct {
		EnKashCardID string `json:"enKashCardId"`
	}
	require.NoError(t, json.Unmarshal(a.Payload, &p), "payload %s", a.Body)
	require.NotEmpty(t, p.EnKashCardID)
	return p.EnKashCardID
}

// ground returns GET /__sandbox/transactions: every credit ever applied.
func (r *raw) ground() []sandbox.Transaction {
	r.t.Helper()
	resp, err := r.hc.Get(r.url + "/__sandbox/transactions")
	require.NoError(r.t, err)
	defer resp.Body.Close()
	var txns []sandbox.Transaction
	require.NoError(r.t, json.NewDecoder(resp.Body).Decode(&txns))
	return txns
}
