package job

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/htmlreport"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
	"github.com/rewardbatch/rewardbatch/pkg/xlsxreport"
)

// Client is what a run needs of EnKash; *enkash.Client satisfies it.
type Client interface {
	engine.API
	Login(ctx context.Context) error
	Account(ctx context.Context) (*enkash.Account, error)
}

var (
	_ Client         = (*enkash.Client)(nil)
	_ engine.Journal = (*ledger.Journal)(nil)
)

// RunOptions are the settings of a run.
type RunOptions struct {
	ValidateOptions
	DryRun           bool // validate and print the plan; send nothing
	SkipInvalid      bool // send the valid rows and report the others as INVALID
	SkipBalanceCheck bool // do not compare the account balance with the credits
	// Engine tunes the engine. Its RosterPages, when 0, becomes
	// [engine.RosterBudget] of the plan's valid rows, since only the run
	// knows the plan; negative: no listing of the account's users.
	Engine  engine.Config
	Sandbox bool   // the run goes to the sandbox: say so in every output
	XLSX    bool   // also write results.xlsx (--xlsx)
	Version string // the tool's version, for summary.json
	// Ledger, when not nil, records the run so that reruns never pay a row
	// twice; Scope names the EnKash account its references belong to.
	Ledger *ledger.Ledger
	Scope  string
	// StopSummary writes summary.json (with its stop reason) for a run
	// that stopped before its rows had a summary, too: a login refused, a
	// balance short, invalid input. Without it such a run is recorded in
	// the ledger only (the web console keeps its own record, and takes a
	// summary.json for a run that has results).
	StopSummary bool
	// ApprovedHash, when not empty, is the approved plan hash (a prefix of
	// it): a file whose plan hash differs is refused before anything is
	// sent (inbox mode with --require-approval).
	ApprovedHash string
	// Progress, when not nil, receives a progress bar (a terminal).
	Progress io.Writer
}

// Result is how a run ended.
type Result struct {
	Code    int
	Dir     string
	Summary *report.Summary
}

// Run validates the whole file, and unless it is a dry run or a row is
// invalid, checks the balance, sends every valid row through the engine and
// writes results.csv, failed.csv and summary.json. The returned error
// explains a non-zero code that is not about rows. Every run but a dry run
// that passed leaves summary.json (and a ledger row when there is a
// ledger) with its stop reason, however it ended, and logs "run finished".
func Run(ctx context.Context, o RunOptions, api Client) (Result, error) {
	o.defaults()
	st := &runState{started: o.Now()}
	res, err := run(ctx, o, api, st)
	s := res.Summary
	if s == nil && !(o.DryRun && res.Code == exitcode.OK) {
		s = recordStop(context.WithoutCancel(ctx), o, st, res.Code, err)
		if o.StopSummary {
			res.Summary, res.Dir = s, st.dir
		}
	}
	logFinished(o.Log, s, res.Code)
	return res, err
}

// runState is what a run knows so far, for the record of a run that
// stopped.
type runState struct {
	started  time.Time
	dir, sum string
	source   string // the snapshot of the input that every pass reads
	c        *checked
	runID    string // the ledger's run, once the journal started it
	// noFolder: the input was refused before its folder was made, which
	// is then removed; the record is the ledger's row and the log only.
	noFolder bool
	// balanceBefore and balanceAfter are the reward account's available
	// points read before and after sending, "" when not read.
	balanceBefore, balanceAfter string
}

