package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/adaptive"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// Mode is how the engine sends create-and-allocate rows.
type Mode string

// The modes of [Config.Mode].
const (
	// ModeSingle sends every row on its own create-allocate-points call.
	ModeSingle Mode = "single"
	// ModeBulk gathers create-and-allocate rows into bulk calls of up to
	// BulkSize rows; top-ups and debits keep their single calls.
	ModeBulk Mode = "bulk"
)

// Defaults and bounds of the bulk mode.
const (
	DefaultBulkSize   = 50
	MaxBulkSize       = 1000
	DefaultBulkLinger = 200 * time.Millisecond
)

// BulkAPI is what the bulk mode needs beyond [API]; *enkash.Client
// satisfies it.
type BulkAPI interface {
	// AllocateBulk sends create-and-allocate rows in one call and says,
	// reference by reference, what the answer proves.
	AllocateBulk(ctx context.Context, allocs []reward.Allocation) (*enkash.BulkAnswer, error)
}

var _ BulkAPI = (*enkash.Client)(nil)

func (c *Config) bulkDefaults() {
	if c.Mode == "" {
		c.Mode = ModeSingle
	}
	orDefault(&c.BulkSize, DefaultBulkSize)
	orDefault(&c.BulkLinger, DefaultBulkLinger)
	c.BulkSize, c.BulkLinger = min(max(c.BulkSize, 1), MaxBulkSize), max(c.BulkLinger, 0)
}

// bulker gathers the rows a worker hands over into batches, and sends each
// batch beside the workers, at most Workers batches at once. A batch goes
// when it holds BulkSize rows, when its first row has waited BulkLinger
// (so that a slow file does not hold rows back), when dispatching stops,
// and at the end.
type bulker struct {
	e     *Engine
	api   BulkAPI
	in    chan *row
	done  chan struct{}
	slots chan struct{}
	sends sync.WaitGroup
	// size is the most rows of a batch: BulkSize, lowered when EnKash
	// refuses a call as too large (see [Engine.split]).
	size atomic.Int64
}

// newBulker returns the engine's bulker, sending through api, or nil in
// single mode. An API without bulk calls (api nil) keeps the single mode,
// with a warning.
func newBulker(e *Engine, api BulkAPI) *bulker {
	if e.cfg.Mode != ModeBulk {
		return nil
	}
	if api == nil {
		e.log.Warn("this EnKash client has no bulk call; sending every row on its own")
		return nil
	}
	b := &bulker{e: e, api: e.g.pacedBulk(api), in: make(chan *row), done: make(chan struct{}), slots: make(chan struct{}, e.cfg.Workers)}
	b.size.Store(int64(e.cfg.BulkSize))
	return b
}

// lower makes later batches at most n rows, logging the change.
func (b *bulker) lower(n int) {
	for {
		cur := b.size.Load()
		if int64(n) >= cur {
			return
		}
		if b.size.CompareAndSwap(cur, int64(n)) {
			b.e.log.Info("EnKash takes smaller bulk calls than --bulk-size: later calls carry fewer rows",
				zap.Int64("from", cur), zap.Int("to", n))
			return
		}
	}
}

// pacedBulk returns api's bulk calls as the engine makes them: with an
// adaptive rate, each answer's signal is told to the limiter as one call,
// whatever its size; its latency is not.
func (g *gate) pacedBulk(api BulkAPI) BulkAPI {
	if g.adapt == nil {
		return api
	}
	return observedBulk{api: api, lim: g.adapt}
}

// observedBulk is a BulkAPI whose answers feed an adaptive limiter.
type observedBulk struct {
	api BulkAPI
	lim *adaptive.Limiter
}

func (b observedBulk) AllocateBulk(ctx context.Context, allocs []reward.Allocation) (*enkash.BulkAnswer, error) {
	ans, err := b.api.AllocateBulk(ctx, allocs)
	if sig, ok := loadSignal(err); ok {
		// its signal only: a call of many rows takes longer than the
		// single calls that set the latency floor, without a queue
		b.lim.Observe(0, sig)
	}
	return ans, err
}

