package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
)

func newLedgerCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Check the ledger, rebuild a lost one from run folders, or move it between SQLite and PostgreSQL",
		Long: `The ledger remembers what was sent, so that no rerun pays a row twice. These
commands check it and recover it. A ledger that is damaged, empty or gone must not
simply be deleted: rebuild it from the run folders first.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newLedgerCheckCmd(g), newLedgerRebuildCmd(g), newLedgerExportCmd(g), newLedgerImportCmd(g))
	return cmd
}

func newLedgerCheckCmd(g *globals) *cobra.Command {
	var lf ledgerFlags
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the ledger (SQLite: a full integrity check) and count what it holds",
		Long: `check reads the whole ledger with SQLite's integrity_check (a PostgreSQL ledger:
its schema version; PostgreSQL checks its own pages) and prints what it holds. It
only reads, so it works while a run holds the ledger. Exit 0 when the ledger is
sound, 1 when it is damaged (the message says what to do).`,
		Example: `  rewardbatch ledger check
  rewardbatch ledger check --state /var/lib/rewardbatch/ledger.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return lf.read(cmd.Context(), g, func(l *ledger.Ledger) error {
				h, err := l.Check(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "Ledger %s: sound (schema version %d): %d references in %d scopes, %d runs, "+
					"%d references still to be looked up\n", l.Path(), h.SchemaVersion, h.References, h.Scopes, h.Runs, h.Unsettled)
				return nil
			})
		},
	}
	lf.AddFlags(cmd.Flags())
	return cmd
}

// ledgerRebuildOptions are the flags of `rewardbatch ledger rebuild`.
type ledgerRebuildOptions struct {
	api     apiFlags
	ledger  ledgerFlags
	check   checkFlags
	reports []string
}

func newLedgerRebuildCmd(g *globals) *cobra.Command {
	o := &ledgerRebuildOptions{}
	cmd := &cobra.Command{
		Use:   "rebuild --from-reports DIR...",
		Short: "Recover a lost ledger from the run folders' results.csv",
		Long: `rebuild records in the ledger (--state, created when missing) every row that a run
folder's results.csv reports MATCHED or SKIPPED, as confirmed with EnKash's ids,
under the EnKash account configured by the ENKASH_* variables (the base URL,
company, reward account and ENKASH_ENVIRONMENT; no credentials are needed). Every
other row is left out: the next run finds it unknown and looks it up at EnKash
before its first send. A DIR is a run folder or a folder of run folders (reports/).
Use --batch-id when the runs derived their references from one. Sandbox runs
are left out. References the ledger already holds are kept as they are.`,
		Example: `  mv ~/.local/state/rewardbatch/ledger.db ~/.local/state/rewardbatch/ledger.db.damaged
  rewardbatch ledger rebuild --from-reports reports/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLedgerRebuild(cmd, g, o)
		},
	}
	fs := cmd.Flags()
	o.api.AddFlags(fs)
	o.ledger.AddFlags(fs)
	o.ledger.addEnvironmentFlag(fs)
	o.ledger.addWaitFlag(fs)
	o.check.AddFlags(fs)
	fs.StringSliceVar(&o.reports, "from-reports", nil, "run folders, or folders of run folders, to read (repeat, or separate with commas)")
	return cmd
}

func runLedgerRebuild(cmd *cobra.Command, g *globals, o *ledgerRebuildOptions) error {
	ctx := cmd.Context()
	if len(o.reports) == 0 {
		return exit(exitcode.Fatal, fmt.Errorf("give the run folders to read with --from-reports DIR"))
	}
	cfg, err := o.api.config(g)
	if err != nil {
		return exit(exitcode.Fatal, err)
	}
	if cfg.BaseURL == "" || cfg.CompanyID == "" || cfg.CardAccountID == "" {
		return exit(exitcode.Fatal, fmt.Errorf("rebuild files the references under the EnKash account of the runs: set %s, %s and %s "+
			"(and %s if the runs named it) as they were for those runs", enkash.EnvBaseURL, enkash.EnvCompanyID,
			enkash.EnvCardAccountID, EnvEnvironment))
	}
	vopts, _, err := o.check.options(cfg)
	if err != nil {
		return exit(exitcode.Fatal, err)
	}
	l, closeLedger, err := o.ledger.open(ctx, g, false)
	if err != nil {
		return exit(exitcode.Fatal, err)
	}
	defer closeLedger() //nolint:errcheck // every write was committed
	scope, err := o.ledger.bind(ctx, g, l, cfg, false)
	if err != nil {
		return exit(exitcode.Fatal, err)
	}
	st, err := l.Rebuild(ctx, scope, o.reports, vopts, g.stdout)
	if err != nil {
		return exit(exitcode.Fatal, err)
	}
	fmt.Fprintf(g.stdout, "Rebuilt %s from %d run folders (%d left out): %d confirmed references recorded, %d already known; "+
		"%d rows are left for the next run to look up at EnKash before any send\n",
		l.Path(), st.Folders, st.Skipped, st.Confirmed, st.Known, st.Open)
	return nil
}
