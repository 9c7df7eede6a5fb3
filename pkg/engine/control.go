package engine

import (
	"sync"
	"sync/atomic"
)

// latch is a one-way stop signal with a reason.
type latch struct {
	once   sync.Once
	ch     chan struct{}
	reason atomic.Value
}

func newLatch() *latch { return &latch{ch: make(chan struct{})} }

func (l *latch) trip(reason string) {
	l.once.Do(func() {
		l.reason.Store(reason)
		close(l.ch)
	})
}

func (l *latch) tripped() bool {
	select {
	case <-l.ch:
		return true
	default:
		return false
	}
}

func (l *latch) why() string {
	if r, ok := l.reason.Load().(string); ok {
		return r
	}
	return ""
}

// breaker watches the last attempts and trips when too many failed.
type breaker struct {
	mu     sync.Mutex
	window []bool // ring of recent attempts: true = failed
	next   int
	filled bool
	failed int
	ratio  float64
}

func newBreaker(size int, ratio float64) *breaker {
	return &breaker{window: make([]bool, size), ratio: ratio}
}

// observe records an attempt and reports whether the breaker trips: the
// window is full and at least ratio of it failed. A ratio of 0 or less
// never trips.
func (b *breaker) observe(failed bool) bool {
	if len(b.window) == 0 || b.ratio <= 0 {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.window[b.next] {
		b.failed--
	}
	b.window[b.next] = failed
	if failed {
		b.failed++
	}
	b.next = (b.next + 1) % len(b.window)
	if b.next == 0 {
		b.filled = true
	}
	return b.filled && float64(b.failed) >= b.ratio*float64(len(b.window))
}

// counters are live totals for progress reporting.
type counters struct {
	done, failed, inFlight, maxInFlight, parked atomic.Int64
}

func (c *counters) enter() {
	n := c.inFlight.Add(1)
	for m := c.maxInFlight.Load(); n > m && !c.maxInFlight.CompareAndSwap(m, n); m = c.maxInFlight.Load() {
	}
}

func (c *counters) leave() { c.inFlight.Add(-1) }
