package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
)

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

// allocatePayload answers pgReferenceNumber null when the request's
// reference was not bound, as a server ignoring an unknown key would.
type allocatePayload struct {
	enkash.AllocateResult
	PGReferenceNumber *string `json:"pgReferenceNumber"`
}

type listPayload[T any] struct {
	RecordsCount int `json:"recordsCount"`
	Data         []T `json:"data"`
}

func (s *Server) routes() {
	s.mux.HandleFunc(enkash.PathToken, s.handleToken)
	s.api(enkash.PathCreateAllocate, s.handleAllocate)
	s.api(enkash.PathBulkAllocate, s.handleBulk)
	s.api(enkash.PathAccount, s.handleAccount)
	s.api(enkash.PathTransactions, s.handleTransactions)
	s.api(enkash.PathSearch, s.handleSearch)
	s.mux.HandleFunc("GET /__sandbox/transactions", s.handleInspectTransactions)
	s.mux.HandleFunc("GET /__sandbox/stats", s.handleInspectStats)
}

// call is one authenticated API request with its decrypted body.
type call struct {
	w     http.ResponseWriter
	r     *http.Request
	plain []byte
	rec   *Request
}

// api registers an API path behind the checks every EnKash endpoint makes:
// POST, the partnerId header, a live bearer token, a JSON content type and,
// unless the sandbox is plain, the AES envelope.
func (s *Server) api(path string, h func(*call)) {
	s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		n := s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		for m := s.maxInFlight.Load(); n > m && !s.maxInFlight.CompareAndSwap(m, n); m = s.maxInFlight.Load() {
		}
		s.counters.add("requests "+path, 1)
		rec := &Request{At: s.opts.Now(), Path: path}
		// The answer leaves no sooner than the latency after arrival: the
		// call takes max(latency, processing), as it would behind a slow link.
		sw := &statusWriter{ResponseWriter: w, notBefore: time.Now().Add(s.latency()), ctx: r.Context()}
		defer func() { rec.Status = sw.status; s.record(*rec) }()
		c := &call{w: sw, r: r, rec: rec}
		if every := s.faults().ExpireTokensEvery; every > 0 && s.apiCalls.Add(1)%every == 0 {
			s.counters.add("faults "+faultTokenExpiry, 1)
			s.expireTokens()
		}
		switch {
		case r.Method != http.MethodPost:
			s.reply(c, http.StatusMethodNotAllowed, codeEnvelope{Code: 1, Message: "Method not allowed", Payload: "Method not allowed"})
			return
		case r.Header.Get("partnerId") != s.opts.Credentials.PartnerID:
			s.reply(c, http.StatusBadRequest, codeEnvelope{Code: 1, Message: "Invalid partnerId", Payload: "Invalid partnerId"})
			return
		case !s.authorised(r):
			s.counters.add("unauthorised", 1)
			writeJSON(sw, http.StatusUnauthorized, tokenError{"invalid_token", "Access token expired or invalid"})
			return
		case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
			s.reply(c, http.StatusUnsupportedMediaType, codeEnvelope{Code: 1, Message: "Content-Type must be application/json"})
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err != nil {
			return
		}
		if s.opts.Plain {
			c.plain = body
		} else {
			plain, sealed, err := enkash.OpenJSON(s.key, body)
			if err != nil || !sealed {
				s.reply(c, http.StatusUnprocessableEntity, codeEnvelope{Code: 1, Message: "Invalid encrypted request", Payload: "Invalid encrypted request"})
				return
			}
			c.plain = plain
		}
		h(c)
	})
}

// reply writes v as JSON, sealed unless the sandbox is plain.
func (s *Server) reply(c *call, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(c.w, err.Error(), http.StatusInternalServerError)
		return
	}
	if !s.opts.Plain {
		b = enkash.SealJSON(s.key, b)
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(b)
}

