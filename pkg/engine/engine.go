package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// API is what the engine needs of EnKash; *enkash.Client satisfies it.
type API interface {
	Allocate(ctx context.Context, a enkash.Allocation) (*enkash.AllocateResult, error)
	FindTransactions(ctx context.Context, reference, enKashCardID string) ([]enkash.Transaction, error)
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
type Source func(ctx context.Context, emit func(*validate.Item) error) error

// Sink receives every outcome, once, in input order.
type Sink func(*Outcome) error

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
	fatal   error
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
	// MaxInFlight is the most rows that were being worked on at once.
	MaxInFlight int
}

// Stop makes the engine send nothing more: rows not yet sent become
// NOT_SENT; requests in flight finish.
func (e *Engine) Stop(reason string) { e.stop.trip(reason) }

// Progress returns the rows finished and failed so far, for progress lines.
func (e *Engine) Progress() (done, failed int64) { return e.count.done.Load(), e.count.failed.Load() }

type job struct {
	seq   int
	item  *validate.Item
	prior Prior // what the journal knew of the reference
	begun bool  // the journal recorded the row before it is sent
}

// Run sends every row src produces and gives sink one outcome per row, in
// input order. Cancelling ctx stops dispatching (as [Engine.Stop] does):
// the rest of the rows are still read and reported as NOT_SENT, and
// requests in flight finish. Run returns an error only for a batch-fatal
// condition: src or sink failing, or the journal becoming unwritable.
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

	results := make(chan *Outcome, e.cfg.Workers)
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
		return src(gctx, func(it *validate.Item) error {
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
		held := map[int]*Outcome{}
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
	if err == nil && e.fatal != nil {
		err = e.fatal
	}
	return Report{Stopped: e.stop.why(), MaxInFlight: int(e.count.maxInFlight.Load())}, err
}

// process turns one row into its outcome.
func (e *Engine) process(ctx context.Context, j job) *Outcome {
	it := j.item
	o := &Outcome{Seq: j.seq, Item: it}
	defer func() {
		e.count.done.Add(1)
		if !o.Status.Done() {
			e.count.failed.Add(1)
		}
		e.logOutcome(o)
	}()
	if !it.Valid {
		o.Status, o.ErrorCode, o.ErrorMessage = StatusInvalid, CodeInvalid, it.ErrorText()
		return o
	}
	if e.stop.tripped() && !j.begun {
		e.notSent(o)
		return o
	}
	e.count.enter()
	defer e.count.leave()
	start := time.Now()
	defer func() { o.Latency = time.Since(start) }()

	settleFirst := false
	if e.journal != nil {
		if !j.begun { // the begin stage stopped: nothing was recorded, nothing is sent
			e.notSent(o)
			return o
		}
		switch prior := j.prior; prior.Kind {
		case PriorDone:
			o.Status = StatusSkipped
			o.PGReferenceNumber, o.EnKashCardID, o.EnkashCardTxnID, o.OTBBalance = prior.PGReferenceNumber, prior.EnKashCardID, prior.EnkashCardTxnID, prior.OTBBalance
			return o
		case PriorConflict:
			o.Status, o.ErrorCode, o.ErrorMessage = StatusFailed, CodeConflict, prior.Message
			return o
		case PriorHeld:
			o.Status, o.ErrorCode, o.ErrorMessage = StatusMismatch, CodeHeld, prior.Message
			return o
		case PriorUnsettled:
			settleFirst = true
		}
	}
	e.send(ctx, o, settleFirst)
	if e.journal != nil {
		if err := e.journal.Record(o); err != nil {
			e.abort(fmt.Errorf("ledger: %w", err))
		}
	}
	return o
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
		items []*validate.Item
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

// send runs the attempts of one row. When settleFirst is set an earlier
// run sent the row without recording its outcome, so a lookup comes first.
func (e *Engine) send(ctx context.Context, o *Outcome, settleFirst bool) {
	it := o.Item
	if settleFirst {
		if e.settle(ctx, o) {
			return
		}
	}
	for {
		if e.stop.tripped() {
			e.notSent(o)
			return
		}
		if err := e.wait(ctx); err != nil {
			e.notSent(o)
			return
		}
		o.Attempts++
		res, err := e.api.Allocate(ctx, it.Allocation)
		e.observe(err)
		switch enkash.Classify(err) {
		case enkash.SafetyNone:
			e.applied(o, res)
			return
		case enkash.SafetyRejected:
			var rej *enkash.RejectedError
			errors.As(err, &rej)
			o.Status, o.ErrorCode, o.ErrorMessage = StatusFailed, CodeRejected, rejectionText(rej)
			return
		case enkash.SafetyFatal:
			e.stop.trip(fatalReason(err))
			o.Attempts-- // the login or authorisation failed: nothing was applied
			o.ErrorCode, o.ErrorMessage = CodeAuth, err.Error()
			o.Status = StatusNotSent
			return
		case enkash.SafetyNotApplied:
			var le *enkash.LoginError
			if errors.As(err, &le) {
				o.Attempts-- // the token call failed; the allocation never left
			}
			var na *enkash.NotAppliedError
			if errors.As(err, &na) && na.HTTPStatus == 429 {
				e.pause.extend(cmpOr(na.RetryAfter, e.cfg.Default429))
			}
			if o.Attempts >= e.cfg.MaxAttempts {
				o.Status, o.ErrorCode = StatusFailed, CodeRetriesExhausted
				o.ErrorMessage = fmt.Sprintf("not applied after %d attempts: %v", o.Attempts, err)
				return
			}
			if serr := sleep(ctx, e.stop.ch, e.backoff(o.Attempts)); serr != nil {
				e.notSent(o)
				return
			}
		case enkash.SafetyAmbiguous:
			e.log.Debug("ambiguous answer; looking the reference up", zap.Int("line", it.Row.Line), zap.Error(err))
			_ = sleep(ctx, nil, e.cfg.LookupGrace)
			if e.settle(ctx, o) {
				return
			}
			if o.Attempts >= e.cfg.MaxAttempts {
				o.Status, o.ErrorCode = StatusFailed, CodeRetriesExhausted
				o.ErrorMessage = fmt.Sprintf("EnKash does not have the reference after %d attempts: %v", o.Attempts, err)
				return
			}
		}
	}
}

// settle looks the row's reference up. It reports true when it decided the
// outcome (applied, failed, or not decidable: UNKNOWN), and false when
// EnKash provably does not have the reference, so sending is safe.
func (e *Engine) settle(ctx context.Context, o *Outcome) bool {
	it := o.Item
	var lastErr error
	for try := 1; try <= e.cfg.LookupTries; try++ {
		if err := e.wait(ctx); err != nil && !errors.Is(err, errStopped) {
			lastErr = err
			break
		}
		txns, err := e.api.FindTransactions(ctx, it.Allocation.Reference, it.Allocation.EnkashCardID)
		if err == nil {
			if len(txns) == 0 {
				return false
			}
			a := it.Allocation
			var t enkash.Transaction
			t, o.Status, o.ErrorCode, o.ErrorMessage = Judge(a.Operation, a.Amount, a.Reference, txns)
			o.PGReferenceNumber, o.EnKashCardID, o.EnkashCardTxnID = t.PGReferenceNumber, t.EnKashCardID, t.EnKashTransactionID
			return true
		}
		lastErr = err
		var na *enkash.NotAppliedError
		if !errors.As(err, &na) {
			break
		}
		if na.HTTPStatus == 429 {
			e.pause.extend(cmpOr(na.RetryAfter, e.cfg.Default429))
		}
		_ = sleep(ctx, nil, e.backoff(try))
	}
	o.Status, o.ErrorCode = StatusUnknown, CodeAmbiguous
	o.ErrorMessage = fmt.Sprintf("sent, but EnKash's answer was lost and the lookup could not settle it (%v); run `rewardbatch reconcile` later", lastErr)
	return true
}

// applied records a success answer.
func (e *Engine) applied(o *Outcome, res *enkash.AllocateResult) {
	o.PGReferenceNumber, o.EnKashCardID, o.EnkashCardTxnID, o.OTBBalance = res.PGReferenceNumber, res.EnKashCardID, res.EnkashCardTxnID, res.OTBBalance.String()
	if res.PGReferenceNumber == o.Item.Allocation.Reference {
		o.Status, o.ErrorCode, o.ErrorMessage = StatusMatched, "", ""
		return
	}
	o.Status, o.ErrorCode = StatusMismatch, CodeRefMismatch
	if res.PGReferenceNumber == "" {
		o.ErrorMessage = "EnKash applied the request but returned no pgReferenceNumber; check the reference field setting (ENKASH_REFERENCE_FIELD)"
	} else {
		o.ErrorMessage = fmt.Sprintf("EnKash returned pgReferenceNumber %q for reference %q", res.PGReferenceNumber, o.Item.Allocation.Reference)
	}
}

// Judge settles a row from the transactions a lookup found under its
// reference (at least one): it judges the applied one with [Verdict], and
// reports MISMATCH when EnKash applied the reference more than once.
func Judge(op enkash.Operation, amount money.Amount, ref string, txns []enkash.Transaction) (enkash.Transaction, Status, string, string) {
	var applied []enkash.Transaction
	for _, t := range txns {
		if !isFailedStatus(t.Status) {
			applied = append(applied, t)
		}
	}
	switch len(applied) {
	case 0:
		st, code, msg := Verdict(op, amount, ref, txns[0])
		return txns[0], st, code, msg
	case 1:
		st, code, msg := Verdict(op, amount, ref, applied[0])
		return applied[0], st, code, msg
	}
	return applied[0], StatusMismatch, CodeAppliedTwice, fmt.Sprintf("EnKash applied reference %s %d times; ask EnKash to reverse the extra ones", ref, len(applied))
}

// Verdict judges a transaction that a lookup found under reference ref,
// for a row that asked for op and amount: MATCHED when it is what the row
// asked for, MISMATCH when EnKash has the reference with another amount or
// type, FAILED when EnKash recorded it as failed.
func Verdict(op enkash.Operation, amount money.Amount, ref string, t enkash.Transaction) (Status, string, string) {
	wantType := enkash.TypeCredit
	if op == enkash.OpDebit {
		wantType = enkash.TypeDebit
	}
	switch {
	case isFailedStatus(t.Status):
		return StatusFailed, CodeTxnFailed, fmt.Sprintf("EnKash recorded the transaction with status %s", t.Status)
	case !sameAmount(t.Amount.String(), amount.Hundredths()) || (t.CardTransactionType != "" && t.CardTransactionType != wantType):
		return StatusMismatch, CodeAmountMismatch, fmt.Sprintf("EnKash has reference %s as %s %s, the row asks for %s %s",
			ref, t.CardTransactionType, t.Amount, wantType, amount)
	}
	return StatusMatched, "", ""
}

func (e *Engine) notSent(o *Outcome) {
	o.Status, o.ErrorCode = StatusNotSent, CodeStopped
	if o.Attempts > 0 {
		o.ErrorMessage = "not applied; the run stopped before another attempt (" + e.stop.why() + "); a rerun sends it"
	} else {
		o.ErrorMessage = "the run stopped before this row was sent (" + e.stop.why() + "); a rerun sends it"
	}
}

// wait holds a request back for any 429 pause and the shared rate limit.
func (e *Engine) wait(ctx context.Context) error {
	if err := e.pause.wait(ctx, e.stop.ch); err != nil {
		return err
	}
	if err := e.limiter.Wait(ctx); err != nil {
		return err
	}
	return e.pause.wait(ctx, e.stop.ch) // a 429 may have arrived while waiting for a token
}

// observe feeds the failure threshold.
func (e *Engine) observe(err error) {
	if e.brk.observe(err != nil) {
		e.stop.trip(fmt.Sprintf("at least %.0f%% of the last %d requests failed", e.cfg.FailRatio*100, e.cfg.FailWindow))
	}
}

// abort stops the run for a batch-fatal error.
func (e *Engine) abort(err error) {
	e.stop.trip(err.Error())
	if e.fatal == nil {
		e.fatal = err
	}
}

// backoff is a capped exponential delay with jitter for retry n (from 1).
func (e *Engine) backoff(n int) time.Duration {
	d := e.cfg.BackoffBase << min(n-1, 16)
	if d > e.cfg.BackoffMax || d <= 0 {
		d = e.cfg.BackoffMax
	}
	return d/2 + rand.N(d/2+1)
}

func (e *Engine) logOutcome(o *Outcome) {
	if ce := e.log.Check(zap.DebugLevel, "row"); ce != nil {
		a := o.Item.Allocation
		ce.Write(zap.Int("line", o.Item.Row.Line), zap.String("reference", a.Reference), zap.String("operation", string(a.Operation)),
			zap.String("status", string(o.Status)), zap.Int("attempts", o.Attempts), zap.String("email", maskEmail(a.Email)),
			zap.String("mobile", maskMobile(a.Mobile)), zap.String("code", o.ErrorCode), zap.Duration("latency", o.Latency))
	}
}

func rejectionText(r *enkash.RejectedError) string {
	if r == nil {
		return "refused"
	}
	if r.HTTPStatus == 200 {
		return fmt.Sprintf("code %d: %s", r.Code, r.Message)
	}
	return fmt.Sprintf("HTTP %d: %s", r.HTTPStatus, r.Message)
}

func fatalReason(error) string { return "the EnKash login was refused" }

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
