package engine

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/adaptive"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// newAdaptive returns the limiter of an adaptive rate: it starts at
// cfg.Rate, never goes above cfg.MaxRate, and logs each change.
func newAdaptive(cfg Config, log *zap.Logger) *adaptive.Limiter {
	return adaptive.New(adaptive.Config{
		Initial: min(cfg.Rate, cfg.MaxRate),
		Max:     cfg.MaxRate,
		OnChange: func(from, to float64, why string) {
			lvl := zap.InfoLevel
			if to > from {
				lvl = zap.DebugLevel // slow start rises often; the cuts are what an operator wants to see
			}
			log.Log(lvl, "request rate changed", zap.Float64("from", round1(from)), zap.Float64("to", round1(to)), zap.String("reason", why))
		},
	})
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

// Rate returns the current request rate: the adaptive limiter's, or the
// fixed one.
func (e *Engine) Rate() float64 {
	if e.g.adapt != nil {
		return e.g.adapt.Rate()
	}
	return e.cfg.Rate
}

// paced returns api as the engine calls it: with an adaptive rate, every
// answer is timed and told to the limiter.
func (g *gate) paced(api API) API {
	if g.adapt == nil {
		return api
	}
	return observed{api: api, lim: g.adapt, clock: g.clock}
}

// observed is an API whose answers feed an adaptive limiter.
type observed struct {
	api   API
	lim   *adaptive.Limiter
	clock Clock
}

func (o observed) Allocate(ctx context.Context, a reward.Allocation) (*enkash.AllocateResult, error) {
	t := o.clock.Now()
	res, err := o.api.Allocate(ctx, a)
	o.observe(t, err)
	return res, err
}

func (o observed) FindTransactions(ctx context.Context, reference, card string) (enkash.Lookup, error) {
	t := o.clock.Now()
	lk, err := o.api.FindTransactions(ctx, reference, card)
	o.observe(t, err)
	return lk, err
}

func (o observed) FindCard(ctx context.Context, email, mobile string) (string, error) {
	t := o.clock.Now()
	card, err := o.api.FindCard(ctx, email, mobile)
	seen := err
	if errors.Is(err, enkash.ErrNoCard) {
		seen = nil // an answer, not a failure
	}
	o.observe(t, seen)
	return card, err
}

// ListUsers observes each page's answer as one request.
func (o observed) ListUsers(ctx context.Context, maxPages int, each enkash.PageFunc) ([]enkash.User, error) {
	return o.api.ListUsers(ctx, maxPages, func(ctx context.Context, fetch func() error) error {
		return each(ctx, func() error {
			t := o.clock.Now()
			err := fetch()
			o.observe(t, err)
			return err
		})
	})
}

// observe tells the limiter what one answer says of the server's load. A
// failed login says nothing about it and is not counted.
func (o observed) observe(start time.Time, err error) {
	lat := o.clock.Now().Sub(start)
	if sig, ok := loadSignal(err); ok {
		o.lim.Observe(lat, sig)
	}
}

// loadSignal reads an answer as a load signal: a 429 is throttling; an
// answer that never came, a 5xx or a timeout is overload; any other answer,
// refusals included, shows a server that kept up.
func loadSignal(err error) (adaptive.Signal, bool) {
	var (
		na    *enkash.NotAppliedError
		login *enkash.LoginError
		auth  *enkash.AuthError
	)
	switch {
	case err == nil:
		return adaptive.OK, true
	case errors.As(err, &login), errors.As(err, &auth), errors.Is(err, context.Canceled):
		return 0, false
	case errors.As(err, &na) && na.HTTPStatus == 429:
		return adaptive.Throttled, true
	}
	switch enkash.Classify(err) {
	case enkash.SafetyNotApplied, enkash.SafetyAmbiguous:
		return adaptive.Overloaded, true
	}
	return adaptive.OK, true
}

// retryDelay is the wait before retrying a row that EnKash provably did
// not apply: the backoff, and with an adaptive rate at least the 429's
// Retry-After (the gate pauses only this row for a short one).
func (g *gate) retryDelay(n int, err error) time.Duration {
	d := g.backoff(n)
	var na *enkash.NotAppliedError
	if g.adapt != nil && errors.As(err, &na) && na.HTTPStatus == 429 {
		// Spread the retries over a quarter of the pause, so that the rows
		// throttled in one burst do not all come back in the next.
		ra := cmp.Or(na.RetryAfter, g.cfg.Default429)
		d = max(d, ra+rand.N(ra/4+1))
	}
	return d
}
