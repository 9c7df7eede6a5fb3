package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// reportFlags are the flags of `rewardbatch report`.
type reportFlags struct {
	ledger    ledgerFlags
	batchID   string
	maxAmount string
	noBOM     bool
	columns   columnFlags
}

// AddFlags registers the flags.
func (o *reportFlags) AddFlags(fs *pflag.FlagSet) {
	o.ledger.AddFlags(fs)
	fs.StringVar(&o.batchID, "batch-id", "", "the --batch-id the run was given, if any")
	fs.StringVar(&o.maxAmount, "max-amount", validate.DefaultMaxAmount.String(), "the --max-amount the run was given")
	fs.BoolVar(&o.noBOM, "no-bom", false, noBOMUsage)
	o.columns.AddFlags(fs)
}

func newReportCmd(g *globals) *cobra.Command {
	o := &reportFlags{}
	cmd := &cobra.Command{
		Use:   "report RUN",
		Short: "Write a run's results.csv, failed.csv and summary.json again, from the ledger",
		Long: `report rebuilds the reports of a run from the ledger and the copy of the input
in the run's folder (input.csv, or input.xlsx for a workbook): results.csv, failed.csv
and summary.json, with the same content as the run wrote, except latencyMs, which the
ledger does not keep. Use
it when a run could not write its reports (a full disk, a second Ctrl-C, a kill),
or to get them back after they were lost. It sends nothing and needs no EnKash
credentials. RUN is a run id (see rewardbatch history) or a run folder.

Give the same --batch-id and --max-amount as the run, if it had them: the file
must check exactly as it did (the plan hash is compared).

` + exitCodesHelp,
		Example: `  rewardbatch report 20261126T080000Z-allocations
  rewardbatch report --batch-id 2026-11 reports/20261126T080000Z-hr-export`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ceiling, err := money.Parse(o.maxAmount)
			if err != nil || ceiling.IsZero() {
				return exit(exitcode.Fatal, errMaxAmount(o.maxAmount))
			}
			columns, err := o.columns.columns()
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			path, err := o.ledger.path(g)
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			l, err := ledger.Open(cmd.Context(), path) // locked: no run writes into the folder meanwhile
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			defer l.Close() //nolint:errcheck // nothing written but the reports
			code, err := job.Report(cmd.Context(), job.ReportOptions{Run: args[0], Ledger: l,
				Validate: validate.Options{BatchID: o.batchID, MaxAmount: ceiling, Columns: columns, Sheet: o.columns.sheet}, Version: Version(), Style: report.Style{NoBOM: o.noBOM}, Stdout: g.stdout, Log: g.log})
			return exit(code, err)
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}