func (s *Server) refuse(c *call, msg string) {
	s.counters.add("refused", 1)
	c.rec.Message = msg
	s.reply(c, http.StatusOK, codeEnvelope{Code: 1, Message: msg, Payload: msg})
}

// boundRef returns the reference under the spelling the server binds.
func (s *Server) boundRef(r enkash.AllocateRequest) string {
	switch s.opts.ReferenceField {
	case enkash.RefNum:
		return r.UniqueReferenceNum
	case enkash.RefBoth:
		return r.Reference()
	}
	return r.UniqueReferenceNumber
}

// attempt counts the sends of key and returns this send's number.
func (s *Server) attempt(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.attempts == nil {
		s.attempts = map[string]int{}
	}
	s.attempts[key]++
	return s.attempts[key]
}

// injectBefore answers a throttle or a fail-before fault, and reports
// whether it did.
func (s *Server) injectBefore(c *call, key string, n int) bool {
	f := s.faults()
	if f.hit(faultThrottle, f.Throttle, key, n) {
		s.counters.add("faults "+faultThrottle, 1)
		c.w.Header().Set("Retry-After", retryAfterSeconds(f.RetryAfter))
		s.reply(c, http.StatusTooManyRequests, codeEnvelope{Code: 1, Message: "Too many requests", Payload: "Too many requests"})
		return true
	}
	if f.hit(faultFailBefore, f.FailBefore, key, n) {
		s.counters.add("faults "+faultFailBefore, 1)
		s.reply(c, f.FailBeforeStatus, codeEnvelope{Code: 1, Message: http.StatusText(f.FailBeforeStatus)})
		return true
	}
	return false
}

