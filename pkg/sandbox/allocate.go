package sandbox

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// boundRef returns the reference under the spelling the server binds.
func (s *Server) boundRef(r allocateRequest) string {
	switch s.opts.ReferenceField {
	case RefNum:
		return r.RefNum
	case RefBoth:
		return cmp.Or(r.RefNumber, r.RefNum)
	}
	return r.RefNumber
}

// attempt counts the sends of key and returns this send's number.
func (s *Server) attempt(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attemptLocked(key)
}

// attemptLocked is attempt for a caller that holds the Server's mutex.
func (s *Server) attemptLocked(key string) int {
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
	if slices.Contains(f.ThrottleEndpoints, endpointOf[c.rec.Path]) && f.hit(faultThrottle, f.Throttle, key, n) {
		s.counters.add("faults "+faultThrottle, 1)
		s.throttleAPI(c)
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
	case Fail503:
		gatewayAnswer(c.w, http.StatusServiceUnavailable)
	case Fail504:
		gatewayAnswer(c.w, http.StatusGatewayTimeout)
	default:
		gatewayAnswer(c.w, http.StatusBadGateway)
	}
	return true
}

func (s *Server) handleAllocate(c *call) {
	var req allocateRequest
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
	res, ok := s.commit(c, req, ref, key, n)
	if !ok {
		return
	}
	s.counters.add("applied", 1)
	if s.injectAfter(c, key, n) {
		return
	}
	s.reply(c, http.StatusOK, codeEnvelope{Code: 0, Message: "Success", Payload: s.allocateAnswer(res, req.CardAccountID)})
}

// commit applies one allocate request while it holds the reference's row
// (see holdRow), after the duplicate check. It reports false when it has
// answered (a duplicate, a refusal); the row is released before the answer
// goes out, as a database commits before the service replies.
func (s *Server) commit(c *call, req allocateRequest, ref, key string, n int) (outcome, bool) {
	release := s.holdRow(ref, key, n)
	s.lockState()
	if ref != "" && len(s.state.byRef[ref]) > 0 {
		s.counters.add("duplicates", 1)
		switch s.opts.Duplicates {
		case DuplicateReject:
			s.mu.Unlock()
			release()
			s.refuseDuplicate(c)
			return outcome{}, false
		case DuplicateReplay:
			res := s.state.results[ref]
			s.mu.Unlock()
			release()
			s.reply(c, http.StatusOK, codeEnvelope{Code: 0, Message: "Success", Payload: s.allocateAnswer(res, req.CardAccountID)})
			return outcome{}, false
		}
	}
	res, err := s.state.apply(req, ref, s.rng, s.opts.Now(), true)
	if err == nil {
		s.holdPending()
	}
	s.mu.Unlock()
	release()
	if err != nil {
		s.refuse(c, err.Error())
		return outcome{}, false
	}
	return res, true
}

// allocateAnswer renders an outcome as the success payload.
func (s *Server) allocateAnswer(o outcome, cardAccountID string) allocateAnswer {
	a := allocateAnswer{
		EnKashCardID: o.c.id, UserID: o.c.userID, CardAccountID: cardAccountID, EnkashCardTxnID: o.txn.EnKashTransactionID,
		OTBBalance: s.number(o.otb), MaskedNumber: masked(o.c.mobile),
		Email: o.c.email, Mobile: o.c.mobile, Title: o.c.title, FirstName: o.c.firstName, Gender: o.c.gender,
	}
	if ref := o.txn.PGReferenceNumber; ref != "" {
		a.PGReferenceNumber = &ref
	}
	return a
}

// refuseDuplicate refuses a repeated reference as DuplicateAnswer says.
func (s *Server) refuseDuplicate(c *call) {
	if s.opts.DuplicateAnswer != DuplicateHTTP409 {
		s.refuse(c, s.opts.DuplicateMessage)
		return
	}
	s.counters.add("refused", 1)
	c.rec.Message = s.opts.DuplicateMessage
	s.reply(c, http.StatusConflict, codeEnvelope{Code: http.StatusConflict, Message: s.opts.DuplicateMessage, Payload: s.opts.DuplicateMessage})
}