func run(ctx context.Context, o RunOptions, api Client, st *runState) (Result, error) {
	// A signal (ctx) only stops dispatching: the engine turns it into
	// NOT_SENT rows and full reports. Everything else runs to its end.
	sig := ctx
	ctx = context.WithoutCancel(ctx)
	if o.Sandbox {
		fmt.Fprintf(o.Stdout, "*** %s: this run goes to the embedded sandbox ***\n", reward.NoRealPoints)
	}
	dir, source, sum, err := prepare(sig, &o.ValidateOptions, st.started, o.Sandbox, false)
	if err != nil {
		st.noFolder = true
		return Result{Code: inputCode(err)}, err
	}
	st.dir, st.sum, st.source = dir, sum, source
	res := Result{Dir: dir}
	c, err := checkFile(ctx, o.File, source, dir, o.Validate, o.Style)
	if err != nil {
		return res.with(exitcode.FromError(err)), err
	}
	st.c = c
	code, _, cerr := concludeCheck(o.ValidateOptions, c, dir, "run")
	switch {
	case code != exitcode.OK && !(o.SkipInvalid && errors.Is(cerr, exitcode.ErrInvalidInput)):
		return res.with(code), refused(o, dir, cerr)
	case o.DryRun:
		fmt.Fprintln(o.Stdout, "Dry run: nothing was sent.")
		return res.with(exitcode.OK), nil
	}
	if code, err := o.ready(ctx, c); err != nil {
		return res.with(code), err
	}
	if err := api.Login(ctx); err != nil {
		return res.with(exitcode.Fatal), fmt.Errorf("nothing was sent: %w", err)
	}
	if !o.SkipBalanceCheck {
		done := func() (money.Amount, error) { return creditsDone(ctx, o, source, c) }
		bal, err := checkBalance(ctx, api, c.plan, done, o.Stdout)
		if err != nil {
			return res.with(exitcode.Fatal), err
		}
		st.balanceBefore = bal.Fixed2()
	}

	s, err := sendAll(sig, ctx, o, api, c, source, st)
	if err != nil && s == nil {
		return res.with(exitcode.Fatal), reportHint(err, o.Ledger != nil, dir)
	}
	res.Summary = s
	if perr := s.Print(o.Stdout); perr != nil && err == nil {
		err = perr
	}
	return res.with(s.ExitCode), err
}

// sendAll sends the checked file through the engine, writes results.csv,
// failed.csv and summary.json, and records the run in the ledger. sig
// stops dispatching. A nil summary means the reports could not be written.
func sendAll(sig, ctx context.Context, o RunOptions, api Client, c *checked, source string, st *runState) (*report.Summary, error) {
	results, err := report.CreateResults(st.dir, c.header, o.Style)
	if err != nil {
		return nil, err
	}
	var journal *ledger.Journal
	if o.Ledger != nil {
		if journal, err = startJournal(ctx, o, c, st); err != nil {
			results.Abort()
			return nil, err
		}
		defer journal.Close() //nolint:errcheck // closed below; this covers the early returns
	}
	cfg := o.Engine
	if cfg.RosterPages == 0 {
		cfg.RosterPages = engine.RosterBudget(c.plan.Valid)
	}
	eng := engine.New(cfg, api, engineJournal(journal), o.Log)
	stopProgress := startProgress(o.Log, o.Progress, c.plan.RowsRead, eng)
	rep, err := eng.Run(sig, snapshotSource(o, c, source), results.Add)
	stopProgress()
	if err != nil {
		results.Abort()
		return nil, fmt.Errorf("the run stopped: %w", err)
	}
	fatal := rep.Fatal
	if journal != nil {
		if err := journal.Close(); err != nil && fatal == nil {
			fatal = err
		}
	}
	if err := results.Commit(); err != nil {
		return nil, err
	}
	if st.balanceBefore != "" { // a balance after alone says nothing of the run
		st.balanceAfter = balanceAfter(ctx, o, api)
	}
	s, fatal, err := summarize(sig, o, c, st, results.Tally(), rep, fatal)
	if err != nil {
		return nil, err
	}
	if fatal, err = writeSummary(ctx, o, st, s, fatal); err != nil {
		return nil, err // a nil summary: the reports could not be written
	}
	return s, fatal
}

