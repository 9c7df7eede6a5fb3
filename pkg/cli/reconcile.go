package cli

import (
	"encoding/json"
	"errors"
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

// reconcileOptions are the flags of `rewardbatch reconcile`.
type reconcileOptions struct {
	api    apiFlags
	ledger ledgerFlags
	settle settleFlags
	engine engine.Config
	output outputFlag
}

func newReconcileCmd(g *globals) *cobra.Command {
	o := &reconcileOptions{}
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
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeRunIDs(g, &o.ledger),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReconcile(cmd, g, o, args[0])
		},
	}
	o.api.AddFlags(cmd.Flags())
	o.ledger.AddFlags(cmd.Flags())
	o.ledger.addEnvironmentFlag(cmd.Flags())
	o.ledger.addWaitFlag(cmd.Flags())
	o.settle.AddFlags(cmd.Flags())
	cmd.Flags().IntVar(&o.engine.Workers, "workers", engine.DefaultWorkers, "lookups at the same time")
	addRateFlags(cmd.Flags(), &o.engine, defaultRate, "lookups")
	o.output.AddFlags(cmd.Flags())
	return cmd
}

func runReconcile(cmd *cobra.Command, g *globals, o *reconcileOptions, run string) error {
	if err := errors.Join(o.output.check(), checkRate(o.engine)); err != nil {
		return exit(exitcode.Fatal, err)
	}
	h := o.output.human(g)
	code, folder, err := reconcile(cmd, h, o, run)
	doc := Document{Command: "reconcile", ExitCode: code, Folder: folder}
	if folder != "" {
		doc.Summary = readSummary(folder)
	}
	if perr := o.output.print(g, doc, err); perr != nil && err == nil {
		err = perr
	}
	return exit(code, err)
}

// reconcile settles the run's open rows; folder is the run's folder once
// the ledger named it.
func reconcile(cmd *cobra.Command, g *globals, o *reconcileOptions, run string) (int, string, error) {
	ctx := cmd.Context()
	cfg, err := o.api.config(g)
	if err != nil {
		return exitcode.Fatal, "", err
	}
	if err := o.settle.apply(&o.engine, g.lookupEnv); err != nil {
		return exitcode.Fatal, "", err
	}
	client, err := enkash.New(cfg, enkash.WithLogger(g.log))
	if err != nil {
		return exitcode.Fatal, "", err
	}
	l, closeLedger, err := o.ledger.open(ctx, g, false)
	if err != nil {
		return exitcode.Fatal, "", err
	}
	defer closeLedger() //nolint:errcheck // a read-mostly use; errors were reported by the writes
	scope, err := o.ledger.bind(ctx, g, l, cfg, false)
	if err != nil {
		return exitcode.Fatal, "", err
	}
	code, err := job.Reconcile(ctx, job.ReconcileOptions{Run: run, Ledger: l,
		Scope: scope, Engine: o.engine, Stdout: g.stdout, Log: g.log}, client)
	var folder string
	if r, rerr := l.Run(ctx, run); rerr == nil {
		folder = r.Folder
	}
	return code, folder, err
}

func newHistoryCmd(g *globals) *cobra.Command {
	var (
		lf     ledgerFlags
		limit  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the recent runs recorded in the ledger",
		Long: `history lists the most recent runs of the ledger: when, which file, rows per
status, points credited and debited, the exit code and the stop reason. A run
without an exit code is "running" while its process holds the ledger, and "did
not finish" when it was killed: run its file again, or reconcile it. It only reads
the ledger, so it works while a run is going on. --json prints the runs as one
JSON document (schemaVersion 1, see the README).`,
		Example: `  rewardbatch history
  rewardbatch history --limit 50 --state /var/lib/rewardbatch/ledger.db
  rewardbatch history --json | jq '.runs[0].summary.stopReason'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return lf.read(cmd.Context(), g, func(l *ledger.Ledger) error {
				runs, err := l.Runs(cmd.Context(), limit)
				if err != nil {
					return err
				}
				running := runningCheck(cmd.Context(), l)
				if asJSON {
					return writeJSON(g, historyRuns(runs, running))
				}
				return printHistory(g, runs, running)
			})
		},
	}
	lf.AddFlags(cmd.Flags())
	cmd.Flags().IntVar(&limit, "limit", 20, "how many runs to list")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the runs as one JSON document (schemaVersion "+fmt.Sprint(OutputSchemaVersion)+")")
	return cmd
}

func printHistory(g *globals, runs []ledger.RunRecord, running func(ledger.RunRecord) bool) error {
	tw := tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED (UTC)\tRUN\tFILE\tROWS\tSTATUSES\tCREDITED\tDEBITED\tEXIT\tREASON")
	for _, r := range runs {
		rows, statuses, credited, debited, exitCode, reason := "-", runState(r, running), "-", "-", "-", ""
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
			credited, debited, reason = cr.Fixed2(), dr.Fixed2(), s.StopReason
		}
		name := r.Input
		if r.Sandbox {
			name += " (sandbox)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.StartedAt.UTC().Format("2006-01-02 15:04:05"), r.ID, name, rows,
			statuses, credited, debited, exitCode, reason)
	}
	return tw.Flush()
}
