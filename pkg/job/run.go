package job

import (
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
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
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
	Engine           engine.Config
	Sandbox          bool   // the run goes to the sandbox: say so in every output
	Version          string // the tool's version, for summary.json
	// Ledger, when not nil, records the run so that reruns never pay a row
	// twice; Scope names the EnKash account its references belong to.
	Ledger *ledger.Ledger
	Scope  string
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
// explains a non-zero code that is not about rows.
func Run(ctx context.Context, o RunOptions, api Client) (Result, error) {
	o.defaults()
	// A signal (ctx) only stops dispatching: the engine turns it into
	// NOT_SENT rows and full reports. Everything else runs to its end.
	sig := ctx
	ctx = context.WithoutCancel(ctx)
	started := o.Now()
	if o.Sandbox {
		fmt.Fprintf(o.Stdout, "*** %s: this run goes to the embedded sandbox ***\n", reward.NoRealPoints)
	}
	dir, err := runFolder(o.Out, o.ReportsDir, o.File, started, o.Sandbox)
	if err != nil {
		return Result{Code: exitcode.Fatal}, err
	}
	res := Result{Dir: dir}
	source, sum, err := snapshot(o.File, dir)
	if err != nil {
		return res.with(exitcode.Fatal), err
	}
	c, err := checkFile(ctx, o.File, source, dir, o.Validate)
	if err != nil {
		return res.with(exitcode.FromError(err)), err
	}
	code, _, cerr := concludeCheck(o.ValidateOptions, c, dir, "run")
	switch {
	case code != exitcode.OK && !(o.SkipInvalid && errors.Is(cerr, exitcode.ErrInvalidInput)):
		return res.with(code), refused(ctx, o, c, dir, sum, started, code, cerr)
	case o.DryRun:
		fmt.Fprintln(o.Stdout, "Dry run: nothing was sent.")
		return res.with(exitcode.OK), nil
	}

	if err := api.Login(ctx); err != nil {
		return res.with(exitcode.Fatal), fmt.Errorf("nothing was sent: %w", err)
	}
	if !o.SkipBalanceCheck {
		done := func() (money.Amount, error) { return creditsDone(ctx, o, source, c) }
		if err := checkBalance(ctx, api, c.plan, done, o.Stdout); err != nil {
			return res.with(exitcode.Fatal), err
		}
	}

	s, err := sendAll(sig, ctx, o, api, c, dir, source, sum, started)
	if err != nil && s == nil {
		return res.with(exitcode.Fatal), err
	}
	res.Summary = s
	if perr := s.Print(o.Stdout); perr != nil && err == nil {
		err = perr
	}
	o.Log.Info("run finished", zap.String("run", s.RunID), zap.Int("exitCode", s.ExitCode), zap.Int("rows", s.Rows),
		zap.Any("statuses", s.Statuses), zap.Bool("sandbox", o.Sandbox))
	return res.with(s.ExitCode), err
}

// sendAll sends the checked file through the engine, writes results.csv,
// failed.csv and summary.json, and records the run in the ledger. sig
// stops dispatching. A nil summary means the reports could not be written.
func sendAll(sig, ctx context.Context, o RunOptions, api Client, c *checked, dir, source, sum string, started time.Time) (*report.Summary, error) {
	results, err := report.CreateResults(dir, c.header)
	if err != nil {
		return nil, err
	}
	runID := filepath.Base(dir)
	var journal engine.Journal
	if o.Ledger != nil {
		j, err := o.Ledger.StartRun(ctx, ledger.RunInfo{ID: runID, Input: o.File, InputSHA256: sum,
			PlanHash: c.plan.Hash, Folder: dir, Scope: o.Scope, Sandbox: o.Sandbox, StartedAt: started})
		if err != nil {
			results.Abort()
			return nil, err
		}
		defer j.Close() //nolint:errcheck // closed below; this covers the early returns
		journal, runID = j, j.RunID()
		warnIfNew(o, j)
	}
	eng := engine.New(o.Engine, api, journal, o.Log)
	stopProgress := startProgress(o.Log, o.Progress, c.plan.RowsRead, eng)
	src := func(ctx context.Context, emit func(*reward.Item) error) error {
		f, err := os.Open(source)
		if err != nil {
			return fmt.Errorf("reopening the input: %w", err)
		}
		defer f.Close()
		_, err = validate.Stream(ctx, o.File, f, o.Validate, c.knowledge, emit)
		return err
	}
	rep, err := eng.Run(sig, src, results.Add)
	stopProgress()
	if err != nil {
		results.Abort()
		return nil, fmt.Errorf("the run stopped: %w", err)
	}
	fatal := rep.Fatal
	if j, ok := journal.(*ledger.Journal); ok {
		if err := j.Close(); err != nil && fatal == nil {
			fatal = err
		}
	}
	if err := results.Commit(); err != nil {
		return nil, err
	}
	finished := o.Now()
	s := &report.Summary{
		Tool: "rewardbatch", Version: o.Version, RunID: runID, Sandbox: o.Sandbox,
		Input: o.File, InputSHA256: sum, PlanHash: c.plan.Hash, StartedAt: started.UTC(), FinishedAt: finished.UTC(),
		Tally: results.Tally(), Stopped: rep.Stopped, Folder: dir,
		Files: []string{report.ResultsFile, report.FailedFile, report.SummaryFile, report.ValidationFile, report.InvalidFile, SnapshotFile},
	}
	if o.Sandbox {
		s.Note = reward.NoRealPoints
	}
	s.DurationSeconds = finished.Sub(started).Seconds()
	if s.DurationSeconds > 0 {
		s.RowsPerSecond = float64(s.Rows) / s.DurationSeconds
	}
	s.ExitCode = exitcode.FromStatuses(s.Statuses, rep.Stopped != "")
	if fatal != nil { // every row is reported, but the ledger failed: say so loudly
		s.ExitCode = exitcode.Fatal
		fatal = fmt.Errorf("the run stopped: %w", fatal)
	}
	s.ExitMeaning = exitcode.Meaning(s.ExitCode)
	if err := report.WriteJSON(filepath.Join(dir, report.SummaryFile), s); err != nil {
		return nil, err
	}
	if o.Ledger != nil {
		b, _ := json.Marshal(s)
		if err := o.Ledger.SetSummary(ctx, runID, finished, s.ExitCode, string(b)); err != nil && fatal == nil {
			fatal = err
		}
	}
	return s, fatal
}

func (r Result) with(code int) Result {
	r.Code = code
	return r
}

// checkBalance refuses a run whose credits exceed the reward account's
// available balance. When they do, the credits an earlier run already
// confirmed (done) are left out before refusing: a rerun after a crash
// only needs the rest.
func checkBalance(ctx context.Context, api Client, plan *validate.Plan, done func() (money.Amount, error), out io.Writer) error {
	acc, err := api.Account(ctx)
	if err != nil {
		return fmt.Errorf("checking the reward account balance (use --skip-balance-check to skip it): %w", err)
	}
	bal, err := acc.Balance()
	if err != nil {
		return fmt.Errorf("reading the reward account balance %q: %w", acc.AvailableBalance, err)
	}
	need := plan.Credits()
	fmt.Fprintf(out, "Reward account %s: available %s, this file credits %s\n", acc.CardAccountID, bal.Fixed2(), need.Fixed2())
	if bal.Cmp(need) < 0 {
		already, err := done()
		if err != nil {
			return err
		}
		if !already.IsZero() {
			need = need.Sub(already)
			fmt.Fprintf(out, "Earlier runs already credited %s of it; %s remain\n", already.Fixed2(), need.Fixed2())
		}
	}
	if bal.Cmp(need) < 0 {
		return fmt.Errorf("the reward account has %s points available but the file credits %s: fund the account, or split the file; nothing was sent",
			bal.Fixed2(), need.Fixed2())
	}
	return nil
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

// refused explains a run refused before anything was sent, with a hint
// that leaves no valid row unpaid and none paid twice, and records the run
// in the ledger so that history lists it.
func refused(ctx context.Context, o RunOptions, c *checked, dir, sum string, started time.Time, code int, why error) error {
	if errors.Is(why, exitcode.ErrInvalidInput) {
		why = fmt.Errorf("%w; nothing was sent. Either fix those rows in %s itself and run the whole file again "+
			"(rows an earlier run already did are SKIPPED, none is paid twice), or send the valid rows now with "+
			"--skip-invalid and later run the corrected %s", why, o.File, filepath.Join(dir, report.InvalidFile))
	}
	if err := recordRefused(ctx, o, c, dir, sum, started, code, why); err != nil {
		o.Log.Error("recording the refused run in the ledger", zap.Error(err))
	}
	return why
}

// recordRefused records in the ledger a run refused before anything was
// sent, so that history lists it with its exit code.
func recordRefused(ctx context.Context, o RunOptions, c *checked, dir, sum string, started time.Time, code int, why error) error {
	if o.Ledger == nil {
		return nil
	}
	finished := o.Now()
	s := &report.Summary{Tool: "rewardbatch", Version: o.Version, RunID: filepath.Base(dir), Sandbox: o.Sandbox,
		Input: o.File, InputSHA256: sum, PlanHash: c.plan.Hash, StartedAt: started.UTC(), FinishedAt: finished.UTC(),
		Tally: report.NewTally(), ExitCode: code, ExitMeaning: exitcode.Meaning(code), Folder: dir}
	s.Rows = c.plan.RowsRead
	s.Statuses[reward.StatusInvalid] = c.plan.Invalid
	s.Stopped = "refused before sending"
	if why != nil {
		s.Stopped += ": " + why.Error()
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = o.Ledger.RecordRun(ctx, ledger.RunInfo{ID: s.RunID, Input: o.File, InputSHA256: sum, PlanHash: c.plan.Hash,
		Folder: dir, Scope: o.Scope, Sandbox: o.Sandbox, StartedAt: started}, finished, code, string(b))
	return err
}
