package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// The shapes of a bulk answer ([Options.BulkAnswer]). EnKash documents
// the success list and the counts, and cuts off the rest.
const (
	BulkAnswerBoth    = "both"    // the success list and the failure list (default)
	BulkAnswerSuccess = "success" // the success list only: a failed item is simply absent
	BulkAnswerCounts  = "counts"  // no lists at all
)

// ParseBulkAnswer checks a bulk answer shape's name.
func ParseBulkAnswer(s string) (string, error) {
	if s != BulkAnswerBoth && s != BulkAnswerSuccess && s != BulkAnswerCounts {
		return "", fmt.Errorf("bulk answer %q: want %s, %s or %s", s, BulkAnswerBoth, BulkAnswerSuccess, BulkAnswerCounts)
	}
	return s, nil
}

// BulkReasons are the bulk page's documented 422 messages, by short name:
// the reasons of a [Faults.BulkFail] item and the messages a
// [Faults.BulkRefuse] may use.
var BulkReasons = []struct{ Name, Message string }{
	{"company-id", "Company Id is required if it is an Enkash User"},
	{"no-primary-card", "Primary Enkash card is not present. So bulk upload cannot be done"},
	{"kyc", "KYC is not uploaded or under review for the primary card. So bulk upload cannot be done"},
	{"bin-type", "Bin Type is not mapped on PlanMaster"},
	{"no-card-account", "Card Account does not exist for this partner"},
}

// ParseBulkRefuse reads a bulk refusal: "" (off), or one of [BulkReasons]
// by short name or by message. It returns the message.
func ParseBulkRefuse(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	names := make([]string, 0, len(BulkReasons))
	for _, r := range BulkReasons {
		if s == r.Name || s == r.Message {
			return r.Message, nil
		}
		names = append(names, r.Name)
	}
	return "", fmt.Errorf("bulk refusal %q: want one of the documented messages or %s", s, strings.Join(names, ", "))
}

// fault kinds of the bulk endpoint, as counted in Stats.Faults.
const (
	faultBulkFail   = "bulk-fail"
	faultBulkRefuse = "bulk-refuse"
	faultBulkBadRef = "bulk-bad-ref"

	faultBulkPartial400 = "bulk-partial-400"
)

// handleBulk serves bulk-create-allocate-points-json. The faults of an
// allocation hit a bulk call as a whole, keyed by its body: a throttle or
// fail-before applies nothing, apply-then-fail applies every item and loses
// the answer, slow-apply holds every item's row. Items are applied in
// array order; a reference repeated inside one array meets the duplicate
// policy as a repeat across calls does (with reject, the second fails
// with DuplicateMessage). A call carrying [Faults.BulkPartial400] applies
// the items before that reference only, and answers HTTP 400.
func (s *Server) handleBulk(c *call) {
	items, forExisting, ok := s.readBulk(c)
	if !ok {
		return
	}
	sum := sha256.Sum256(c.plain)
	key := hex.EncodeToString(sum[:])
	n := s.attempt(key)
	refs := make([]string, len(items))
	for i, it := range items {
		refs[i] = it.UniqueReferenceNumber
	}
	if s.injectBefore(c, key, n) || s.refuseBulk(c, refs) {
		return
	}
	cut := len(items)
	if p := s.faults().BulkPartial400; p != "" && slices.Contains(refs, p) {
		cut = slices.Index(refs, p)
	}
	release := s.holdRows(refs, key, n)
	s.lockState()
	var res bulkResult
	for _, it := range items[:cut] {
		s.bulkItem(&res, it, forExisting)
	}
	s.mu.Unlock()
	release()
	if cut < len(items) {
		s.partial400(c, refs[cut], res, len(items))
		return
	}
	if s.injectAfter(c, key, n) {
		return
	}
	s.reply(c, http.StatusOK, codeEnvelope{Code: 0, Message: "Success", Payload: s.bulkPayload(res, len(items))})
}

// refuseBulk answers a call that BulkRefuse or BulkBadRef refuses whole,
// before anything is applied, and reports whether it did.
func (s *Server) refuseBulk(c *call, refs []string) bool {
	f := s.faults()
	if msg := f.BulkRefuse; msg != "" {
		s.counters.add("faults "+faultBulkRefuse, 1)
		c.rec.Message = msg
		s.reply(c, http.StatusUnprocessableEntity, codeEnvelope{Code: http.StatusUnprocessableEntity, Message: msg, Payload: msg})
		return true
	}
	if bad := f.BulkBadRef; bad != "" && slices.Contains(refs, bad) {
		s.counters.add("faults "+faultBulkBadRef, 1)
		msg := "Invalid request: item with uniqueReferenceNumber " + bad + " failed validation"
		c.rec.Message = msg
		s.reply(c, http.StatusBadRequest, codeEnvelope{Code: 1, Message: msg, Payload: msg})
		return true
	}
	return false
}

// partial400 answers a call that stopped at reference bad after applying
// the items before it (res): HTTP 400 for the whole call, its payload the
// lists and counters of what was done (shaped as BulkAnswer says), or,
// with BulkPartial400HTML, a gateway's HTML page that names nothing.
func (s *Server) partial400(c *call, bad string, res bulkResult, total int) {
	s.counters.add("faults "+faultBulkPartial400, 1)
	if s.faults().BulkPartial400HTML {
		gatewayAnswer(c.w, http.StatusBadRequest)
		return
	}
	msg := "Invalid request: item with uniqueReferenceNumber " + bad + " failed validation; the items before it were processed"
	c.rec.Message = msg
	s.reply(c, http.StatusBadRequest, codeEnvelope{Code: 1, Message: msg, Payload: s.bulkPayload(res, total)})
}

