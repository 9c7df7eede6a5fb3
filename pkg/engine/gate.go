package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/rewardbatch/rewardbatch/pkg/adaptive"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
)

// ErrStopped is returned by a wait or sleep cut short because dispatching
// stopped.
var ErrStopped = errors.New("stopped")

// gate is what every request to EnKash passes: the stop latch, the pause
// a 429 imposes on everyone, and one shared rate limit. The engine's
// sends and every lookup (the engine's and reconcile's) share one gate.
type gate struct {
	cfg     Config
	clock   Clock
	log     *zap.Logger
	limiter pacer
	adapt   *adaptive.Limiter // with Config.Adaptive: the limiter, fed every answer
	stop    *latch

	mu    sync.Mutex // guards until
	until time.Time
}

// pacer holds a request back until the rate limit lets it go.
type pacer interface {
	Wait(ctx context.Context) error
}

func newGate(cfg Config, log *zap.Logger) *gate {
	g := &gate{cfg: cfg, clock: cfg.Clock, log: log, stop: newLatch(),
		// A burst of one paces requests evenly instead of letting every
		// worker fire at once: no thundering herd at EnKash, no lockstep.
		limiter: rate.NewLimiter(rate.Limit(cfg.Rate), 1)}
	if cfg.Adaptive {
		g.adapt = newAdaptive(cfg, log)
		g.limiter = g.adapt
	}
	return g
}

// wait holds a request back for any 429 pause and the shared rate limit.
// honourStop false lets lookups through after a stop: they settle rows,
// they never pay.
func (g *gate) wait(ctx context.Context, honourStop bool) error {
	stop := g.stop.ch
	if !honourStop {
		stop = nil
	}
	if err := g.paused(ctx, stop); err != nil {
		return err
	}
	if err := g.limiter.Wait(ctx); err != nil {
		return err
	}
	return g.paused(ctx, stop) // a 429 may have arrived while waiting for a token
}

// paused returns when no pause is in force.
func (g *gate) paused(ctx context.Context, stop <-chan struct{}) error {
	for {
		g.mu.Lock()
		d := g.until.Sub(g.clock.Now())
		g.mu.Unlock()
		if d <= 0 {
			return nil
		}
		if err := g.clock.Sleep(ctx, stop, d); err != nil {
			return err
		}
	}
}

// throttled makes every request wait as a 429 asks. A pause longer than
// MaxPause stops dispatching instead: a storm must not keep a run alive
// for hours with nothing said. With an adaptive rate, a short Retry-After
// (a second or less: a token bucket's usual answer) pauses only the
// throttled row: the lowered rate is the answer for everyone else.
func (g *gate) throttled(endpoint string, retryAfter time.Duration) {
	d := cmp.Or(retryAfter, g.cfg.Default429)
	if g.adapt != nil && d <= time.Second {
		return
	}
	if g.cfg.MaxPause > 0 && d > g.cfg.MaxPause {
		g.log.Warn("EnKash asked for a pause longer than --max-pause; stopping", zap.String("endpoint", endpoint),
			zap.Duration("pause", d), zap.Duration("maxPause", g.cfg.MaxPause))
		g.stop.trip(fmt.Sprintf("EnKash asked to pause for %v, longer than --max-pause %v", d, g.cfg.MaxPause))
		return
	}
	g.log.Warn("EnKash throttled a request (429); every request pauses", zap.String("endpoint", endpoint), zap.Duration("pause", d))
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := g.clock.Now().Add(d); t.After(g.until) {
		g.until = t
	}
}

// sleep waits d unless ctx ends or dispatching stops.
func (g *gate) sleep(ctx context.Context, d time.Duration) error {
	return g.clock.Sleep(ctx, g.stop.ch, d)
}

// backoff is a capped exponential delay with jitter for retry n (from 1).
func (g *gate) backoff(n int) time.Duration {
	d := g.cfg.BackoffBase << min(max(n-1, 0), 16)
	if d > g.cfg.BackoffMax || d <= 0 {
		d = g.cfg.BackoffMax
	}
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

// notApplied handles an answer that proves the request did not take
// effect: a 429 pauses everyone. It reports the endpoint's throttle.
func (g *gate) notApplied(err error) {
	var na *enkash.NotAppliedError
	if errors.As(err, &na) && na.HTTPStatus == 429 {
		g.throttled(na.Endpoint, na.RetryAfter)
	}
}
