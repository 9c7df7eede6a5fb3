package sandbox

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

func (s *Server) routes() {
	s.mux.HandleFunc(PathToken, s.handleToken)
	s.api(PathCreateAllocate, s.handleAllocate)
	s.api(PathBulkAllocate, s.handleBulk)
	s.api(PathAccount, s.handleAccount)
	s.api(PathTransactions, s.handleTransactions)
	s.api(PathSearch, s.handleSearch)
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
		rec := &Request{At: s.opts.Now(), Path: path, Delay: s.latency()}
		// The answer leaves no sooner than the latency after arrival: the
		// call takes max(latency, processing), as it would behind a slow link.
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, notBefore: start.Add(rec.Delay), ctx: r.Context()}
		defer func() { rec.Status = sw.status; s.record(*rec) }()
		c := &call{w: sw, r: r, rec: rec}
		// The server's request limit comes first: a call above it reaches
		// nothing behind it.
		if !s.admit(rec.At) {
			s.throttleAPI(c)
			return
		}
		rec.Delay += s.loadLatency(rec.At)
		sw.notBefore = start.Add(rec.Delay)
		s.apiCalls.Add(1) // the clock of Faults.ExpireTokensEvery
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
			plain, err := openBody(s.key, body)
			if err != nil {
				s.reply(c, http.StatusUnprocessableEntity, codeEnvelope{Code: 1, Message: "Invalid encrypted request", Payload: "Invalid encrypted request"})
				return
			}
			c.plain = plain
		}
		// The allocation calls decide their throttle by reference.
		if ep := endpointOf[path]; ep != EndpointAllocate && ep != EndpointBulk && s.throttled(ep) {
			s.throttleAPI(c)
			return
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
		b = sealBody(s.key, b)
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

func (s *Server) handleAccount(c *call) {
	var req accountQuery
	if err := json.Unmarshal(c.plain, &req); err != nil || req.CompanyID != s.opts.Credentials.CompanyID ||
		req.CardAccountID != s.opts.Credentials.CardAccountID {
		msg := "Card account not found for companyId: " + req.CompanyID + " and cardAccountId: " + req.CardAccountID
		s.reply(c, http.StatusOK, responseEnvelope{ResponseCode: 1, ResponseMessage: msg, Payload: msg})
		return
	}
	s.lockState()
	acc := accountAnswer{
		CardAccountID: req.CardAccountID, CompanyID: req.CompanyID, CompanyName: "Sandbox Company (no real points)",
		AvailableBalance: s.number(s.state.balance), TotalCards: len(s.state.cards), ActiveCards: len(s.state.cards),
	}
	s.mu.Unlock()
	s.reply(c, http.StatusOK, responseEnvelope{ResponseCode: 0, ResponseMessage: "Success", Payload: acc})
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