// takes reports whether r goes in a bulk call: a create-and-allocate row
// (no card named) in bulk mode, that no earlier run sent without learning
// its fate. Such a row, once the evidence rule lets it be sent again, goes
// on the single endpoint, whose answer is about it alone: a bulk call
// whose refusal names one of its rows settles none of them, so its rows
// are looked up (UNKNOWN), and sent again in bulk they would meet the
// same refusal on every run.
func (b *bulker) takes(r *row) bool {
	a := r.o.Item.Allocation
	return b != nil && !r.sentBefore && a.Operation == reward.OpAllocate && a.EnkashCardID == ""
}

// start runs the gathering loop; close ends it once every batch is settled.
func (b *bulker) start(ctx context.Context) {
	if b != nil {
		go b.loop(ctx)
	}
}

// add hands a row over; the bulker gives it its outcome.
func (b *bulker) add(r *row) { b.in <- r }

// close flushes the rows still gathered and waits for every batch.
func (b *bulker) close() {
	if b != nil {
		close(b.in)
		<-b.done
	}
}

func (b *bulker) loop(ctx context.Context) {
	defer close(b.done)
	var (
		batch  []*row
		refs   = map[string]bool{} // the batch's references
		timer  = time.NewTimer(time.Hour)
		linger <-chan time.Time
		stop   = b.e.g.stop.ch
	)
	timer.Stop()
	flush := func() {
		timer.Stop()
		linger = nil
		if len(batch) > 0 {
			b.dispatch(ctx, batch)
			batch = nil
			clear(refs)
		}
	}
	for {
		select {
		case r, ok := <-b.in:
			if !ok {
				flush()
				b.sends.Wait()
				return
			}
			ref := r.o.Item.Allocation.Reference
			if refs[ref] {
				flush() // one call never carries a reference twice: the answer could not tell them apart
			}
			batch, refs[ref] = append(batch, r), true
			if len(batch) == 1 {
				timer.Reset(b.e.cfg.BulkLinger)
				linger = timer.C
			}
			if len(batch) >= int(b.size.Load()) || b.e.g.stop.tripped() {
				flush()
			}
		case <-linger:
			linger = nil
			flush()
		case <-stop:
			stop = nil
			flush()
		}
	}
}

// dispatch sends a batch beside the loop once a slot is free.
func (b *bulker) dispatch(ctx context.Context, batch []*row) {
	b.slots <- struct{}{}
	b.sends.Add(1)
	go func() {
		defer b.sends.Done()
		defer func() { <-b.slots }()
		b.e.sendBatch(ctx, b.api, batch)
	}()
}

// queued is how process hands a row to the bulker: it leaves its worker,
// and the bulker ends it, in its place in the report.
func (e *Engine) queued(r *row) action {
	e.bulk.add(r)
	return actQueued
}

// sendBatch sends one batch and ends each of its rows as a worker would:
// finished in its place, or parked to be settled by lookups. A panic ends
// the rows not ended yet as [Engine.crashed] does.
func (e *Engine) sendBatch(ctx context.Context, api BulkAPI, rows []*row) {
	ended := 0
	defer func() {
		if p := recover(); p != nil {
			for _, r := range rows[ended:] {
				e.crashed(r, p)
				e.count.leave()
				_ = e.emit(ctx, result{o: r.o})
			}
		}
	}()
	acts := e.bulkSend(ctx, api, rows)
	for i, r := range rows {
		e.endQueued(ctx, r, acts[i])
		e.count.leave()
		ended = i + 1
	}
}

// endQueued ends a row the bulker sent.
func (e *Engine) endQueued(ctx context.Context, r *row, act action) {
	if act == actPark {
		e.park(ctx, r)
		_ = e.emit(ctx, result{o: r.o, parked: true})
		return
	}
	e.finish(r)
	_ = e.emit(ctx, result{o: r.o})
}

// logBatch logs a bulk answer that left rows to the lookups.
func (e *Engine) logBatch(ans *enkash.BulkAnswer, sent, unsettled int) {
	if unsettled == 0 {
		return
	}
	e.log.Info("the bulk answer does not settle every row; they are looked up",
		zap.Int("rows", sent), zap.Int("unsettled", unsettled), zap.Int("unmatchedItems", ans.Unmatched),
		zap.Int("successCount", ans.Counts.Success), zap.Int("failureCount", ans.Counts.Failure), zap.Int("totalCount", ans.Counts.Total))
}
