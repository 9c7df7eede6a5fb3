package enginetest

import (
	"context"
	"sync"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
)

// Clock is an [engine.Clock] whose time moves only when someone sleeps
// or calls Advance: a test of backoff, pauses and settle windows runs in
// no real time and without timing windows.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	slept  time.Duration
	sleeps int
}

var _ engine.Clock = (*Clock)(nil)

// NewClock returns a clock at a fixed moment.
func NewClock() *Clock { return &Clock{now: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep moves the clock d on at once, unless ctx has ended or stop is
// closed.
func (c *Clock) Sleep(ctx context.Context, stop <-chan struct{}, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-stop:
		return engine.ErrStopped
	default:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
		c.slept += d
	}
	c.sleeps++
	return nil
}

// Advance moves the clock on, as the time between two runs.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Slept returns the total time slept and the number of sleeps.
func (c *Clock) Slept() (time.Duration, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.slept, c.sleeps
}
