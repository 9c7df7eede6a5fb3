package engine

import (
	"context"
	"fmt"
	"sync"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// Source produces the rows of a run in file order, calling emit for each.
// It must stop when emit returns an error.
type Source func(ctx context.Context, emit func(*reward.Item) error) error

// Sink receives every outcome, once. Outcomes come in input order, except
// those of rows parked to be settled after a lost answer: each of those
// comes when it is settled (or at the end of its settle window), so that
// it never holds the rows after it back.
type Sink func(*reward.Outcome) error

// Engine runs one batch. Create it with [New]; it is used once.
type Engine struct {
	cfg     Config
	api     API
	journal Journal
	log     *zap.Logger
	g       *gate
	settler *Settler
	brk     *breaker
	count   counters
	bulk    *bulker // nil in single mode
	roster  *roster // the users listed for the checks before first sends

	results chan result    // worker and parked outcomes, to the reorder stage
	parked  sync.WaitGroup // rows being settled beside the workers

	mu    sync.Mutex // guards fatal
	fatal error
}

// New returns an engine that sends through api. journal may be nil: then
// every row is sent as new, with no remote check.
func New(cfg Config, api API, journal Journal, log *zap.Logger) *Engine {
	cfg.defaults()
	if log == nil {
		log = zap.NewNop()
	}
	g := newGate(cfg, log)
	bulk, _ := api.(BulkAPI) // before pacing wraps it
	api = g.paced(api)
	e := &Engine{
		cfg: cfg, api: api, journal: journal, log: log, g: g,
		settler: &Settler{api: api, g: g},
		brk:     newBreaker(cfg.FailWindow, cfg.FailRatio),
		roster:  newRoster(cfg.RosterPages),
		results: make(chan result, cfg.Workers),
	}
	e.bulk = newBulker(e, bulk)
	return e
}

// Report is how a run ended.
type Report struct {
	// Stopped says why dispatching stopped early ("" when it did not).
	Stopped string
	// Fatal is the batch-fatal error that stopped it (the journal became
	// unwritable, or a bug panicked), if any. Every row still reached the
	// sink.
	Fatal error
	// MaxInFlight is the most rows that were being worked on at once.
	MaxInFlight int
}

// Progress returns the rows finished and failed so far, for progress lines.
func (e *Engine) Progress() (done, failed int64) { return e.count.done.Load(), e.count.failed.Load() }

// job is one row on its way to a worker.
type job struct {
	seq   int
	item  *reward.Item
	prior reward.Prior // what the journal knew of the reference
	begun bool         // the journal recorded the row before it is sent
}

// result is what the reorder stage receives: an outcome, or the news that
// a row was parked (its outcome comes later, late).
type result struct {
	o            *reward.Outcome
	parked, late bool
	queued       bool // handed to the bulker, which gives its result
}

// Run sends every row src produces and gives sink one outcome per row.
// Cancelling ctx stops dispatching: the rest of the rows are still read
// and reported as NOT_SENT, and requests in flight finish. A journal that
// becomes unwritable, or a panic, stops dispatching the same way and is
// reported in [Report.Fatal]. Run returns an error only when src or sink
// fails, and then not every row reached the sink.
func (e *Engine) Run(ctx context.Context, src Source, sink Sink) (Report, error) {
	grp, gctx := errgroup.WithContext(context.WithoutCancel(ctx))
	go func() {
		select {
		case <-ctx.Done():
			e.g.stop.trip("interrupted")
		case <-gctx.Done():
		}
	}()
	window := make(chan struct{}, e.cfg.ReorderLimit)
	feed, jobs := e.stages(grp, gctx)
	grp.Go(func() error {
		defer close(feed)
		return e.read(gctx, src, feed, window)
	})
	grp.Go(func() error { return e.work(gctx, jobs) })
	grp.Go(func() error { return e.reorder(window, sink) })
	err := grp.Wait()
	return Report{Stopped: e.g.stop.why(), Fatal: e.fatalErr(), MaxInFlight: int(e.count.maxInFlight.Load())}, err
}

// stages returns the channel the reader feeds and the one the workers
// drain. With a journal, a stage between them records rows in batches
// before they are sent, so that one durable commit serves many rows and no
// worker waits for the disk alone.
func (e *Engine) stages(grp *errgroup.Group, ctx context.Context) (feed, jobs chan job) {
	if e.journal == nil {
		jobs = make(chan job)
		return jobs, jobs
	}
	jobs, feed = make(chan job, beginBatch), make(chan job, beginBatch)
	grp.Go(func() error {
		defer close(jobs)
		return e.beginStage(ctx, feed, jobs)
	})
	return feed, jobs
}

// read feeds the rows of src, in order, holding one slot of the reorder
// window for each.
func (e *Engine) read(ctx context.Context, src Source, feed chan<- job, window chan struct{}) error {
	seq := 0
	return src(ctx, func(it *reward.Item) error {
		select {
		case window <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case feed <- job{seq: seq, item: it}:
			seq++
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

// work runs the workers, then waits for the parked rows, then closes the
// results.
func (e *Engine) work(ctx context.Context, jobs <-chan job) error {
	var workers errgroup.Group
	e.bulk.start(ctx)
	for range e.cfg.Workers {
		workers.Go(func() error {
			for j := range jobs {
				if res := e.safeProcess(ctx, j); !res.queued {
					if err := e.emit(ctx, res); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	err := workers.Wait()
	e.bulk.close()
	if n := e.count.parked.Load(); n > 0 {
		e.log.Warn("every row is sent; waiting for the rows whose answer was lost to be looked up",
			zap.Int64("rows", n), zap.Duration("settleWindow", e.cfg.SettleWindow))
	}
	e.parked.Wait()
	close(e.results)
	return err
}

func (e *Engine) emit(ctx context.Context, r result) error {
	select {
	case e.results <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reorder hands outcomes to sink in input order with bounded memory. A
// parked row gives its place up at once; its outcome goes to sink when it
// arrives.
func (e *Engine) reorder(window <-chan struct{}, sink Sink) error {
	held := map[int]*reward.Outcome{}
	skip := map[int]bool{}
	next := 0
	for r := range e.results {
		switch {
		case r.late:
			if err := sink(r.o); err != nil {
				return err
			}
			continue
		case r.parked:
			skip[r.o.Seq] = true
		default:
			held[r.o.Seq] = r.o
		}
		for {
			if skip[next] {
				delete(skip, next)
			} else if h, ok := held[next]; ok {
				delete(held, next)
				if err := sink(h); err != nil {
					return err
				}
			} else {
				break
			}
			next++
			<-window
		}
	}
	if len(held) > 0 {
		return fmt.Errorf("engine: %d outcomes never reached the report", len(held))
	}
	return nil
}
