package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/spf13/cobra"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
)

func init() { extraCommands = append(extraCommands, newReconcileCmd, newHistoryCmd) }

// ReconcileOptions are the flags of `rewardbatch reconcile`.
type ReconcileOptions struct {
	api    apiFlags
	ledger ledgerFlags
	settle settleFlags
	engine engine.Config
}

func newReconcileCmd(g *globals) *cobra.Command {
	o := &ReconcileOptions{}
	cmd := &cobra.Command{
		Use:   "reconcile RUN",
		Short: "Look up again the rows a run left UNKNOWN, and rewrite that run's reports",
		Long: `reconcile settles the rows whose answer was lost: it looks every UNKNOWN row of
the run (and every row a crashed run sent without recording an outcome) up by its
reference (on its card), under the same rate limit, 429 pause and retry rules as
run, rewrites the run's results.csv, failed.csv and summary.json, and then records
the results in the ledger; if either write fails, run reconcile again. RUN is a
run id (see rewardbatch history) or a run folder. It sends nothing. A lookup that
finds the reference settles the row; a row EnKash still does not have stays
UNKNOWN until two lookups, the last --resend-after after its last attempt, did not
find it: then it becomes FAILED (NOT_APPLIED) and the next run of the file sends it
again with the same reference.

` + exitCodesHelp,
		Example: `  rewardbatch reconcile 20261126T080000Z-allocations
  rewardbatch reconcile reports/20261126T080000Z-allocations`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := o.api.config(g.lookupEnv)
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			if err := o.settle.apply(&o.engine, g.lookupEnv); err != nil {
				return exit(exitcode.Fatal, err)
			}
			client, err := enkash.New(cfg, enkash.WithLogger(g.log))
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			l, closeLedger, err := o.ledger.open(cmd.Context(), g, false)
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			defer closeLedger() //nolint:errcheck // a read-mostly use; errors were reported by the writes
			scope, err := o.ledger.bind(cmd.Context(), g, l, cfg, false)
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			code, err := job.Reconcile(cmd.Context(), job.ReconcileOptions{Run: args[0], Ledger: l,
				Scope: scope, Engine: o.engine, Stdout: g.stdout, Log: g.log}, client)
			return exit(code, err)
		},
	}
	o.api.AddFlags(cmd.Flags())
	o.ledger.AddFlags(cmd.Flags())
	o.ledger.addEnvironmentFlag(cmd.Flags())
	o.settle.AddFlags(cmd.Flags())
	cmd.Flags().IntVar(&o.engine.Workers, "workers", engine.DefaultWorkers, "lookups at the same time")
	cmd.Flags().Float64Var(&o.engine.Rate, "rate", engine.DefaultRate, "requests per second, shared by all lookups")
	return cmd
}

func newHistoryCmd(g *globals) *cobra.Command {
	var (
		lf    ledgerFlags
		limit int
	)
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the recent runs recorded in the ledger",
		Long: `history lists the most recent runs of the ledger: when, which file, rows per
status, points credited and debited, and the exit code. A run without an exit code
did not finish (it was killed): run its file again, or reconcile it. It only reads
the ledger, so it works while a run is going on.`,
		Example: `  rewardbatch history
  rewardbatch history --limit 50 --state /var/lib/rewardbatch/ledger.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return lf.read(cmd.Context(), g, func(l *ledger.Ledger) error {
				runs, err := l.Runs(cmd.Context(), limit)
				if err != nil {
					return err
				}
				return printHistory(g, runs)
			})
		},
	}
	lf.AddFlags(cmd.Flags())
	cmd.Flags().IntVar(&limit, "limit", 20, "how many runs to list")
	return cmd
}

func printHistory(g *globals, runs []ledger.RunRecord) error {
	tw := tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED (UTC)\tRUN\tFILE\tROWS\tSTATUSES\tCREDITED\tDEBITED\tEXIT")
	for _, r := range runs {
		rows, statuses, credited, debited, exitCode := "-", "did not finish", "-", "-", "-"
		if r.ExitCode >= 0 {
			exitCode = fmt.Sprint(r.ExitCode)
		}
		var s report.Summary
		if r.Summary != "" && json.Unmarshal([]byte(r.Summary), &s) == nil {
			rows = fmt.Sprint(s.Rows)
			var parts []string
			for _, st := range reward.Statuses {
				if n := s.Statuses[st]; n > 0 {
					parts = append(parts, fmt.Sprintf("%s %d", st, n))
				}
			}
			statuses = strings.Join(parts, ", ")
			cr, dr := money.FromHundredths(0), money.FromHundredths(0)
			for op, t := range s.Ops {
				if op.IsCredit() {
					cr = cr.Add(t.ConfirmedPoints)
				} else {
					dr = dr.Add(t.ConfirmedPoints)
				}
			}
			credited, debited = cr.Fixed2(), dr.Fixed2()
		}
		name := r.Input
		if r.Sandbox {
			name += " (sandbox)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.StartedAt.UTC().Format("2006-01-02 15:04:05"), r.ID, name, rows,
			statuses, credited, debited, exitCode)
	}
	return tw.Flush()
}
