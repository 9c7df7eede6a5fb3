package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/logging"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// runOptions are the flags of `rewardbatch run`.
type runOptions struct {
	check            checkFlags
	api              apiFlags
	engine           engine.Config
	dryRun           bool
	skipInvalid      bool
	skipBalanceCheck bool
	useSandbox       bool
	noProgress       bool
	xlsx             bool
	ledger           ledgerFlags
	settle           settleFlags
	ops              opsFlags
	inbox            inboxFlags
	output           outputFlag
}

// AddFlags registers the flags.
func (o *runOptions) AddFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	o.check.AddFlags(fs)
	o.api.AddFlags(fs)
	fs.BoolVar(&o.dryRun, "dry-run", false, "validate and print the plan; send nothing (the same as `rewardbatch validate`)")
	fs.BoolVar(&o.skipInvalid, "skip-invalid", false, "send the valid rows and report the invalid ones as INVALID (default: send nothing when a row is invalid)")
	fs.BoolVar(&o.skipBalanceCheck, "skip-balance-check", false, "do not compare the reward account's available balance with the credits first")
	fs.BoolVar(&o.useSandbox, "sandbox", false, "run against an embedded EnKash sandbox on loopback; no real points move")
	fs.BoolVar(&o.noProgress, "no-progress", false, "no progress bar, even on a terminal")
	fs.BoolVar(&o.xlsx, "xlsx", false, "also write results.xlsx: every cell as text, a frozen header, filters, the status in words")
	fs.IntVar(&o.engine.Workers, "workers", engine.DefaultWorkers, "rows sent at the same time")
	addRateFlags(fs, &o.engine, defaultRate, "requests")
	fs.IntVar(&o.engine.MaxAttempts, "max-attempts", engine.DefaultMaxAttempts, "sends of a row that EnKash provably did not apply (429, 503, refused connection)")
	fs.DurationVar(&o.engine.LookupGrace, "lookup-grace", engine.DefaultLookupGrace, "wait before the first lookup of a row whose answer was lost; 0: at once")
	fs.DurationVar(&o.engine.SettleWindow, "settle-window", engine.DefaultSettleWindow,
		"look a row whose answer was lost up again, with growing pauses, this long before it ends UNKNOWN; 0: one lookup")
	fs.BoolVar(&o.engine.NoRemoteCheck, "no-remote-check", false,
		"WARNING: skip the lookup of each reference the ledger has never seen before its first send; with a new or lost ledger a row EnKash already has is then paid again")
	fs.Float64Var(&o.engine.FailRatio, "max-failure-ratio", engine.DefaultFailRatio, "stop sending when this share of the last --failure-window requests failed; 0: never stop")
	fs.IntVar(&o.engine.FailWindow, "failure-window", engine.DefaultFailWindow, "requests the failure threshold watches")
	addModeFlags(fs, &o.engine)
	o.settle.AddFlags(fs)
	o.ledger.AddFlags(fs)
	o.ledger.addEnvironmentFlag(fs)
	o.ledger.addWaitFlag(fs)
	o.ops.AddFlags(fs)
	o.inbox.AddFlags(fs)
	o.output.AddFlags(fs)
}