// startJournal records the run's start with the ledger and returns the
// journal the engine writes through.
func startJournal(ctx context.Context, o RunOptions, c *checked, st *runState) (*ledger.Journal, error) {
	j, err := o.Ledger.StartRun(ctx, ledger.RunInfo{ID: filepath.Base(st.dir), Input: o.File, InputSHA256: st.sum,
		PlanHash: c.plan.Hash, Folder: st.dir, Scope: o.Scope, Sandbox: o.Sandbox, StartedAt: st.started})
	if err != nil {
		return nil, err
	}
	st.runID = j.RunID()
	warnIfNew(o, j)
	return j, nil
}

// engineJournal is j as the engine's Journal; nil (no ledger) stays a nil
// interface.
func engineJournal(j *ledger.Journal) engine.Journal {
	if j == nil {
		return nil
	}
	return j
}

// snapshotSource streams the checked rows of the run's snapshot again.
func snapshotSource(o RunOptions, c *checked, source string) engine.Source {
	return func(ctx context.Context, emit func(*reward.Item) error) error {
		f, err := os.Open(source)
		if err != nil {
			return fmt.Errorf("reopening the input: %w", err)
		}
		defer f.Close()
		_, err = validate.Stream(ctx, o.File, f, o.Validate, c.knowledge, emit)
		return err
	}
}

// summarize builds summary.json's content from the run's tally and how
// the engine ended, and writes results.xlsx when asked. fatal, the
// batch-fatal error, comes back wrapped for the caller.
func summarize(sig context.Context, o RunOptions, c *checked, st *runState, tally report.Tally, rep engine.Report, fatal error) (*report.Summary, error, error) {
	finished := o.Now()
	s := &report.Summary{
		Tool: "rewardbatch", Version: o.Version, RunID: cmp.Or(st.runID, filepath.Base(st.dir)), Sandbox: o.Sandbox,
		Input: o.File, InputSHA256: st.sum, PlanHash: c.plan.Hash, RunBy: report.RunBy(), StartedAt: st.started.UTC(), FinishedAt: finished.UTC(),
		BalanceBefore: st.balanceBefore, BalanceAfter: st.balanceAfter,
		Tally: tally, Stopped: rep.Stopped, Folder: st.dir,
		Files: []string{report.ResultsFile, report.FailedFile, report.SummaryFile, htmlreport.File, report.ValidationFile, report.InvalidFile, filepath.Base(st.source)},
	}
	if o.Sandbox {
		s.Note = reward.NoRealPoints
	}
	if o.XLSX {
		if err := xlsxreport.Write(st.dir); err != nil {
			return nil, fatal, err
		}
		s.Files = append(s.Files, xlsxreport.File)
	}
	s.DurationSeconds = finished.Sub(st.started).Seconds()
	if s.DurationSeconds > 0 {
		s.RowsPerSecond = float64(s.Rows) / s.DurationSeconds
	}
	s.ExitCode = exitcode.FromStatuses(s.Statuses, rep.Stopped != "")
	if fatal != nil { // every row is reported, but the ledger failed: say so loudly
		s.ExitCode = exitcode.Fatal
		fatal = fmt.Errorf("the run stopped: %w", fatal)
	}
	s.ExitMeaning = exitcode.Meaning(s.ExitCode)
	s.StopReason, s.Message = engineReason(sig, rep), rep.Stopped
	if s.StopReason == "" {
		s.StopReason = StopReason(s.ExitCode, fatal)
	}
	if fatal != nil {
		s.Message = fatal.Error()
	}
	if s.Message == "" && (s.StopReason == ReasonRowsFailed || s.StopReason == ReasonUnknownOutcomes) {
		s.Message = rowsMessage(s.Statuses, s.RunID)
	}
	return s, fatal, nil
}

// writeSummary writes summary.json and summary.html (err when it cannot)
// and records the summary with the ledger. It returns fatal, or the
// ledger's error when there was none.
func writeSummary(ctx context.Context, o RunOptions, st *runState, s *report.Summary, fatal error) (error, error) {
	if err := report.WriteJSON(filepath.Join(st.dir, report.SummaryFile), s); err != nil {
		return fatal, err
	}
	if err := htmlreport.Write(st.dir, s); err != nil {
		return fatal, err
	}
	if st.runID != "" {
		b, _ := json.Marshal(s)
		if err := o.Ledger.SetSummary(ctx, st.runID, s.FinishedAt, s.ExitCode, string(b)); err != nil && fatal == nil {
			fatal = err
		}
	}
	return fatal, nil
}

