package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
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

// pauser holds every worker back until a moment, as a 429's Retry-After
// asks.
type pauser struct {
	mu    sync.Mutex
	until time.Time
}

// extend makes the pause last at least d from now.
func (p *pauser) extend(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := time.Now().Add(d); t.After(p.until) {
		p.until = t
	}
}

// wait returns when no pause is in force, or when stop trips or ctx ends.
func (p *pauser) wait(ctx context.Context, stop <-chan struct{}) error {
	for {
		p.mu.Lock()
		d := time.Until(p.until)
		p.mu.Unlock()
		if d <= 0 {
			return nil
		}
		if err := sleep(ctx, stop, d); err != nil {
			return err
		}
	}
}

// errStopped is returned by sleep when the stop latch trips.
var errStopped = &stoppedError{}

type stoppedError struct{}

func (*stoppedError) Error() string { return "stopped" }

// sleep waits d, or less when ctx ends or stop closes.
func sleep(ctx context.Context, stop <-chan struct{}, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-stop:
		return errStopped
	}
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
// window is full and at least ratio of it failed.
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
	done, failed, inFlight, maxInFlight atomic.Int64
}

func (c *counters) enter() {
	n := c.inFlight.Add(1)
	for m := c.maxInFlight.Load(); n > m && !c.maxInFlight.CompareAndSwap(m, n); m = c.maxInFlight.Load() {
	}
}

func (c *counters) leave() { c.inFlight.Add(-1) }