func newRunCmd(g *globals) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run FILE | run --inbox DIR",
		Short: "Validate an allocation file, send the valid rows to EnKash and reconcile the answers",
		Long: `run validates the whole file first and, by default, sends nothing when a row is
invalid. It then checks that the reward account can fund the credits, sends every
row through a bounded worker pool under one shared rate limit, and writes into
the run folder:

  results.csv   every input row, in input order, with status, pgReferenceNumber,
                enkashCardId, enkashCardTxnId, otbBalance, attempts, any error
                and the values sent (sentMobile, sentTitle, sentGender, sentEmail)
  failed.csv    the rows that are not MATCHED or SKIPPED, in your own columns plus
                status and reason: correct them and feed the file back to run
  summary.json  counts per status, rows and points per operation, exit code

Statuses: MATCHED (EnKash's pgReferenceNumber equals our reference), MISMATCH,
FAILED, UNKNOWN (the answer was lost and no lookup could settle it), INVALID,
SKIPPED (an earlier run did it), NOT_SENT (the run stopped before the row).

Configuration comes from the ENKASH_* environment variables (see the README);
every one can be overridden by the flag of the same name.

The first Ctrl-C (or SIGTERM) stops sending, lets requests in flight finish and
writes every report; a second one exits at once.

` + exitCodesHelp,
		Example: `  # Try the whole flow against the embedded sandbox (no credentials, no real points)
  rewardbatch run --sandbox samples/allocations-2026-11.csv

  # A real monthly run, from cron: JSON logs, stated control totals
  rewardbatch run --log-format json --expect-rows 200 --expect-total 312450.50 allocations.csv

  # Send the valid rows now, fix the others later from failed.csv
  rewardbatch run --skip-invalid allocations.csv
  rewardbatch run reports/20261126T080000Z-allocations/failed.csv

  # Check the plan without sending
  rewardbatch run --dry-run --batch-id 2026-11 hr-export.csv

  # From cron: run every approved file dropped into /srv/rewards/incoming
  rewardbatch run --inbox /srv/rewards --require-approval --notify https://hooks.slack.com/services/T0/B0/XXXX --notify-format slack`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.inbox.dir != "" && len(args) == 0:
				return runInbox(cmd.Context(), g, o)
			case o.inbox.dir != "":
				return exit(exitcode.Fatal, fmt.Errorf("give FILE or --inbox DIR, not both"))
			case len(args) == 0:
				return exit(exitcode.Fatal, fmt.Errorf("give the allocation FILE to run (or --inbox DIR)"))
			}
			return runRun(cmd.Context(), g, o, args[0])
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runRun(ctx context.Context, g *globals, o *runOptions, file string) error {
	if err := o.checkArgs(g, file); err != nil {
		return exit(exitcode.Fatal, err)
	}
	n, err := o.ops.notifier(g)
	if err != nil {
		return exit(exitcode.Fatal, err)
	}
	h := o.output.human(g)
	res, err := runJob(ctx, h, o, file, "")
	o.check.applyMode(g, res.Dir)
	o.ops.after(ctx, h, n, res)
	_ = logging.Sync(g.log)
	if perr := o.output.print(g, Document{Command: "run", ExitCode: res.Code, Folder: res.Dir, Summary: res.Summary}, err); perr != nil && err == nil {
		err = perr
	}
	if res.Code == exitcode.OK && err == nil {
		return nil
	}
	ee := &exitError{code: res.Code, err: err}
	if s := res.Summary; s != nil {
		ee.fields = []zap.Field{zap.String("stopReason", s.StopReason), zap.String("folder", s.Folder)}
	}
	return ee
}

// checkArgs refuses flag values that no run could use, before the run
// starts (and so before it leaves a record).
func (o *runOptions) checkArgs(g *globals, file string) error {
	if err := o.output.check(); err != nil {
		return err
	}
	if o.engine.Workers < 1 {
		return fmt.Errorf("--workers must be at least 1")
	}
	if err := checkRate(o.engine); err != nil {
		return err
	}
	if err := checkMode(o.engine); err != nil {
		return err
	}
	if err := o.settle.apply(&o.engine, g.lookupEnv); err != nil {
		return err
	}
	if o.engine.NoRemoteCheck {
		g.log.Warn("--no-remote-check: references the ledger has never seen are sent without looking them up first")
	}
	o.engine.LookupGrace, o.engine.SettleWindow = disabledIfZero(o.engine.LookupGrace), disabledIfZero(o.engine.SettleWindow)
	o.engine.FailRatio = disabledIfZero(o.engine.FailRatio)
	_, err := o.check.jobOptions(g, file, enkash.Config{})
	return err
}

