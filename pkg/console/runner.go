package console

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
)

// runner sends approved batches in the background, one at a time (one
// ledger, one run), with the same job, engine and ledger as `rewardbatch
// run`. A run goes on when the browser that approved it is closed; a
// server shutdown stops dispatching and lets it write its reports.
type runner struct {
	s      *Server
	ctx    context.Context
	cancel context.CancelFunc
	turn   chan struct{} // held by the run in progress
	wg     sync.WaitGroup
	mu     sync.Mutex
	live   map[string]*progress
}

func newRunner(s *Server) *runner {
	ctx, cancel := context.WithCancel(context.Background())
	return &runner{s: s, ctx: ctx, cancel: cancel, turn: make(chan struct{}, 1), live: map[string]*progress{}}
}

// progressOf returns the progress of a batch's run in this process.
func (rn *runner) progressOf(id string) *progress {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return rn.live[id]
}

// start queues an approved batch.
func (rn *runner) start(b store.Batch) {
	total := 0
	if p := plan(b); p != nil {
		total = p.RowsRead
	}
	p := newProgress(total)
	rn.mu.Lock()
	rn.live[b.ID] = p
	rn.mu.Unlock()
	rn.wg.Add(1)
	go func() {
		defer rn.wg.Done()
		msg := rn.run(b, p)
		p.finish(msg)
	}()
}

func (rn *runner) shutdown(ctx context.Context) error {
	rn.cancel()
	done := make(chan struct{})
	go func() { rn.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run sends b and returns what the progress page says at the end.
func (rn *runner) run(b store.Batch, p *progress) string {
	s, bg := rn.s, context.WithoutCancel(rn.ctx)
	select {
	case rn.turn <- struct{}{}:
	case <-rn.ctx.Done():
		return rn.stop(bg, b, "", "the server stopped before this run started; nothing was sent")
	}
	defer func() { <-rn.turn }()
	p.setPhase("checking")
	if err := rn.recheck(bg, b); err != nil {
		return rn.stop(bg, b, "", err.Error())
	}
	l, err := ledger.Open(bg, s.cfg.LedgerPath)
	if err != nil {
		return rn.stop(bg, b, "", "nothing was sent: "+err.Error())
	}
	defer func() {
		if err := l.Close(); err != nil {
			s.cfg.Log.Error("console: closing the ledger", zap.Error(err))
		}
	}()
	runID := "run-" + newBatchID(s.now())
	if err := s.store.SetRun(bg, b.ID, store.StateRunning, runID, -1, ""); err != nil {
		return rn.stop(bg, b, "", "nothing was sent: "+err.Error())
	}
	rn.event(bg, "run-start", b, runID)
	p.setPhase("sending")
	opts := job.RunOptions{
		ValidateOptions: withLog(s.checkOptions(b, filepath.Join(s.batchDir(b.ID), runID)), progressLogger(s.cfg.Log, p)),
		Engine:          s.cfg.Engine, Sandbox: s.cfg.Sandbox, Version: s.cfg.Version, Ledger: l, Scope: s.cfg.Scope,
		ApprovedHash: b.PlanHash, // job.Run refuses, before sending, a plan that is not the approved one
	}
	res, err := job.Run(rn.ctx, opts, s.cfg.API)
	if res.Summary != nil {
		p.settle(res.Summary.Statuses)
	}
	msg := exitcode.Meaning(res.Code)
	if err != nil {
		msg = err.Error()
	}
	if res.Summary != nil && res.Summary.PlanHash != b.PlanHash {
		msg = "the plan sent differs from the plan approved: " + msg // cannot happen: recheck compared them
		s.cfg.Log.Error("console: plan hash changed during a run", zap.String("batch", b.ID))
	}
	if err := s.store.SetRun(bg, b.ID, store.StateFinished, runID, res.Code, errText(err)); err != nil {
		s.cfg.Log.Error("console: recording the end of a run", zap.Error(err))
	}
	rn.event(bg, "run-finished", b, fmt.Sprintf("%s: exit code %d, %s", runID, res.Code, msg))
	return msg
}

// recheck checks the file again with today's options and refuses to send
// when the plan is not the one approved.
func (rn *runner) recheck(ctx context.Context, b store.Batch) error {
	s := rn.s
	res, err := job.Check(ctx, s.checkOptions(b, filepath.Join(s.batchDir(b.ID), "recheck")))
	if err != nil {
		return fmt.Errorf("nothing was sent: the file no longer passes the check: %w", err)
	}
	if res.Plan == nil || res.Plan.Hash != b.PlanHash {
		return errors.New("nothing was sent: the plan changed since it was approved (the file or the server's options differ), so the approval no longer applies; upload and approve the file again")
	}
	return nil
}

func (rn *runner) stop(ctx context.Context, b store.Batch, runID, why string) string {
	if err := rn.s.store.SetRun(ctx, b.ID, store.StateStopped, runID, -1, why); err != nil {
		rn.s.cfg.Log.Error("console: recording a stopped run", zap.Error(err))
	}
	rn.event(ctx, "run-stopped", b, why)
	return why
}

func (rn *runner) event(ctx context.Context, action string, b store.Batch, detail string) {
	e := store.Event{User: "console", Action: action, Batch: b.ID, FileSHA256: b.FileSHA256, PlanHash: b.PlanHash, Detail: detail}
	if err := rn.s.store.Audit(ctx, e); err != nil {
		rn.s.cfg.Log.Error("console: writing the audit log", zap.Error(err))
	}
}

// withLog returns o logging to l.
func withLog(o job.ValidateOptions, l *zap.Logger) job.ValidateOptions {
	o.Log = l
	return o
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
