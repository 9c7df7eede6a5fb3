package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// refused explains a run refused before anything was sent, with a hint
// that leaves no valid row unpaid and none paid twice.
func refused(o RunOptions, dir string, why error) error {
	if errors.Is(why, exitcode.ErrInvalidInput) {
		why = fmt.Errorf("%w; nothing was sent. Either fix those rows in %s itself and run the whole file again "+
			"(rows an earlier run already did are SKIPPED, none is paid twice), or send the valid rows now with "+
			"--skip-invalid and later run the corrected %s", why, o.File, filepath.Join(dir, report.InvalidFile))
	}
	return why
}

// ready refuses a file whose plan hash is not the approved one
// (o.ApprovedHash), before anything is sent.
func (o RunOptions) ready(_ context.Context, c *checked) (int, error) {
	if o.ApprovedHash == "" || strings.HasPrefix(c.plan.Hash, strings.ToLower(o.ApprovedHash)) {
		return exitcode.OK, nil
	}
	return exitcode.InvalidInput, WithReason(ReasonApprovalRefused, fmt.Errorf("%w: %s: its plan hash is %s but its approval holds %s: "+
		"the file changed since it was approved; nothing was sent. Validate it again and approve the new plan hash",
		exitcode.ErrInvalidInput, o.File, c.plan.ShortHash(), o.ApprovedHash))
}

// RecordStop records a run that stopped before [Run] could start (a
// missing setting, a locked ledger): with o.StopSummary it creates the run
// folder and writes summary.json with the stop reason, records the run in
// o.Ledger when it is open, and logs "run finished". It returns the summary, or nil when
// even the folder could not be made (the error is logged).
func RecordStop(ctx context.Context, o RunOptions, code int, why error) *report.Summary {
	o.defaults()
	s := recordStop(ctx, o, &runState{started: o.Now()}, code, why)
	logFinished(o.Log, s, code)
	return s
}

// recordStop writes summary.json, and the ledger's row, of a run that
// stopped without a summary of its rows. Its failures are logged: the
// run's own error is the one that matters.
func recordStop(ctx context.Context, o RunOptions, st *runState, code int, why error) *report.Summary {
	if st.dir == "" && !st.noFolder && o.StopSummary {
		f, err := runFolder(o.Out, o.ReportsDir, o.File, st.started, o.Sandbox)
		if err != nil {
			o.Log.Error("recording the stopped run: no run folder", zap.Error(err))
			return nil
		}
		st.dir = f.dir
	}
	finished := o.Now()
	s := &report.Summary{Tool: "rewardbatch", Version: o.Version, RunID: filepath.Base(st.dir), Sandbox: o.Sandbox,
		Input: o.File, InputSHA256: st.sum, StartedAt: st.started.UTC(), FinishedAt: finished.UTC(),
		DurationSeconds: finished.Sub(st.started).Seconds(), Tally: report.NewTally(), ExitCode: code,
		ExitMeaning: exitcode.Meaning(code), Folder: st.dir, Files: []string{report.SummaryFile},
		StopReason: StopReason(code, why)}
	if o.Sandbox {
		s.Note = reward.NoRealPoints
	}
	if st.c != nil && st.c.plan != nil {
		s.PlanHash, s.Rows = st.c.plan.Hash, st.c.plan.RowsRead
		s.Statuses[reward.StatusInvalid] = st.c.plan.Invalid
	}
	if s.RunID == "." || s.RunID == "" {
		s.RunID = folderBase(o.File, st.started, o.Sandbox)
	}
	s.Stopped = "stopped before sending"
	if st.runID != "" {
		s.Stopped = "stopped"
	}
	if why != nil {
		s.Message = why.Error()
		s.Stopped += ": " + s.Message
	}
	if st.noFolder || st.dir == "" {
		s.Folder, s.Files = "", nil
		return s // no folder to name in the ledger either: the log has it
	}
	if err := recordLedger(ctx, o, st, s, finished); err != nil {
		o.Log.Error("recording the stopped run in the ledger", zap.Error(err))
	}
	if !o.StopSummary {
		return s
	}
	if err := report.WriteJSON(filepath.Join(st.dir, report.SummaryFile), s); err != nil {
		o.Log.Error("recording the stopped run: writing summary.json", zap.Error(err))
	}
	return s
}

// recordLedger gives the run its row in the ledger's history: a new row,
// or the summary of the row its journal started.
func recordLedger(ctx context.Context, o RunOptions, st *runState, s *report.Summary, finished time.Time) error {
	if o.Ledger == nil {
		return nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if st.runID != "" {
		return o.Ledger.SetSummary(ctx, st.runID, finished, s.ExitCode, string(b))
	}
	id, err := o.Ledger.RecordRun(ctx, ledger.RunInfo{ID: s.RunID, Input: o.File, InputSHA256: st.sum, PlanHash: s.PlanHash,
		Folder: st.dir, Scope: o.Scope, Sandbox: o.Sandbox, StartedAt: st.started}, finished, s.ExitCode, string(b))
	s.RunID = id
	return err
}

// logFinished logs the end of a run: at info for exit 0, warn for 3
// (finished, some rows failed), error for the others, with the folder, totals and stop reason.
func logFinished(log *zap.Logger, s *report.Summary, code int) {
	lvl := zapcore.ErrorLevel
	switch code {
	case exitcode.OK:
		lvl = zapcore.InfoLevel
	case exitcode.RowsFailed:
		lvl = zapcore.WarnLevel
	}
	fields := []zap.Field{zap.Int("exitCode", code)}
	if s != nil {
		fields = append(fields, zap.String("run", s.RunID), zap.String("folder", s.Folder), zap.Int("rows", s.Rows),
			zap.Any("statuses", s.Statuses), zap.String("stopReason", s.StopReason), zap.String("message", s.Message),
			zap.Bool("sandbox", s.Sandbox))
	}
	log.Log(lvl, "run finished", fields...)
}