// enkashConfig is the run's client configuration: the embedded sandbox's
// (started here; stopSandbox stops it) or the environment's and flags'.
func (o *runOptions) enkashConfig(g *globals) (cfg enkash.Config, stopSandbox func(), err error) {
	stopSandbox = func() {}
	if o.useSandbox {
		sb, err := sandbox.New(sandbox.Options{Cards: sandbox.DemoCards()}).Start("127.0.0.1:0")
		if err != nil {
			return cfg, stopSandbox, err
		}
		stopSandbox = func() { _ = sb.Close(context.Background()) }
		if cfg, err = sandboxConfig(sb); err != nil {
			return cfg, stopSandbox, err
		}
		g.log.Warn(reward.NoRealPoints, zap.String("sandbox", sb.URL))
	} else if cfg, err = o.api.config(g); err != nil {
		return cfg, stopSandbox, err
	}
	cfg.Timeout = o.api.timeout
	cfg.MaxConnsPerHost = o.engine.Workers + 2
	return cfg, stopSandbox, nil
}

// runJob runs one file. Whatever stops it after the arguments were read
// leaves summary.json and, once the ledger is open, a history row.
// approved is the approved plan hash in inbox mode.
func runJob(ctx context.Context, g *globals, o *runOptions, file, approved string) (job.Result, error) {
	if o.dryRun {
		o.useSandbox = false // a dry run talks to nobody
	}
	rec := job.RunOptions{ValidateOptions: job.ValidateOptions{File: file, Out: o.check.out, ReportsDir: o.check.reports,
		Stdout: g.stdout, Log: g.log}, Sandbox: o.useSandbox, Version: Version(), StopSummary: true}
	stop := func(code int, err error) (job.Result, error) {
		s := job.RecordStop(ctx, rec, code, err)
		res := job.Result{Code: code, Summary: s}
		if s != nil {
			res.Dir = s.Folder
		}
		return res, err
	}
	if !o.dryRun {
		l, closeLedger, err := o.ops.openLedger(ctx, g, &o.ledger, o.useSandbox)
		if errors.Is(err, context.Canceled) {
			return stop(exitcode.Incomplete, err)
		} else if err != nil {
			return stop(exitcode.Fatal, err)
		}
		defer func() {
			if cerr := closeLedger(); cerr != nil {
				g.log.Error("closing the ledger", zap.Error(cerr))
			}
		}()
		rec.Ledger = l
	}
	cfg, stopSandbox, err := o.enkashConfig(g)
	defer stopSandbox()
	if err != nil {
		return stop(exitcode.Fatal, err)
	}
	vo, err := o.check.jobOptions(g, file, cfg)
	if err != nil {
		return stop(exitcode.Fatal, err)
	}
	opts := job.RunOptions{ValidateOptions: vo,
		DryRun: o.dryRun, SkipInvalid: o.skipInvalid, SkipBalanceCheck: o.skipBalanceCheck,
		Engine: o.engine, Sandbox: o.useSandbox, Version: Version(), ApprovedHash: approved, StopSummary: true, XLSX: o.xlsx,
	}
	if f, ok := g.stderr.(*os.File); ok && !o.noProgress && term.IsTerminal(int(f.Fd())) {
		opts.Progress = f
	}
	var api job.Client // a dry run talks to nobody
	if !o.dryRun {
		c, err := enkash.New(cfg, enkash.WithLogger(g.log)) // validates cfg, naming what is missing
		if err != nil {
			return stop(exitcode.Fatal, err)
		}
		api = c
		scope, err := o.ledger.bind(ctx, g, rec.Ledger, cfg, o.useSandbox)
		if err != nil {
			return stop(exitcode.Fatal, ledgerStop(err))
		}
		opts.Ledger, opts.Scope = rec.Ledger, scope
	}
	return job.Run(ctx, opts, api)
}
