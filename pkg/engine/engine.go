package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
)

// API is what the engine needs of EnKash; *enkash.Client satisfies it.
type API interface {
	Allocate(ctx context.Context, a reward.Allocation) (*enkash.AllocateResult, error)
	FindTransactions(ctx context.Context, reference, enKashCardID string) (enkash.Lookup, error)
}

var _ API = (*enkash.Client)(nil)

// Config tunes the engine. Zero values take the defaults.
type Config struct {
	Workers      int           // concurrent rows (default 8)
	Rate         float64       // requests per second across all workers (default 25)
	MaxAttempts  int           // sends per row when not applied (default 4)
	BackoffBase  time.Duration // first retry delay (default 500 ms)
	BackoffMax   time.Duration // retry delay cap (default 15 s)
	LookupGrace  time.Duration // wait before looking up an ambiguous send (default 2 s)
	LookupTries  int           // lookups per settlement (default 3)
	FailWindow   int           // attempts the failure threshold watches (default 50)
	FailRatio    float64       // share of failures that stops the run (default 0.5; 0 disables)
	ReorderLimit int           // outcomes held back waiting for an earlier row (default 4096)
	Default429   time.Duration // pause after a 429 without Retry-After (default 1 s)
}

// Defaults for [Config].
const (
	DefaultWorkers     = 8
	DefaultRate        = 25.0
	DefaultMaxAttempts = 4
)

func (c *Config) defaults() {
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Rate <= 0 {
		c.Rate = DefaultRate
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = 500 * time.Millisecond
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = 15 * time.Second
	}
	if c.LookupGrace < 0 {
		c.LookupGrace = 0
	} else if c.LookupGrace == 0 {
		c.LookupGrace = 2 * time.Second
	}
	if c.LookupTries <= 0 {
		c.LookupTries = 3
	}
	if c.FailWindow <= 0 {
		c.FailWindow = 50
	}
	if c.FailRatio == 0 {
		c.FailRatio = 0.5
	}
	if c.ReorderLimit <= 0 {
		c.ReorderLimit = 4096
	}
	if c.Default429 <= 0 {
		c.Default429 = time.Second
	}
}

// Source produces the rows of a run in file order, calling emit for each.
// It must stop when emit returns an error.
type Source func(ctx context.Context, emit func(*reward.Item) error) error

// Sink receives every outcome, once, in input order.
type Sink func(*reward.Outcome) error

// Engine runs one batch. Create it with [New]; it is used once.
type Engine struct {
	cfg     Config
	api     API
	journal Journal
	log     *zap.Logger
	limiter *rate.Limiter
	pause   pauser
	brk     *breaker
	stop    *latch
	count   counters

	mu    sync.Mutex // guards fatal
	fatal error
}

// New returns an engine that sends through api. journal may be nil.
func New(cfg Config, api API, journal Journal, log *zap.Logger) *Engine {
	cfg.defaults()
	if log == nil {
		log = zap.NewNop()
	}
	return &Engine{
		cfg: cfg, api: api, journal: journal, log: log,
		// A burst of one paces requests evenly instead of letting every
		// worker fire at once: no thundering herd at EnKash, no lockstep.
		limiter: rate.NewLimiter(rate.Limit(cfg.Rate), 1),
		brk:     newBreaker(cfg.FailWindow, cfg.FailRatio),
		stop:    newLatch(),
	}
}

// Report is how a run ended.
type Report struct {
	// Stopped says why dispatching stopped early ("" when it did not).
	Stopped string
	// Fatal is the batch-fatal error that stopped it (the journal became
	// unwritable), if any. Every row still reached the sink.
	Fatal error
	// MaxInFlight is the most rows that were being worked on at once.
	MaxInFlight int
}

// Progress returns the rows finished and failed so far, for progress lines.
func (e *Engine) Progress() (done, failed int64) { return e.count.done.Load(), e.count.failed.Load() }

type job struct {
	seq   int
	item  *reward.Item
	prior reward.Prior // what the journal knew of the reference
	begun bool         // the journal recorded the row before it is sent
}

