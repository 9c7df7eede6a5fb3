// Package cli is the command line of rewardbatch: cobra commands that parse
// flags into options and call the job, sandbox and ledger packages. Each
// command is an XxxOptions struct with AddFlags and a runXxx function that
// tests call without going through cobra.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/buildinfo"
	"github.com/rewardbatch/rewardbatch/pkg/config"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/logging"
	"github.com/rewardbatch/rewardbatch/pkg/report"
)

// Version returns the tool's version, with the commit when known (see
// [buildinfo.Get]).
func Version() string { return buildinfo.Get().Short() }

const exitCodesHelp = `Exit codes:
  0  every row MATCHED (or SKIPPED: an earlier run already did it)
  1  fatal: configuration, login, ledger or report I/O
  2  invalid input: the file or its rows were refused; nothing was sent
  3  finished, but some rows are FAILED, MISMATCH or INVALID
  4  incomplete: interrupted, stopped, or outcomes UNKNOWN; a rerun resumes`

// exitError carries an exit code out of a command. err may be nil when the
// command already said everything (a summary with failed rows).
type exitError struct {
	code   int
	err    error
	fields []zap.Field // a run's stop reason and folder, for the JSON line
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit code %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func exit(code int, err error) error {
	if code == exitcode.OK && err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// globals are the settings every command shares.
type globals struct {
	logFormat string
	logLevel  string
	stdin     io.Reader // read by a FILE argument "-"
	stdout    io.Writer
	stderr    io.Writer
	lookupEnv func(string) (string, bool)
	log       *zap.Logger
	jsonLogs  bool // the log is JSON: so is every message on stderr
	// settings and sources are every flag's value and where it came from
	// (see configure).
	settings []config.Setting
	sources  map[string]config.Source
}

// NewRoot returns the root command. lookupEnv reads the environment
// (os.LookupEnv outside tests).
func NewRoot(stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) *cobra.Command {
	root, _ := newRoot(stdout, stderr, lookupEnv)
	return root
}

func newRoot(stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) (*cobra.Command, *globals) {
	g := &globals{stdin: os.Stdin, stdout: stdout, stderr: stderr, lookupEnv: lookupEnv, log: zap.NewNop()}
	root := &cobra.Command{
		Use:   "rewardbatch",
		Short: "Pay monthly reward points to employees through the EnKash Rewards API, from one CSV file",
		Long: `rewardbatch reads a CSV of employees and amounts, checks every row before anything
is sent, submits the valid rows to the EnKash Rewards API through a bounded worker
pool, and writes a result file that shows, per row, whether EnKash's
pgReferenceNumber matched our uniqueReferenceNumber.

No row is ever credited twice: every row carries a stable reference, an answer
that was lost is settled by a lookup before anything is resent, and a ledger
remembers what earlier runs did.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := configure(g, cmd); err != nil { // before the logger: the file may set --log-format
				return exit(exitcode.Fatal, err)
			}
			format := logging.Format(g.logFormat)
			if format == logging.FormatAuto {
				format = logging.FormatJSON
				if f, ok := g.stderr.(*os.File); ok {
					format = logging.DefaultFormat(f)
				}
			}
			l, err := logging.New(g.stderr, format, g.logLevel)
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			g.log, g.jsonLogs = l, format == logging.FormatJSON
			return nil
		},
	}
	root.Version = buildinfo.Get().String() // adds --version, printed as `version` prints it
	root.SetVersionTemplate("{{.Version}}")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "", "log format on stderr: json or console (default: console on a terminal, json otherwise)")
	root.PersistentFlags().String(config.FlagName, "", "YAML config file: keys are flag names, at the top or in a section named after a command "+
		"(env "+config.EnvFile+"); precedence: flag > environment (REWARDBATCH_*, ENKASH_*) > file > default")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug (one line per row), info, warn or error")
	root.AddCommand(
		newValidateCmd(g), newRunCmd(g), newReconcileCmd(g), newReportCmd(g), newHistoryCmd(g),
		newLedgerCmd(g), newServeCmd(g), newUserCmd(g), newSandboxCmd(g), newTemplateCmd(g),
		newGenerateCmd(g), newConfigCmd(g), newVersionCmd(g),
	)
	return root, g
}

// Execute runs the command line and returns the process exit code.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	root, g := newRoot(stdout, stderr, lookupEnv)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var ee *exitError
	switch {
	case err == nil:
		return exitcode.OK
	case errors.As(err, &ee):
		if ee.err != nil {
			fatalLine(g, ee.code, ee.err, "", ee.fields...)
		}
		return ee.code
	default: // cobra's own errors: unknown flags, missing arguments
		fatalLine(g, exitcode.Fatal, err, "\nRun 'rewardbatch --help' for usage.")
		return exitcode.Fatal
	}
}

// fatalLine says why the command failed on stderr: a JSON log line when
// the logs are JSON (--log-format json, even when cobra refused the
// arguments before the logger was built), else plain text with hint.
func fatalLine(g *globals, code int, err error, hint string, fields ...zap.Field) {
	if g.jsonLogs || logging.Format(g.logFormat) == logging.FormatJSON {
		l := g.log
		if !g.jsonLogs {
			l, _ = logging.New(g.stderr, logging.FormatJSON, "info") // json and info are valid
		}
		l.Error("rewardbatch: "+err.Error(), append([]zap.Field{zap.Int("exitCode", code)}, fields...)...)
		_ = logging.Sync(l)
		return
	}
	fmt.Fprintf(g.stderr, "rewardbatch: %v%s\n", err, hint)
}

// Main is the whole program: signals, the command line, the exit code. The
// first SIGINT or SIGTERM stops dispatching and lets the run finish its
// reports; a second one exits at once.
func Main() int {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	go func() {
		<-ctx.Done()
		second := make(chan os.Signal, 1)
		signal.Notify(second, os.Interrupt, syscall.SIGTERM)
		<-second
		report.RemoveTemporary()
		fmt.Fprintln(os.Stderr, "rewardbatch: second signal, exiting at once; reports of this run may be incomplete "+
			"(`rewardbatch report RUN` writes them again from the ledger), the next run resumes")
		os.Exit(exitcode.Incomplete)
	}()
	return Execute(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := io.WriteString(g.stdout, buildinfo.Get().String())
			return err
		},
	}
}
