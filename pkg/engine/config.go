package engine

import (
	"context"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// API is what the engine and its [Settler] need of EnKash; *enkash.Client
// satisfies it.
type API interface {
	// Allocate sends one row.
	Allocate(ctx context.Context, a reward.Allocation) (*enkash.AllocateResult, error)
	// FindTransactions looks a reference up, on one card when the card is
	// known, reading every page of the answer.
	FindTransactions(ctx context.Context, reference, enKashCardID string) (enkash.Lookup, error)
	// FindCard finds the card of the reward account's user with that
	// e-mail or mobile ([enkash.ErrNoCard] when there is none).
	FindCard(ctx context.Context, email, mobile string) (string, error)
	// ListUsers lists every user of the reward account in at most
	// maxPages requests ([enkash.ErrTooManyPages] when it needs more),
	// making each page's request through each.
	ListUsers(ctx context.Context, maxPages int, each enkash.PageFunc) ([]enkash.User, error)
}

var _ API = (*enkash.Client)(nil)

// Config tunes the engine. A zero field takes its default; where a
// mechanism can be switched off, a negative value does it.
type Config struct {
	Workers int     // concurrent rows (default 8)
	Rate    float64 // requests per second across all workers, lookups included (default 25); with Adaptive, the first rate
	// Adaptive finds the rate instead: it starts at Rate and moves with the
	// answers (pkg/adaptive), never above MaxRate.
	Adaptive    bool
	MaxRate     float64       // the highest rate Adaptive may reach (default 2,000)
	MaxAttempts int           // sends of a row that EnKash provably did not apply (default 4)
	BackoffBase time.Duration // first retry delay (default 500 ms)
	BackoffMax  time.Duration // retry delay cap (default 15 s)
	// LookupGrace is the wait before the first lookup of a row whose answer
	// was lost (default 2 s; negative: look it up at once).
	LookupGrace time.Duration
	// LookupTries is how often one lookup is tried when it fails (default 3).
	LookupTries int
	// SettleWindow is how long a row whose answer was lost is looked up
	// again, with growing pauses, before it ends UNKNOWN (default 3 min;
	// negative: one lookup only).
	SettleWindow time.Duration
	// ResendAfter is how long after the last attempt a reference must
	// still be absent, in at least two conclusive lookups, before a later
	// run may send it again (default 15 min).
	ResendAfter time.Duration
	// Deduplicates says EnKash refuses a repeated reference, so a resend
	// cannot pay twice: one conclusive absent lookup in a later run permits
	// it, whenever it was made.
	Deduplicates bool
	// NoRemoteCheck skips the lookup of a reference the ledger has never
	// seen before its first send (the check that protects against a lost
	// or new ledger).
	NoRemoteCheck bool
	// RosterPages is the most requests a run may spend listing the
	// account's users once, so that the checks before first sends find
	// cards in that listing instead of searching row by row (0 or
	// negative: never list; see [RosterBudget]).
	RosterPages int
	// MaxPause is the longest pause EnKash may impose through 429
	// Retry-After; a longer one stops dispatching (default 2 min;
	// negative: no limit).
	MaxPause     time.Duration
	FailWindow   int           // attempts the failure threshold watches (default 50)
	FailRatio    float64       // share of failed attempts that stops the run (default 0.5; negative: never stop)
	ReorderLimit int           // outcomes held back waiting for an earlier row (default 4096)
	Default429   time.Duration // pause after a 429 without Retry-After (default 1 s)
	// Clock is the engine's time; nil is the real clock. Tests inject one
	// that moves only when the engine sleeps.
	Clock Clock

	// Mode is ModeSingle (default) or ModeBulk, which sends the
	// create-and-allocate rows in bulk calls.
	Mode Mode
	// BulkSize is the most rows of one bulk call (default 50, at most 1000).
	BulkSize int
	// BulkLinger is how long a partly filled batch waits for more rows
	// before it is sent (default 200 ms; negative: at once).
	BulkLinger time.Duration
}

// Defaults for [Config].
const (
	DefaultWorkers      = 8
	DefaultRate         = 25.0
	DefaultMaxRate      = 2000.0
	DefaultMaxAttempts  = 4
	DefaultLookupGrace  = 2 * time.Second
	DefaultSettleWindow = 3 * time.Minute
	DefaultResendAfter  = 15 * time.Minute
	DefaultMaxPause     = 2 * time.Minute
	DefaultFailRatio    = 0.5
	DefaultFailWindow   = 50
)

func orDefault[T int | float64 | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

func (c *Config) defaults() {
	orDefault(&c.Workers, DefaultWorkers)
	orDefault(&c.Rate, DefaultRate)
	orDefault(&c.MaxRate, DefaultMaxRate)
	orDefault(&c.MaxAttempts, DefaultMaxAttempts)
	orDefault(&c.BackoffBase, 500*time.Millisecond)
	orDefault(&c.BackoffMax, 15*time.Second)
	orDefault(&c.LookupGrace, DefaultLookupGrace)
	orDefault(&c.LookupTries, 3)
	orDefault(&c.SettleWindow, DefaultSettleWindow)
	orDefault(&c.ResendAfter, DefaultResendAfter)
	orDefault(&c.MaxPause, DefaultMaxPause)
	orDefault(&c.FailWindow, DefaultFailWindow)
	orDefault(&c.FailRatio, DefaultFailRatio)
	orDefault(&c.ReorderLimit, 4096)
	orDefault(&c.Default429, time.Second)
	c.Workers, c.MaxAttempts, c.LookupTries = max(c.Workers, 1), max(c.MaxAttempts, 1), max(c.LookupTries, 1)
	c.FailWindow, c.ReorderLimit = max(c.FailWindow, 1), max(c.ReorderLimit, 1)
	c.LookupGrace, c.SettleWindow = max(c.LookupGrace, 0), max(c.SettleWindow, 0)
	c.BackoffBase, c.BackoffMax, c.ResendAfter = max(c.BackoffBase, 0), max(c.BackoffMax, 0), max(c.ResendAfter, 0)
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	c.bulkDefaults()
}

// Clock is the engine's time.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or less when ctx ends (its error) or stop closes
	// ([ErrStopped]).
	Sleep(ctx context.Context, stop <-chan struct{}, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, stop <-chan struct{}, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-stop:
		return ErrStopped
	}
}
