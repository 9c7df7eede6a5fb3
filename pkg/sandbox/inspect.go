package sandbox

import (
	"net/http"
	"sort"
	"sync"
	"time"
)

// Request is one API call as the sandbox saw it, for tests that check
// timing (for example that every worker paused after a 429).
type Request struct {
	At        time.Time `json:"at"` // arrival, before any injected latency
	Path      string    `json:"path"`
	Status    int       `json:"status"` // 0 when the connection was dropped
	Reference string    `json:"reference,omitempty"`
	Message   string    `json:"message,omitempty"`
	// Delay is the latency the sandbox added to the answer: Latency, a
	// share of Jitter and the load latency.
	Delay time.Duration `json:"delay,omitempty"`
}

// maxLog bounds the request log kept in memory.
const maxLog = 1 << 20

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.log) < maxLog {
		s.log = append(s.log, r)
	}
}

// Requests returns a copy of the API calls seen so far, in arrival order of
// their completion.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// Transactions returns a copy of every applied transaction, in order, with
// its status as of now: a pending one shows Options.PendingStatus, and one
// that ended FAILED had its points given back.
func (s *Server) Transactions() []Transaction {
	s.lockState()
	defer s.mu.Unlock()
	return append([]Transaction(nil), s.state.txns...)
}

// Stats is what GET /__sandbox/stats shows.
type Stats struct {
	Note           string           `json:"note"`
	Counters       map[string]int64 `json:"counters"`
	MaxInFlight    int64            `json:"maxInFlight"`
	Transactions   int              `json:"transactions"`
	Cards          int              `json:"cards"`
	AccountBalance string           `json:"accountBalance"`
	LockedUsers    []string         `json:"lockedUsers"`
	Duplicates     DuplicatePolicy  `json:"duplicatePolicy"`
}

// Count returns one counter, for example "applied", "logins",
// "faults apply-then-fail" or "requests /oauth/token".
func (st Stats) Count(name string) int64 { return st.Counters[name] }

// NoRealPoints is said by every sandbox output.
const NoRealPoints = "SANDBOX: no real points moved"

// Stats returns the sandbox's counters and state sizes.
func (s *Server) Stats() Stats {
	s.lockState()
	st := Stats{
		Note: NoRealPoints, MaxInFlight: s.maxInFlight.Load(), Transactions: len(s.state.txns),
		Cards: len(s.state.cards), AccountBalance: s.state.balance.Fixed2(), Duplicates: s.opts.Duplicates,
		LockedUsers: []string{},
	}
	for u := range s.auth.locked {
		st.LockedUsers = append(st.LockedUsers, u)
	}
	s.mu.Unlock()
	sort.Strings(st.LockedUsers)
	st.Counters = s.counters.snapshot()
	return st
}

func (s *Server) handleInspectTransactions(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Transactions())
}

func (s *Server) handleInspectStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

// counters is a small concurrent map of named counts.
type counters struct {
	mu sync.Mutex
	m  map[string]int64
}

func (c *counters) add(name string, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int64{}
	}
	c.m[name] += n
}

func (c *counters) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}
