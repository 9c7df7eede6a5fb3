package sandbox

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// counterServerThrottle counts the calls the server's request limit
// answered 429 ([Options.ServerRate]).
const counterServerThrottle = "throttled 429"

// serverLimit is the server's own request limit, a token bucket over every
// API endpoint, and the window of admitted calls that LoadLatency reads.
type serverLimit struct {
	bucket atomic.Pointer[rate.Limiter]
	window loadWindow
}

// burstOf completes a bucket size: max(1, n/10) when burst is 0, and 0
// when there is no limit. A negative burst is kept, for Check to report.
func burstOf(n float64, burst int) int {
	switch {
	case n <= 0:
		return 0
	case burst != 0:
		return burst
	}
	return max(1, int(n/10))
}

// limitOf is the bucket's fill rate: n a second, or no limit.
func limitOf(n float64) rate.Limit {
	if n <= 0 {
		return rate.Inf
	}
	return rate.Limit(n)
}

// newBucket returns a full bucket for n calls a second, or a limiter that
// admits every call when n <= 0.
func newBucket(n float64, burst int) *rate.Limiter {
	return rate.NewLimiter(limitOf(n), burstOf(n, burst))
}

// SetServerRate changes the server's request limit while it runs, as
// [Options.ServerRate] and ServerBurst describe (n <= 0: no limit; burst
// 0: max(1, n/10)). The new bucket starts full.
func (s *Server) SetServerRate(n float64, burst int) {
	s.limit.bucket.Store(newBucket(n, burst))
}

// admit takes a token of the request limit for a call arriving at now,
// and reports whether there was one; a call refused is counted.
func (s *Server) admit(now time.Time) bool {
	if s.limit.bucket.Load().AllowN(now, 1) {
		return true
	}
	s.counters.add(counterServerThrottle, 1)
	return false
}

// refuseTokenCall answers a token call 429 as a throttle does.
func (s *Server) refuseTokenCall(w http.ResponseWriter) {
	w.Header().Set("Retry-After", s.retryAfter())
	writeJSON(w, http.StatusTooManyRequests, tokenError{"too_many_requests", "Too many requests"})
}

// loadLatency returns the latency added to a call admitted at now:
// LoadLatency × A ÷ the limit's rate, A being the calls admitted in the
// last second, this one included. It is 0 without a load latency or
// without a limit.
func (s *Server) loadLatency(now time.Time) time.Duration {
	d := s.opts.LoadLatency
	limit := s.limit.bucket.Load().Limit()
	if d <= 0 || limit == rate.Inf || limit <= 0 {
		return 0
	}
	a := s.limit.window.add(now)
	return time.Duration(float64(d) * float64(a) / float64(limit))
}

// The load window counts admitted calls in tenths of a second.
const (
	loadSlot  = 100 * time.Millisecond
	loadSlots = 10
)

// loadWindow counts the calls of the last second in loadSlots slots: the
// current tenth and the nine before it.
type loadWindow struct {
	mu    sync.Mutex
	slots [loadSlots]struct {
		tenth int64 // the slot's tenth of a second since the epoch
		n     int
	}
}

// add counts one call at now and returns the calls of the window.
func (w *loadWindow) add(now time.Time) int {
	tenth := now.UnixNano() / int64(loadSlot)
	w.mu.Lock()
	defer w.mu.Unlock()
	sl := &w.slots[(tenth%loadSlots+loadSlots)%loadSlots]
	if sl.tenth != tenth {
		sl.tenth, sl.n = tenth, 0
	}
	sl.n++
	total := 0
	for _, o := range w.slots {
		if o.tenth > tenth-loadSlots && o.tenth <= tenth {
			total += o.n
		}
	}
	return total
}
