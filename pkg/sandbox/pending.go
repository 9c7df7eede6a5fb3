package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// The non-final statuses a lookup may show ([Options.PendingStatus]).
const (
	StatusPending    = "PENDING"
	StatusProcessing = "PROCESSING"
	StatusCreated    = "CREATED"
)

// ParsePendingStatus checks a pending status's name (any case).
func ParsePendingStatus(s string) (string, error) {
	switch u := strings.ToUpper(s); u {
	case StatusPending, StatusProcessing, StatusCreated:
		return u, nil
	}
	return "", fmt.Errorf("pending status %q: want %s, %s or %s", s, StatusPending, StatusProcessing, StatusCreated)
}

const faultPendingFail = "pending-fail"

// pendingTxn is a transaction whose final status is not known yet.
type pendingTxn struct {
	idx   int // into book.txns
	until time.Time
	fail  bool
}

// holdPending gives the transaction just applied (the last one) the
// non-final status for PendingFor, and decides now, from the seed, whether
// it will end FAILED. The Server's mutex must be held.
func (s *Server) holdPending() {
	if s.opts.PendingFor <= 0 {
		return
	}
	b := &s.state
	i := len(b.txns) - 1
	t := &b.txns[i]
	key := t.EnKashTransactionID
	if t.PGReferenceNumber != "" {
		key = fmt.Sprintf("%s#%d", t.PGReferenceNumber, len(b.byRef[t.PGReferenceNumber]))
	}
	t.Status = s.opts.PendingStatus
	fail := s.faults().hit(faultPendingFail, s.opts.PendingFail, key, 1)
	b.pending = append(b.pending, pendingTxn{idx: i, until: t.Time.Add(s.opts.PendingFor), fail: fail})
}

// lockState locks the Server's mutex and first settles every pending
// transaction whose time has come, so that whoever reads the book sees
// the statuses and balances of now.
func (s *Server) lockState() {
	s.mu.Lock()
	if len(s.state.pending) == 0 {
		return
	}
	now := s.opts.Now()
	b := &s.state
	kept := b.pending[:0]
	for _, p := range b.pending {
		if now.Before(p.until) {
			kept = append(kept, p)
			continue
		}
		if p.fail {
			b.reverse(p.idx)
			s.counters.add("faults "+faultPendingFail, 1)
			continue
		}
		b.txns[p.idx].Status = statusSucceeded
	}
	b.pending = kept
}

// reverse marks a transaction FAILED and gives its points back: a credit
// leaves the card and returns to the account, a debit the other way.
func (b *book) reverse(i int) {
	t := &b.txns[i]
	t.Status = statusFailed
	c := b.cards[t.EnKashCardID]
	if t.TransactionType == typeDebit {
		c.otb = c.otb.Add(t.Amount)
		b.balance = b.balance.Sub(t.Amount)
		return
	}
	c.otb = c.otb.Sub(t.Amount)
	b.balance = b.balance.Add(t.Amount)
}
