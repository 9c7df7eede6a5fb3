package adaptive

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clock is a settable time for the limiter.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)} }

// drive asks l for perSecond tokens a second during d, in 1 ms steps.
func (c *clock) drive(l *Limiter, d time.Duration, perSecond int) {
	owed := 0.0
	for end := c.t.Add(d); c.t.Before(end); c.advance(time.Millisecond) {
		for owed += float64(perSecond) / 1000; owed >= 1 && l.tryAt(c.t); owed-- {
		}
	}
}

// TestSignals checks each rule on its own: slow start grows by half, a 429 or a
// 5xx or a latency well above the floor cuts the rate to a share of what
// was accepted, answers right after a cut are not counted twice, a window
// whose rate was not used changes nothing, and the bounds hold.
func TestSignals(t *testing.T) {
	type answer struct {
		lat time.Duration
		sig Signal
	}
	clean := func(n int) []answer {
		a := make([]answer, n)
		for i := range a {
			a[i] = answer{10 * time.Millisecond, OK}
		}
		return a
	}
	for _, tc := range []struct {
		name    string
		cfg     Config
		use     int // tokens asked for per second
		windows [][]answer
		want    float64
		reason  string
	}{
		{"slow start grows by half", Config{Initial: 100}, 100, [][]answer{clean(30)}, 150, "slow start: every answer clean"},
		{"429 cuts to a share of the accepted rate", Config{Initial: 100}, 100,
			[][]answer{append(clean(20), answer{0, Throttled})}, 0.85 * 21 / 0.261, "the server answered 429"},
		{"5xx cuts", Config{Initial: 100}, 100, [][]answer{append(clean(30), answer{0, Overloaded})}, 85, "the server answered 5xx or timed out"},
		{"latency well above the floor cuts", Config{Initial: 100}, 100,
			[][]answer{append(clean(1), answer{200 * time.Millisecond, OK}, answer{200 * time.Millisecond, OK})}, 0.85 * 4 / 0.261, "the latency rose well above its floor"},
		{"a small rise above a tiny floor is noise", Config{Initial: 100}, 100,
			[][]answer{append(clean(20), answer{25 * time.Millisecond, OK}, answer{25 * time.Millisecond, OK})}, 150, "slow start: every answer clean"},
		{"an unused rate teaches nothing", Config{Initial: 100}, 5, [][]answer{clean(30)}, 100, ""},
		{"the maximum holds", Config{Initial: 100, Max: 120}, 100, [][]answer{clean(30)}, 120, "slow start: every answer clean"},
		{"the minimum holds", Config{Initial: 2, Min: 2}, 100, [][]answer{{{0, Throttled}}}, 2, ""},
		{"a cut far below a rate the server took recovers fast", Config{Initial: 100}, 200,
			[][]answer{clean(60), append(clean(60), answer{0, Overloaded}), clean(60)}, 127.5 * 1.25,
			"recovering towards the rate the server took before"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			var reason string
			tc.cfg.Now = c.now
			tc.cfg.Window = 250 * time.Millisecond
			tc.cfg.OnChange = func(_, _ float64, why string) { reason = why }
			l := New(tc.cfg)
			for _, w := range tc.windows {
				c.advance(time.Millisecond)
				for _, a := range w {
					l.Observe(a.lat, a.sig)
				}
				c.drive(l, 260*time.Millisecond, tc.use)
				l.Observe(10*time.Millisecond, OK) // closes the window
			}
			assert.InDelta(t, tc.want, l.Rate(), 0.01)
			assert.Equal(t, tc.reason, reason)
		})
	}
}

// TestAnswersToEarlierRequestsAreNotPunishedTwice: after a cut, the 429s
// of requests already in flight do not cut again; a later one does.
func TestAnswersToEarlierRequestsAreNotPunishedTwice(t *testing.T) {
	c := newClock()
	l := New(Config{Initial: 100, Now: c.now, Window: 250 * time.Millisecond})
	window := func(throttled bool) {
		c.advance(time.Millisecond)
		if throttled {
			l.Observe(0, Throttled)
		}
		for range 25 {
			l.Observe(10*time.Millisecond, OK)
		}
		c.drive(l, 300*time.Millisecond, 200)
		l.Observe(10*time.Millisecond, OK) // closes the window
	}
	window(true)
	first := l.Rate()
	require.Less(t, first, 100.0)
	window(true) // its 429 answers a request sent before the cut
	assert.Greater(t, l.Rate(), first, "a clean window after the cut: additive increase")
	second := l.Rate()
	window(false)
	assert.Greater(t, l.Rate(), second)
	third := l.Rate()
	c.advance(300 * time.Millisecond)
	window(true) // a new 429, well after the cut
	assert.Less(t, l.Rate(), third)
}

// TestWait paces real callers at the current rate.
func TestWait(t *testing.T) {
	l := New(Config{Initial: 1000})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 20 {
		require.NoError(t, l.Wait(ctx))
	}
	cancel()
	assert.Error(t, New(Config{Initial: 1, Max: 1}).waitTwice(ctx))
}

func (l *Limiter) waitTwice(ctx context.Context) error {
	if err := l.Wait(ctx); err != nil {
		return err
	}
	return l.Wait(ctx)
}

// TestUntimedAnswersSayNothingOfLatency: answers observed with a latency
// of 0 (bulk calls, whose time grows with their size) count as clean
// answers but do not water down the latency of the timed ones: a queue the
// timed answers show still cuts the rate.
func TestUntimedAnswersSayNothingOfLatency(t *testing.T) {
	c := newClock()
	var reason string
	l := New(Config{Initial: 100, Now: c.now, Window: 250 * time.Millisecond,
		OnChange: func(_, _ float64, why string) { reason = why }})
	l.Observe(time.Millisecond, OK) // the floor: 1 ms
	for range 5 {
		l.Observe(60*time.Millisecond, OK) // a queue
	}
	for range 30 {
		l.Observe(0, OK)
	}
	c.drive(l, 260*time.Millisecond, 200)
	l.Observe(0, OK) // closes the window
	assert.Equal(t, "the latency rose well above its floor", reason)
	assert.Less(t, l.Rate(), 100.0)
}
