package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/inbox"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/logging"
	"github.com/rewardbatch/rewardbatch/pkg/notify"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// inboxFlags turn run into a cron job that takes its files from a folder.
type inboxFlags struct {
	dir             string
	settle          time.Duration
	requireApproval bool
}

func (f *inboxFlags) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.dir, "inbox", "", "run every file of DIR/incoming (oldest first) instead of FILE, moving each to DIR/processing, "+
		"then DIR/done/<run folder>/ or DIR/failed/<run folder>/")
	fs.DurationVar(&f.settle, "settle", 30*time.Second, "with --inbox: take a file only once its size and time have not changed for this long")
	fs.BoolVar(&f.requireApproval, "require-approval", false, "with --inbox: send a file only when FILE.approved beside it holds its plan hash "+
		"(as `rewardbatch validate` prints it); without one the file waits, with another it is refused")
}

// runInbox processes the inbox once: every ready file is run as `run FILE`
// would run it, each with its own run folder, notifications and metrics.
// The exit code sums the files up (see inbox.Report.ExitCode).
func runInbox(ctx context.Context, g *globals, o *runOptions) error {
	if o.check.out != "" {
		return exit(exitcode.Fatal, errors.New("--out cannot be used with --inbox: every file gets its own run folder in --reports-dir"))
	}
	if o.dryRun {
		return exit(exitcode.Fatal, errors.New("--dry-run cannot be used with --inbox: use `rewardbatch validate` on the file"))
	}
	if err := o.checkArgs(g, o.inbox.dir); err != nil {
		return exit(exitcode.Fatal, err)
	}
	n, err := o.ops.notifier(g)
	if err != nil {
		return exit(exitcode.Fatal, err)
	}
	h := o.output.human(g)
	b := &inbox.Inbox{Dir: o.inbox.dir, Settle: o.inbox.settle, RequireApproval: o.inbox.requireApproval,
		Run: func(ctx context.Context, t inbox.Task) (inbox.Result, error) {
			return inboxRun(ctx, h, o, n, t)
		},
		Plan: func(ctx context.Context, path string) (string, error) {
			return planHash(ctx, h, o, path)
		},
	}
	rep, err := b.Process(ctx)
	_ = logging.Sync(g.log)
	if perr := rep.Print(h.stdout); perr != nil && err == nil {
		err = perr
	}
	code := rep.ExitCode()
	if err != nil {
		code = exitcode.Fatal
	}
	if perr := o.output.print(g, Document{Command: "run", ExitCode: code, Files: inboxFiles(rep)}, err); perr != nil && err == nil {
		err = perr
	}
	return exit(code, err)
}

// inboxRun runs one file of the inbox. A run that left no folder could
// not run at all: the file stays in processing/ for the next time.
func inboxRun(ctx context.Context, g *globals, o *runOptions, n *notify.Notifier, t inbox.Task) (inbox.Result, error) {
	res, err := runJob(ctx, g, o, t.Path, t.ApprovedHash)
	o.check.applyMode(g, res.Dir)
	o.ops.after(ctx, g, n, res)
	if res.Dir == "" {
		if err == nil {
			err = fmt.Errorf("the run of %s left no run folder (exit code %d)", t.Path, res.Code)
		}
		return inbox.Result{}, err
	}
	return inbox.Result{Folder: res.Dir, ExitCode: res.Code}, nil
}

// planHash is the plan hash of a file with the run's settings, as
// `rewardbatch validate` with the same settings prints it.
func planHash(ctx context.Context, g *globals, o *runOptions, path string) (string, error) {
	var cfg enkash.Config
	if o.useSandbox {
		sb, err := sandbox.New(sandbox.Options{Cards: sandbox.DemoCards()}).Start("127.0.0.1:0")
		if err != nil {
			return "", err
		}
		defer sb.Close(context.Background())
		if cfg, err = sandboxConfig(sb); err != nil {
			return "", err
		}
	} else {
		c, err := o.api.config(g)
		if err != nil {
			return "", err
		}
		cfg = c
	}
	vopts, _, err := o.check.options(cfg)
	if err != nil {
		return "", err
	}
	return job.PlanHash(ctx, path, vopts)
}
