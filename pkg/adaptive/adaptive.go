// Package adaptive finds the highest request rate a server accepts, so that
// nobody has to guess a --rate.
//
// A [Limiter] paces requests one interval apart, at a rate it moves with
// what the answers say, in the spirit of TCP Vegas and Netflix's
// concurrency-limits:
//
//   - slow start: while every answer is clean and fast, the rate grows by
//     half each window, so a server that accepts 1,000 requests per second
//     is found within seconds, and the first overshoot (which meets 429s
//     for one window) is at most half the limit;
//   - multiplicative decrease: a 429, a 5xx or a timeout, or a latency that
//     rises well above its floor (the no-load latency), cuts the rate by a
//     share (the first time, a share of what the server actually accepted
//     in that window, since slow start overshoots);
//   - additive increase: after the first decrease, a clean window adds a
//     small constant step (a share of the rate at the last decrease), so the
//     rate climbs back slowly and meets the limit rarely.
//
// A window in which the callers did not use the rate they were given (too
// few workers, a slow file) teaches nothing and changes nothing. A Limiter
// is safe for concurrent use.
package adaptive

import (
	"context"
	"math"
	"sync"
	"time"
)

// Signal is what one answer says about the server's load.
type Signal int

// The signals an answer can give.
const (
	OK         Signal = iota // answered in time, not throttled
	Throttled                // 429 Too Many Requests
	Overloaded               // a 5xx or a timeout
)