// Run sends every row src produces and gives sink one outcome per row, in
// input order. Cancelling ctx stops dispatching: the rest of the rows are
// still read and reported as NOT_SENT, and requests in flight finish. A
// journal that becomes unwritable stops dispatching the same way and is
// reported in [Report.Fatal]. Run returns an error only when src or sink
// fails, and then not every row reached the sink.
func (e *Engine) Run(ctx context.Context, src Source, sink Sink) (Report, error) {
	base := context.WithoutCancel(ctx)
	g, gctx := errgroup.WithContext(base)
	go func() {
		select {
		case <-ctx.Done():
			e.stop.trip("interrupted")
		case <-gctx.Done():
		}
	}()

	results := make(chan *reward.Outcome, e.cfg.Workers)
	window := make(chan struct{}, e.cfg.ReorderLimit)

	// With a journal, a stage between the reader and the workers records
	// rows in batches before they are sent, so that one durable commit
	// serves many rows and no worker waits for the disk alone; the next
	// batch is recorded while the workers drain this one.
	jobs := make(chan job)
	feed := jobs
	if e.journal != nil {
		jobs, feed = make(chan job, beginBatch), make(chan job, beginBatch)
		g.Go(func() error {
			defer close(jobs)
			return e.beginStage(gctx, feed, jobs)
		})
	}

	g.Go(func() error { // reader
		defer close(feed)
		seq := 0
		return src(gctx, func(it *reward.Item) error {
			select {
			case window <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			select {
			case feed <- job{seq: seq, item: it}:
				seq++
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})

	var workers errgroup.Group
	for range e.cfg.Workers {
		workers.Go(func() error {
			for j := range jobs {
				o := e.process(gctx, j)
				select {
				case results <- o:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		err := workers.Wait()
		close(results)
		return err
	})

	g.Go(func() error { // reconciler: input order, bounded memory
		held := map[int]*reward.Outcome{}
		next := 0
		for o := range results {
			held[o.Seq] = o
			for {
				h, ok := held[next]
				if !ok {
					break
				}
				delete(held, next)
				next++
				if err := sink(h); err != nil {
					return err
				}
				<-window
			}
		}
		if len(held) > 0 {
			return fmt.Errorf("engine: %d outcomes never reached the report", len(held))
		}
		return nil
	})

	err := g.Wait()
	return Report{Stopped: e.stop.why(), Fatal: e.fatalErr(), MaxInFlight: int(e.count.maxInFlight.Load())}, err
}

// beginBatch is the most rows one begin commit records.
const beginBatch = 64

// beginStage records the valid rows coming from in with the journal, in
// batches of whatever has queued up, and passes every row on to out.
func (e *Engine) beginStage(ctx context.Context, in <-chan job, out chan<- job) error {
	for first := range in {
		batch := []job{first}
	fill:
		for len(batch) < beginBatch {
			select {
			case j, ok := <-in:
				if !ok {
					break fill
				}
				batch = append(batch, j)
			default:
				break fill
			}
		}
		e.begin(ctx, batch)
		for _, j := range batch {
			select {
			case out <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// begin records the valid rows of batch before they are sent. After a stop
// nothing more is recorded: those rows go out not begun, and NOT_SENT.
func (e *Engine) begin(ctx context.Context, batch []job) {
	if e.stop.tripped() {
		return
	}
	var (
		items []*reward.Item
		at    []int
	)
	for i, j := range batch {
		if j.item.Valid {
			items = append(items, j.item)
			at = append(at, i)
		}
	}
	if len(items) == 0 {
		return
	}
	priors, err := e.journal.Begin(ctx, items)
	if err == nil && len(priors) != len(items) {
		err = fmt.Errorf("the journal answered %d of %d rows", len(priors), len(items))
	}
	if err != nil {
		e.abort(fmt.Errorf("ledger: %w", err))
		return
	}
	for k, i := range at {
		batch[i].prior, batch[i].begun = priors[k], true
	}
}

// abort stops the run for a batch-fatal error.
func (e *Engine) abort(err error) {
	e.stop.trip(err.Error())
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fatal == nil {
		e.fatal = err
	}
}

// fatalErr returns the first batch-fatal error, if any.
func (e *Engine) fatalErr() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fatal
}
