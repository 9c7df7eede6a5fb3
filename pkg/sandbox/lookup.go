package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// The answers of a lookup without enKashCardId when LookupNeedsCard is set
// ([Options.NoCardAnswer]).
const (
	NoCardRefuse    = "refuse"     // code 1, "enKashCardId is required" (default)
	NoCardEmpty     = "empty"      // code 0, an empty list
	NoCardNull      = "null"       // code 0, payload null
	NoCardNoRecords = "no-records" // code 1, "No records found"
)

// ParseNoCardAnswer checks a no-card answer's name.
func ParseNoCardAnswer(s string) (string, error) {
	switch s {
	case NoCardRefuse, NoCardEmpty, NoCardNull, NoCardNoRecords:
		return s, nil
	}
	return "", fmt.Errorf("no-card answer %q: want %s, %s, %s or %s", s, NoCardRefuse, NoCardEmpty, NoCardNull, NoCardNoRecords)
}

// listPayload is an unpaged list answer.
type listPayload[T any] struct {
	RecordsCount int `json:"recordsCount"`
	Data         []T `json:"data"`
}

// handleTransactions serves transaction/all: the transactions of the
// references asked for, as a lagging replica sees them.
func (s *Server) handleTransactions(c *call) {
	var q transactionQuery
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
		s.answerNoCard(c)
		return
	}
	now := s.opts.Now()
	s.lockState()
	found := s.state.find(refs, q.EnKashCardID, now.Add(-s.opts.LookupLag))
	s.mu.Unlock()
	out := make([]transactionItem, len(found))
	for i, t := range found {
		out[i] = transactionItem{EnKashCardID: t.EnKashCardID, EnKashTransactionID: t.EnKashTransactionID,
			PGReferenceNumber: t.PGReferenceNumber, CardTransactionType: t.TransactionType, Amount: s.number(t.Amount),
			Status: t.Status, TxnDate: t.Time.UTC().Format(time.RFC3339)}
	}
	s.reply(c, http.StatusOK, codeEnvelope{Code: 0, Message: "Success", Payload: pageOf(&s.opts, out, q.paging)})
}

// answerNoCard answers a lookup without the card as NoCardAnswer says.
func (s *Server) answerNoCard(c *call) {
	s.counters.add("lookups without card", 1)
	switch s.opts.NoCardAnswer {
	case NoCardEmpty:
		s.reply(c, http.StatusOK, codeEnvelope{Code: 0, Message: "Success", Payload: pageOf(&s.opts, []transactionItem{}, paging{})})
	case NoCardNull:
		s.reply(c, http.StatusOK, codeEnvelope{Code: 0, Message: "Success", Payload: nil})
	case NoCardNoRecords:
		s.refuse(c, "No records found")
	default:
		s.refuse(c, "enKashCardId is required")
	}
}

// handleSearch serves search (Get User Details): the account's card
// holders, optionally narrowed to one card, an e-mail or a mobile. A card
// created less than LookupLag ago is not seen yet.
func (s *Server) handleSearch(c *call) {
	var req accountQuery
	if err := json.Unmarshal(c.plain, &req); err != nil || req.CardAccountID != s.opts.Credentials.CardAccountID {
		s.refuse(c, "Card account does not exist for this partner")
		return
	}
	seen := s.opts.Now().Add(-s.opts.LookupLag)
	s.lockState()
	var users []userItem
	for _, cd := range s.state.listing(req, s.opts.ListDrift) {
		if cd.created.After(seen) || (req.EnKashCardID != "" && cd.id != req.EnKashCardID) ||
			(req.Email != "" && cd.email != req.Email) || (req.Mobile != "" && cd.mobile != req.Mobile) {
			continue
		}
		users = append(users, userItem{EnKashCardID: cd.id, UserID: cd.userID, CardAccountID: req.CardAccountID,
			Email: cd.email, Mobile: cd.mobile, Title: cd.title, FirstName: cd.firstName, MaskedNumber: masked(cd.mobile),
			OTBBalance: s.number(cd.otb)})
	}
	s.mu.Unlock()
	s.reply(c, http.StatusOK, codeEnvelope{Code: 0, Message: "Success", Payload: pageOf(&s.opts, users, req.paging)})
}

// listing is candidates, in the order of a drifting listing when drift
// is set and q has no filter: the last users moved to the front, one per
// page answered before (see Options.ListDrift).
func (b *book) listing(q accountQuery, drift bool) []*card {
	all := b.candidates(q)
	if !drift || q.EnKashCardID != "" || q.Email != "" || q.Mobile != "" || len(all) == 0 {
		return all
	}
	k := b.drift % len(all)
	b.drift++
	return append(slices.Clone(all[len(all)-k:]), all[:len(all)-k]...)
}

// candidates are the cards a search may list: through an index when the
// query names a card, an e-mail or a mobile (every filter still applies),
// else every card in creation order.
func (b *book) candidates(q accountQuery) []*card {
	var c *card
	switch {
	case q.EnKashCardID != "":
		c = b.cards[q.EnKashCardID]
	case q.Email != "":
		c = b.byEmail[q.Email]
	case q.Mobile != "":
		c = b.byMobile[q.Mobile]
	default:
		return b.order
	}
	if c == nil {
		return nil
	}
	return []*card{c}
}