// injectAfter loses the answer of an applied call, and reports whether it
// did.
func (s *Server) injectAfter(c *call, key string, n int) bool {
	f := s.faults()
	if !f.hit(faultApplyThenFail, f.ApplyThenFail, key, n) {
		return false
	}
	s.counters.add("faults "+faultApplyThenFail, 1)
	switch f.FailMode {
	case FailDrop:
		c.w.(*statusWriter).hold()
		if conn, _, err := http.NewResponseController(c.w).Hijack(); err == nil {
			_ = conn.Close()
			return true
		}
		panic(http.ErrAbortHandler) // cannot hijack (HTTP/2): abort the stream instead
	case FailHang:
		t := time.NewTimer(f.HangFor)
		defer t.Stop()
		select {
		case <-c.r.Context().Done():
		case <-t.C:
		}
		c.w.WriteHeader(http.StatusGatewayTimeout)
	default:
		c.w.Header().Set("Content-Type", "text/html")
		c.w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(c.w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
	}
	return true
}

func (s *Server) handleAllocate(c *call) {
	var req enkash.AllocateRequest
	if err := json.Unmarshal(c.plain, &req); err != nil {
		s.reply(c, http.StatusBadRequest, codeEnvelope{Code: 1, Message: "Invalid request: " + err.Error()})
		return
	}
	if req.CompanyID != s.opts.Credentials.CompanyID || req.CardAccountID != s.opts.Credentials.CardAccountID {
		s.refuse(c, "Card account not found for companyId: "+req.CompanyID+" and cardAccountId: "+req.CardAccountID)
		return
	}
	ref := s.boundRef(req)
	c.rec.Reference = ref
	key := ref
	if key == "" {
		sum := sha256.Sum256(c.plain)
		key = hex.EncodeToString(sum[:])
	}
	n := s.attempt(key)
	if s.injectBefore(c, key, n) {
		return
	}
	s.mu.Lock()
	if ref != "" && len(s.state.byRef[ref]) > 0 {
		s.counters.add("duplicates", 1)
		switch s.opts.Duplicates {
		case DuplicateReject:
			s.mu.Unlock()
			s.refuse(c, msgDuplicate)
			return
		case DuplicateReplay:
			res := s.state.results[ref]
			s.mu.Unlock()
			s.reply(c, http.StatusOK, codeEnvelope{Code: 0, Message: "Success", Payload: payloadOf(res)})
			return
		}
	}
	res, err := s.state.apply(req, ref, s.rng, s.opts.Now(), true)
	s.mu.Unlock()
	if err != nil {
		s.refuse(c, err.Error())
		return
	}
	s.counters.add("applied", 1)
	if s.injectAfter(c, key, n) {
		return
	}
	s.reply(c, http.StatusOK, codeEnvelope{Code: 0, Message: "Success", Payload: payloadOf(res)})
}

func payloadOf(res enkash.AllocateResult) allocatePayload {
	p := allocatePayload{AllocateResult: res}
	if res.PGReferenceNumber != "" {
		p.PGReferenceNumber = &res.PGReferenceNumber
	}
	return p
}

func (s *Server) handleBulk(c *call) {
	q := c.r.URL.Query()
	if q.Get("companyId") != s.opts.Credentials.CompanyID || q.Get("cardAccountId") != s.opts.Credentials.CardAccountID {
		s.reply(c, http.StatusNotFound, codeEnvelope{Code: 1, Message: "Card account not found for companyId: " +
			q.Get("companyId") + " and cardAccountId: " + q.Get("cardAccountId")})
		return
	}
	forExisting := q.Get("isPointsAllocation") == "true"
	var items []enkash.BulkItem
	if err := json.Unmarshal(c.plain, &items); err != nil {
		s.reply(c, http.StatusBadRequest, codeEnvelope{Code: 1, Message: "Invalid request: the body must be a JSON array"})
		return
	}
	sum := sha256.Sum256(c.plain)
	key := hex.EncodeToString(sum[:])
	n := s.attempt(key)
	if s.injectBefore(c, key, n) {
		return
	}
	var res enkash.BulkResult
	s.mu.Lock()
	for _, it := range items {
		req := enkash.AllocateRequest{
			CompanyID: s.opts.Credentials.CompanyID, CardAccountID: s.opts.Credentials.CardAccountID,
			TransactionCode: enkash.TransactionCodeAllocation, TransactionType: enkash.TypeCredit, Type: enkash.KindAllocatePoint,
			Email: it.Email, Mobile: it.Mobile, Title: it.Title, FirstName: it.Name, LoadAmount: it.LoadAmount,
		}
		failure := ""
		switch ref := it.UniqueReferenceNumber; {
		case ref != "" && len(s.state.byRef[ref]) > 0 && s.opts.Duplicates != DuplicateApplyAgain:
			s.counters.add("duplicates", 1)
			failure = msgDuplicate
		case !forExisting && (s.state.byEmail[it.Email] != nil || s.state.byMobile[it.Mobile] != nil):
			failure = "User already exists; isPointsAllocation is false, so existing users get nothing"
		default:
			out, err := s.state.apply(req, ref, s.rng, s.opts.Now(), false)
			if err != nil {
				failure = err.Error()
				break
			}
			s.counters.add("applied", 1)
			res.Successes = append(res.Successes, enkash.BulkSuccess{BulkItem: it, CompanyID: req.CompanyID,
				CardAccountID: req.CardAccountID, EnKashCardID: out.EnKashCardID, UserID: out.UserID,
				EnkashCardTxnID: out.EnkashCardTxnID, OTBBalance: out.OTBBalance})
		}
		if failure != "" {
			res.Failures = append(res.Failures, enkash.BulkFailure{BulkItem: it, FailureReason: failure})
		}
	}
	s.mu.Unlock()
	res.SuccessCount, res.FailureCount, res.TotalCount = len(res.Successes), len(res.Failures), len(items)
	if s.injectAfter(c, key, n) {
		return
	}
	s.reply(c, http.StatusOK, codeEnvelope{Code: 0, Message: "Success", Payload: res})
}

func (s *Server) handleAccount(c *call) {
	var req enkash.AccountRequest
	if err := json.Unmarshal(c.plain, &req); err != nil || req.CompanyID != s.opts.Credentials.CompanyID ||
		req.CardAccountID != s.opts.Credentials.CardAccountID {
		msg := "Card account not found for companyId: " + req.CompanyID + " and cardAccountId: " + req.CardAccountID
		s.reply(c, http.StatusOK, responseEnvelope{ResponseCode: 1, ResponseMessage: msg, Payload: msg})
		return
	}
	s.mu.Lock()
	acc := enkash.Account{
		CardAccountID: req.CardAccountID, CompanyID: req.CompanyID, CompanyName: "Sandbox Company (no real points)",
		AvailableBalance: jsonAmount(s.state.balance), TotalCards: json.Number(strconv.Itoa(len(s.state.cards))),
		ActiveCards: json.Number(strconv.Itoa(len(s.state.cards))),
	}
	s.mu.Unlock()
	s.reply(c, http.StatusOK, responseEnvelope{ResponseCode: 0, ResponseMessage: "Success", Payload: acc})
}

func (s *Server) handleTransactions(c *call) {
	var q enkash.TransactionQuery
	if err := json.Unmarshal(c.plain, &q); err != nil {
		s.reply(c, http.StatusBadRequest, codeEnvelope{Code: 1, Message: "Invalid request"})
		return
	}
	refs := q.PGReferenceNumbers
	if q.PGReferenceNumber != "" && !slices.Contains(refs, q.PGReferenceNumber) {
		refs = append(refs, q.PGReferenceNumber)
	}
	switch {
	case len(refs) == 0:
		s.refuse(c, "pgReferenceNumber is required")
		return
	case s.lookupCard.Load() && q.EnKashCardID == "":
		s.refuse(c, "enKashCardId is required")
		return
	}
	s.mu.Lock()
	found := s.state.find(refs, q.EnKashCardID)
	s.mu.Unlock()
	out := make([]enkash.Transaction, len(found))
	for i, t := range found {
		out[i] = enkash.Transaction{EnKashCardID: t.EnKashCardID, EnKashTransactionID: t.EnKashTransactionID,
			PGReferenceNumber: t.PGReferenceNumber, CardTransactionType: t.TransactionType, Amount: jsonAmount(t.Amount),
			Status: t.Status, TxnDate: t.Time.UTC().Format(time.RFC3339)}
	}
	s.reply(c, http.StatusOK, codeEnvelope{Code: 0, Message: "Success", Payload: listPayload[enkash.Transaction]{len(out), out}})
}

func (s *Server) handleSearch(c *call) {
	var req enkash.AccountRequest
	if err := json.Unmarshal(c.plain, &req); err != nil || req.CardAccountID != s.opts.Credentials.CardAccountID {
		s.refuse(c, "Card account does not exist for this partner")
		return
	}
	s.mu.Lock()
	var users []enkash.User
	for _, cd := range s.state.cards {
		if req.EnKashCardID != "" && cd.id != req.EnKashCardID {
			continue
		}
		users = append(users, enkash.User{EnKashCardID: cd.id, UserID: cd.userID, CardAccountID: req.CardAccountID,
			Email: cd.email, Mobile: cd.mobile, Title: cd.title, FirstName: cd.firstName, MaskedNumber: masked(cd.mobile),
			OTBBalance: jsonAmount(cd.otb)})
	}
	s.mu.Unlock()
	s.reply(c, http.StatusOK, codeEnvelope{Code: 0, Message: "Success", Payload: listPayload[enkash.User]{len(users), users}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// statusWriter remembers the status for the request log, holds the answer
// back until notBefore (the injected latency), and keeps the Hijacker of
// the writer it wraps.
type statusWriter struct {
	http.ResponseWriter
	status    int
	notBefore time.Time
	ctx       context.Context
}

// hold waits until the answer may leave.
func (w *statusWriter) hold() {
	d := time.Until(w.notBefore)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.ctx.Done():
	case <-t.C:
	}
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.hold()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
		w.hold()
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