// readBulk checks the query and reads the array, answering when either is
// wrong or the array is larger than BulkMax.
func (s *Server) readBulk(c *call) (items []bulkItem, forExisting, ok bool) {
	q := c.r.URL.Query()
	if q.Get("companyId") != s.opts.Credentials.CompanyID || q.Get("cardAccountId") != s.opts.Credentials.CardAccountID {
		s.reply(c, http.StatusNotFound, codeEnvelope{Code: 1, Message: "Card account not found for companyId: " +
			q.Get("companyId") + " and cardAccountId: " + q.Get("cardAccountId")})
		return nil, false, false
	}
	if err := json.Unmarshal(c.plain, &items); err != nil {
		s.reply(c, http.StatusBadRequest, codeEnvelope{Code: 1, Message: "Invalid request: the body must be a JSON array"})
		return nil, false, false
	}
	if m := s.opts.BulkMax; m > 0 && len(items) > m {
		s.counters.add("bulk too large", 1)
		msg := fmt.Sprintf("Bulk upload allows at most %d records, got %d", m, len(items))
		c.rec.Message = msg
		s.reply(c, http.StatusBadRequest, codeEnvelope{Code: 1, Message: msg, Payload: msg})
		return nil, false, false
	}
	return items, q.Get("isPointsAllocation") == "true", true
}

// bulkResult is what the items of one bulk call did.
type bulkResult struct {
	successes []bulkSuccess
	failures  []bulkFailure
}

// bulkItem applies one item, or fails it, and files the result. The
// Server's mutex must be held.
func (s *Server) bulkItem(res *bulkResult, it bulkItem, forExisting bool) {
	echo := bulkEcho{Title: it.Title, Name: it.Name, Email: it.Email, Mobile: it.Mobile, LoadAmount: s.number(it.LoadAmount),
		Remarks: it.Remarks, UniqueReferenceNumber: it.UniqueReferenceNumber}
	req := allocateRequest{
		CompanyID: s.opts.Credentials.CompanyID, CardAccountID: s.opts.Credentials.CardAccountID,
		TransactionCode: codeAllocation, TransactionType: typeCredit, Type: kindAllocate,
		Email: it.Email, Mobile: it.Mobile, Title: it.Title, FirstName: it.Name, LoadAmount: it.LoadAmount,
	}
	ref := it.UniqueReferenceNumber
	fail := func(reason string) {
		res.failures = append(res.failures, bulkFailure{bulkEcho: echo, FailureReason: reason})
	}
	if ref != "" && len(s.state.byRef[ref]) > 0 {
		s.counters.add("duplicates", 1)
		switch s.opts.Duplicates {
		case DuplicateReject:
			fail(s.opts.DuplicateMessage)
			return
		case DuplicateReplay:
			res.successes = append(res.successes, s.bulkSuccess(echo, s.state.results[ref]))
			return
		}
	}
	if reason, hit := s.bulkFault(it); hit {
		fail(reason)
		return
	}
	if !forExisting && (s.state.byEmail[it.Email] != nil || s.state.byMobile[it.Mobile] != nil) {
		fail("User already exists; isPointsAllocation is false, so existing users get nothing")
		return
	}
	out, err := s.state.apply(req, ref, s.rng, s.opts.Now(), false)
	if err != nil {
		fail(err.Error())
		return
	}
	s.holdPending()
	s.counters.add("applied", 1)
	res.successes = append(res.successes, s.bulkSuccess(echo, out))
}

// bulkFault decides a BulkFail for one item, keyed by its reference (or
// its content when it has none) and how many times that was sent in a
// bulk call, and picks its documented reason. The Server's mutex must be
// held.
func (s *Server) bulkFault(it bulkItem) (string, bool) {
	f := s.faults()
	if f.BulkFail <= 0 {
		return "", false
	}
	key := it.UniqueReferenceNumber
	if key == "" {
		b, _ := json.Marshal(it) // a struct of strings and an amount always encodes
		sum := sha256.Sum256(b)
		key = hex.EncodeToString(sum[:])
	}
	n := s.attemptLocked("bulk item " + key)
	if !f.hit(faultBulkFail, f.BulkFail, key, n) {
		return "", false
	}
	s.counters.add("faults "+faultBulkFail, 1)
	return BulkReasons[f.hash(faultBulkFail+" reason", key, n)%uint64(len(BulkReasons))].Message, true
}

// bulkSuccess renders an applied item, its reference left out when the
// server does not echo it.
func (s *Server) bulkSuccess(echo bulkEcho, o outcome) bulkSuccess {
	if s.opts.NoBulkEchoRef {
		echo.UniqueReferenceNumber = ""
	}
	return bulkSuccess{bulkEcho: echo, CompanyID: s.opts.Credentials.CompanyID, CardAccountID: s.opts.Credentials.CardAccountID,
		EnKashCardID: o.c.id, UserID: o.c.userID, EnkashCardTxnID: o.txn.EnKashTransactionID, OTBBalance: s.number(o.otb)}
}

// bulkPayload shapes the answer as BulkAnswer says; the counts are always
// there, and a list that is there is never null.
func (s *Server) bulkPayload(res bulkResult, total int) bulkAnswer {
	a := bulkAnswer{SuccessCount: len(res.successes), FailureCount: len(res.failures), TotalCount: total}
	successes, failures := res.successes, res.failures
	if successes == nil {
		successes = []bulkSuccess{}
	}
	if failures == nil {
		failures = []bulkFailure{}
	}
	switch s.opts.BulkAnswer {
	case BulkAnswerBoth:
		a.Successes, a.Failures = &successes, &failures
	case BulkAnswerSuccess:
		a.Successes = &successes
	}
	return a
}