// Config tunes a [Limiter]. The zero value takes the defaults.
type Config struct {
	// Initial is the first rate, in requests per second (default 10).
	Initial float64
	// Min and Max bound the rate (defaults 1 and 10,000).
	Min, Max float64
	// Decrease is the share of the accepted rate kept after a congestion
	// signal (default 0.85).
	Decrease float64
	// Step is the additive increase per second of clean answers, as a share
	// of the rate at the last decrease (default 0.02).
	Step float64
	// LatencyRatio is how far above its floor the mean latency of a window
	// may rise before it counts as congestion (default 2.5).
	LatencyRatio float64
	// LatencySlack is how much the mean latency may exceed its floor in
	// any case (default 20 ms): below it a rise is scheduling noise, not a
	// queue at the server.
	LatencySlack time.Duration
	// Window is the shortest adjustment window (default 250 ms); a window
	// also lasts at least twice the latency floor, and long enough for
	// about twenty requests at the current rate.
	Window time.Duration
	// OnChange, when set, is called (outside the lock) after each change
	// of the rate, with the reason.
	OnChange func(from, to float64, reason string)
	// Now replaces time.Now, for tests.
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.Initial <= 0 {
		c.Initial = 10
	}
	if c.Min <= 0 {
		c.Min = 1
	}
	if c.Max <= 0 {
		c.Max = 10_000
	}
	c.Initial = min(max(c.Initial, c.Min), c.Max)
	if c.Decrease <= 0 || c.Decrease >= 1 {
		c.Decrease = 0.85
	}
	if c.Step <= 0 {
		c.Step = 0.02
	}
	if c.LatencyRatio <= 1 {
		c.LatencyRatio = 2.5
	}
	if c.LatencySlack <= 0 {
		c.LatencySlack = 20 * time.Millisecond
	}
	if c.Window <= 0 {
		c.Window = 250 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Limiter paces requests at a rate it adapts to the answers. Create it with
// [New]; call [Limiter.Wait] before each request and [Limiter.Observe]
// after each answer.
type Limiter struct {
	cfg   Config
	slots slots         // when each request may leave
	turn  chan struct{} // held by the one caller waiting for its slot

	mu        sync.Mutex
	rate      float64
	slowStart bool
	capacity  float64       // the rate at the last decrease: the step's base
	proven    float64       // the highest rate the server took in a clean window, since its last congestion
	floor     time.Duration // the lowest latency seen: the no-load estimate
	win       window
	quiet     time.Time // congestion signals before this answer requests sent before the last cut
}

// window gathers the answers of one adjustment window.
type window struct {
	start                time.Time
	ok, throttled, other int
	timed                int           // ok answers with a latency
	latency              time.Duration // sum over the timed ok answers
	granted              int           // tokens handed out
}

// New returns a limiter that starts at cfg.Initial requests per second.
func New(cfg Config) *Limiter {
	cfg.defaults()
	l := &Limiter{cfg: cfg, rate: cfg.Initial, slowStart: true}
	l.slots.set(cfg.Initial)
	l.turn = make(chan struct{}, 1)
	l.win.start = cfg.Now()
	return l
}

// Wait blocks until the next request may leave, or ctx ends.
func (l *Limiter) Wait(ctx context.Context) error {
	// One caller at a time takes a slot and waits for it; the others queue
	// here. So no slot is handed out far ahead, and a change of rate
	// applies to the very next request.
	select {
	case l.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-l.turn }()
	l.mu.Lock()
	at := l.slots.take(l.cfg.Now())
	l.win.granted++
	l.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// slots hands out the moments requests may leave, one interval apart:
// the next slot follows the last one handed out, at the current interval.
// (With golang.org/x/time/rate and many waiters, a rise of the rate
// re-times only the new reservations, which then run beside the old ones:
// a burst above the new rate after every rise.)
type slots struct {
	next     time.Time     // the first free slot
	interval time.Duration // between two slots
	slack    time.Duration // how far behind now a free slot may be: a small burst at high rates
}

// set changes the rate; it applies from the next slot handed out.
func (s *slots) set(r float64) {
	s.interval = time.Duration(float64(time.Second) / r)
	s.slack = time.Duration(max(1, int(r/50))-1) * s.interval
}

// take hands out the next slot, never earlier than now less the slack.
func (s *slots) take(now time.Time) time.Time {
	at := s.next
	if lo := now.Add(-s.slack); at.Before(lo) {
		at = lo
	}
	s.next = at.Add(s.interval)
	if at.Before(now) {
		return now
	}
	return at
}

// Rate returns the current rate in requests per second.
func (l *Limiter) Rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate
}

// Observe records one answer: how long it took and what it said. A
// latency of 0 says nothing of the load (an answer whose time grows with
// its size, such as a bulk call's): only its signal counts.
func (l *Limiter) Observe(latency time.Duration, s Signal) {
	l.mu.Lock()
	now := l.cfg.Now()
	switch {
	case s != OK && now.Before(l.quiet):
		// The answer to a request sent before the last cut: acted on already.
	case s == OK:
		l.win.ok++
		if latency > 0 {
			l.win.timed++
			l.win.latency += latency
		}
		if latency > 0 && (l.floor == 0 || latency < l.floor) {
			l.floor = latency
		}
	case s == Throttled:
		l.win.throttled++
	default:
		l.win.other++
	}
	from, to, why := l.rate, l.rate, ""
	if now.Sub(l.win.start) >= l.windowLength() {
		to, why = l.adjust(now)
	}
	l.mu.Unlock()
	if to != from && l.cfg.OnChange != nil {
		l.cfg.OnChange(from, to, why)
	}
}

// windowLength is long enough to hold a few latencies and about twenty
// answers, so that one window's figures are not noise.
func (l *Limiter) windowLength() time.Duration {
	return max(l.cfg.Window, 2*l.floor, time.Duration(20/l.rate*float64(time.Second)))
}

// adjust closes the window that ends at now and moves the rate.
func (l *Limiter) adjust(now time.Time) (float64, string) {
	w := l.win
	l.win = window{start: now}
	secs := now.Sub(w.start).Seconds()
	accepted := float64(w.ok) / secs
	// The floor drifts up slowly, so that a server whose no-load latency
	// grows for good is not taken as congested for ever.
	l.floor += l.floor / 100

	var why string
	switch {
	case w.throttled > 0:
		why = "the server answered 429"
	case w.other > 0:
		why = "the server answered 5xx or timed out"
	case w.timed > 0 && l.floor > 0 && l.queued(w.latency/time.Duration(w.timed)):
		why = "the latency rose well above its floor"
	}
	if why != "" {
		// Slow start overshoots by up to half the limit: what the server
		// accepted is the better estimate of it then.
		// A window with 429s can accept far less than the server takes
		// (throttled callers wait out their Retry-After), so the rate the
		// server took cleanly before counts too.
		next := l.rate * l.cfg.Decrease
		if l.slowStart {
			next = min(l.rate, max(accepted, l.proven, l.cfg.Min)) * l.cfg.Decrease
		}
		l.slowStart = false
		l.capacity = l.rate
		l.quiet = now.Add(l.windowLength())
		// A server whose capacity fell for good lowers the proven rate
		// a share at each cut.
		l.proven = max(accepted, l.proven*l.cfg.Decrease)
		return l.set(next), why
	}
	if float64(w.granted) < 0.8*l.rate*secs {
		return l.rate, "" // the callers did not use the rate: nothing learnt
	}
	l.proven = max(l.proven, accepted)
	switch {
	case l.slowStart:
		return l.set(l.rate * 1.5), "slow start: every answer clean"
	case l.rate < recoverShare*l.proven:
		// Far below a rate the server took cleanly (a cut on a passing
		// spike): climb back fast, not one small step a second.
		return l.set(min(l.rate*1.25, recoverShare*l.proven)), "recovering towards the rate the server took before"
	}
	return l.set(l.rate + l.cfg.Step*l.capacity*secs), "clean answers"
}

// recoverShare is the share of the proven rate that a limiter recovers
// quickly after a cut; above it, it climbs by additive steps.
const recoverShare = 0.9

// queued reports whether a window's mean latency says the server queues:
// well above the floor, by more than the slack.
func (l *Limiter) queued(mean time.Duration) bool {
	return float64(mean) > l.cfg.LatencyRatio*float64(l.floor) && mean-l.floor > l.cfg.LatencySlack
}

// set moves the rate within bounds and returns it.
func (l *Limiter) set(r float64) float64 {
	r = math.Min(math.Max(r, l.cfg.Min), l.cfg.Max)
	l.rate = r
	l.slots.set(r)
	return r
}

// tryAt takes a token at t if one is free; the simulation tests pace with
// it instead of the wall clock.
func (l *Limiter) tryAt(t time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.slots.next.After(t) {
		return false
	}
	l.slots.take(t)
	l.win.granted++
	return true
}