func (r Result) with(code int) Result {
	r.Code = code
	return r
}

// checkBalance returns the reward account's available balance, and
// refuses a run whose credits exceed it. When they do, the credits an earlier run already
// confirmed (done) are left out before refusing: a rerun after a crash
// only needs the rest.
func checkBalance(ctx context.Context, api Client, plan *validate.Plan, done func() (money.Amount, error), out io.Writer) (money.Amount, error) {
	acc, err := api.Account(ctx)
	if err != nil {
		err = fmt.Errorf("checking the reward account balance (use --skip-balance-check to skip it): %w", err)
		if StopReason(exitcode.Fatal, err) == ReasonFatal {
			err = WithReason(ReasonBalanceCheck, err)
		}
		return money.Amount{}, err
	}
	bal, err := acc.Balance()
	if err != nil {
		return money.Amount{}, WithReason(ReasonBalanceCheck, fmt.Errorf("reading the reward account balance %q: %w", acc.AvailableBalance, err))
	}
	need := plan.Credits()
	fmt.Fprintf(out, "Reward account %s: available %s, this file credits %s\n", acc.CardAccountID, bal.Fixed2(), need.Fixed2())
	if bal.Cmp(need) < 0 {
		already, err := done()
		if err != nil {
			return bal, err
		}
		if !already.IsZero() {
			need = need.Sub(already)
			fmt.Fprintf(out, "Earlier runs already credited %s of it; %s remain\n", already.Fixed2(), need.Fixed2())
		}
	}
	if bal.Cmp(need) < 0 {
		return bal, fmt.Errorf("%w: the reward account has %s points available but the file credits %s: fund the account, or split the file; nothing was sent",
			ErrBalanceShort, bal.Fixed2(), need.Fixed2())
	}
	return bal, nil
}

// creditsDone sums the credits of the file's valid rows that the ledger
// has confirmed, reading the snapshot once more.
func creditsDone(ctx context.Context, o RunOptions, source string, c *checked) (money.Amount, error) {
	var total money.Amount
	if o.Ledger == nil {
		return total, nil
	}
	var refs []string
	amounts := map[string]money.Amount{}
	flush := func() error {
		done, err := o.Ledger.ConfirmedAmounts(ctx, o.Scope, refs)
		if err != nil {
			return err
		}
		for ref := range done {
			total = total.Add(amounts[ref])
		}
		refs, amounts = refs[:0], map[string]money.Amount{}
		return nil
	}
	f, err := os.Open(source)
	if err != nil {
		return total, fmt.Errorf("reopening the input: %w", err)
	}
	defer f.Close()
	_, err = validate.Stream(ctx, o.File, f, o.Validate, c.knowledge, func(it *reward.Item) error {
		if !it.Valid || !it.Allocation.Operation.IsCredit() {
			return nil
		}
		refs = append(refs, it.Allocation.Reference)
		amounts[it.Allocation.Reference] = it.Allocation.Amount
		if len(refs) == 1000 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return total, err
}

// warnIfNew says, once, when the ledger has no record of the run's
// EnKash account: a new ledger, a lost one, or a new account.
func warnIfNew(o RunOptions, j *ledger.Journal) {
	if !j.Fresh() {
		return
	}
	msg := "the ledger has no record of this EnKash account yet (a new or replaced ledger, or a new account): " +
		"every reference is looked up at EnKash before its first send, and one EnKash already has is not sent again"
	fmt.Fprintf(o.Stdout, "Note: %s (ledger %s, scope %s)\n", msg, o.Ledger.Path(), o.Scope)
	o.Log.Warn("new ledger", zap.String("ledger", o.Ledger.Path()), zap.String("scope", o.Scope), zap.String("meaning", msg))
}
