package notify

import (
	"context"
	"time"
)

// Backoff is the retry policy of one delivery: at most Attempts tries,
// waiting Initial, then twice as long each time, never more than Max
// (a server's Retry-After is obeyed up to Max).
type Backoff struct {
	Attempts int
	Initial  time.Duration
	Max      time.Duration
}

// DefaultBackoff: 6 tries over about 15 s, inside the 30 s budget.
var DefaultBackoff = Backoff{Attempts: 6, Initial: 500 * time.Millisecond, Max: 8 * time.Second}

// attemptErr is what one try returns: err nil on success; retry says
// whether another try may help; wait, when positive, is the server's
// Retry-After.
type attemptErr struct {
	err   error
	retry bool
	wait  time.Duration
}

// retry runs try until it succeeds, fails for good, runs out of attempts or
// ctx ends. It returns the number of tries and the last error.
func (b Backoff) retry(ctx context.Context, try func(context.Context) attemptErr) (int, error) {
	delay := b.Initial
	for n := 1; ; n++ {
		r := try(ctx)
		if r.err == nil || !r.retry || n >= max(b.Attempts, 1) {
			return n, r.err
		}
		wait := min(max(delay, r.wait), b.Max)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return n, r.err
		case <-t.C:
		}
		delay = min(delay*2, b.Max)
	}
}
