package cli

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/config"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"

	"github.com/rewardbatch/rewardbatch/pkg/ledger"
)

// EnvEnvironment names the EnKash environment a ledger's references
// belong to (production, uat, sandbox...), whatever address reaches it.
const EnvEnvironment = "ENKASH_ENVIRONMENT"

// EnvState gives the ledger of every command that takes --state, when
// the flag is not given: a SQLite file, or a postgres:// URL.
const EnvState = "REWARDBATCH_STATE"

// ledgerFlags choose the ledger of a run.
type ledgerFlags struct {
	state       string
	environment string
	waitLock    time.Duration
	fs          *pflag.FlagSet
}

func (f *ledgerFlags) AddFlags(fs *pflag.FlagSet) {
	f.fs = fs
	fs.StringVar(&f.state, "state", "", "the ledger that remembers what was sent, so that no rerun pays a row twice: "+
		"a SQLite file, or a PostgreSQL database as postgres://USER@HOST/DB?sslmode=verify-full (the password from "+
		"PGPASSWORD or PGPASSFILE; env "+EnvState+"; default $XDG_STATE_HOME/rewardbatch/ledger.db, else "+
		"~/.local/state/rewardbatch/ledger.db; on Windows %LocalAppData%\\rewardbatch\\ledger.db; an embedded --sandbox run uses a throw-away one unless --state is given)")
}

// addWaitFlag registers --wait-lock, for the commands that lock the ledger.
func (f *ledgerFlags) addWaitFlag(fs *pflag.FlagSet) {
	fs.DurationVar(&f.waitLock, "wait-lock", 0, "wait this long for another run of the same ledger (PostgreSQL: "+
		"of the same EnKash account) to finish, instead of exiting 1 at once")
}

// location is where the ledger is: --state, else REWARDBATCH_STATE, else
// "" (the default).
func (f *ledgerFlags) location(g *globals) string {
	if f.state != "" {
		return f.state
	}
	if v, ok := g.lookupEnv(EnvState); ok && v != "" {
		return v
	}
	return ""
}

// addEnvironmentFlag registers --environment, for the commands that bind
// a ledger to an EnKash account.
func (f *ledgerFlags) addEnvironmentFlag(fs *pflag.FlagSet) {
	fs.StringVar(&f.environment, "environment", "", "the EnKash environment the ledger files references under: "+
		"production, uat, sandbox... (env "+EnvEnvironment+"; default: the normalised base URL). "+
		"Name it when the base URL may change, so that the ledger keeps its memory")
}

// target is the EnKash account of the run: the embedded sandbox's fixed
// scope, or the configured environment, address, company and account.
func (f *ledgerFlags) target(g *globals, cfg enkash.Config, sandboxRun bool) (ledger.Target, error) {
	if sandboxRun {
		return ledger.Target{Environment: ledger.EmbeddedSandbox, CompanyID: cfg.CompanyID, CardAccountID: cfg.CardAccountID}, nil
	}
	env, _ := g.lookupEnv(EnvEnvironment)
	if f.fs != nil && f.fs.Changed("environment") {
		env = f.environment
	}
	return ledger.NewTarget(env, cfg.BaseURL, cfg.CompanyID, cfg.CardAccountID)
}

// bind ties the run's EnKash account to the ledger and returns the scope
// key its references are filed under.
func (f *ledgerFlags) bind(ctx context.Context, g *globals, l *ledger.Ledger, cfg enkash.Config, sandboxRun bool) (string, error) {
	t, err := f.target(g, cfg, sandboxRun)
	if err != nil {
		return "", err
	}
	key, _, err := l.Bind(ctx, t)
	if err != nil {
		return "", err
	}
	g.log.Info("ledger", zap.String("path", l.Path()), zap.String("backend", l.Backend()), zap.String("scope", t.String()))
	return key, nil
}

// path returns the ledger's location: --state, REWARDBATCH_STATE, or the
// default file of this system (config.DefaultPaths).
func (f *ledgerFlags) path(g *globals) (string, error) {
	if loc := f.location(g); loc != "" {
		return loc, nil
	}
	p, err := config.DefaultPaths(runtime.GOOS, g.lookupEnv)
	if err != nil {
		return "", err
	}
	return p.State, nil
}

// read opens the ledger for reading, without its lock (so that it works
// while a run holds the ledger), and calls fn with it.
func (f *ledgerFlags) read(ctx context.Context, g *globals, fn func(*ledger.Ledger) error) error {
	path, err := f.path(g)
	if err != nil {
		return exit(exitcode.Fatal, err)
	}
	if err := ledger.Read(ctx, path, fn); err != nil {
		return exit(exitcode.Fatal, err)
	}
	return nil
}

// open opens the run's ledger. An embedded sandbox run without --state gets
// a ledger in a temporary folder (REWARDBATCH_STATE, meant for real runs,
// does not count): its references must never be mistaken for real ones,
// and the sandbox forgets everything at exit anyway. The returned function
// closes the ledger (and removes a temporary one).
func (f *ledgerFlags) open(ctx context.Context, g *globals, sandboxRun bool) (*ledger.Ledger, func() error, error) {
	path := f.state
	var tmp string
	switch {
	case path != "":
	case !sandboxRun && f.location(g) != "":
		path = f.location(g)
	case sandboxRun:
		dir, err := os.MkdirTemp("", "rewardbatch-sandbox-ledger-")
		if err != nil {
			return nil, nil, err
		}
		tmp, path = dir, filepath.Join(dir, ledger.FileName)
	default:
		p, err := f.path(g)
		if err != nil {
			return nil, nil, err
		}
		path = p
	}
	l, err := ledger.Open(ctx, path, ledger.WaitLock(f.waitLock))
	if err != nil {
		if tmp != "" {
			_ = os.RemoveAll(tmp)
		}
		return nil, nil, err
	}
	return l, func() error {
		err := l.Close()
		if tmp != "" {
			_ = os.RemoveAll(tmp)
		}
		return err
	}, nil
}
