package cli

import (
	"github.com/spf13/cobra"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/job"
)

// validateOptions are the flags of `rewardbatch validate`.
type validateOptions struct {
	check  checkFlags
	api    apiFlags
	output outputFlag
}

// AddFlags registers the flags.
func (o *validateOptions) AddFlags(cmd *cobra.Command) {
	o.check.AddFlags(cmd.Flags())
	o.api.AddFlags(cmd.Flags())
	o.output.AddFlags(cmd.Flags())
	for _, hidden := range []string{"base-url", "token-url", "client-id", "client-secret", "client-secret-file", "username", "password", "password-file", "partner-id", "encrypt", "timeout"} {
		_ = cmd.Flags().MarkHidden(hidden)
	}
}

func newValidateCmd(g *globals) *cobra.Command {
	o := &validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check every row of an allocation file and print the plan; send nothing",
		Long: `validate is the dry run: it reads the whole file, checks every row, prints the plan
(rows, valid, invalid, warnings, rows and points per operation, distinct people,
and the plan hash) and writes validation.csv (line, column, value, problem, fix)
and invalid.csv (the invalid rows in your own columns plus "error": fix them and
feed the file back) into the run folder. It needs no EnKash credentials.

A row that repeats an earlier one (the same operation, person and amount) is
refused unless --allow-repeats is given or its "repeat" column says why; --strict
refuses every row with a warning.

` + exitCodesHelp,
		Example: `  # Check this month's file before sending it
  rewardbatch validate samples/allocations-2026-11.csv

  # A file without a reference column: derive stable references
  rewardbatch validate --batch-id 2026-11 hr-export.csv

  # Two payments to one employee on purpose (or write the reason in a "repeat" column)
  rewardbatch validate --allow-repeats allocations.csv

  # Refuse the file unless it has the rows and total the approver signed off
  rewardbatch validate --expect-rows 200 --expect-total 312450.50 allocations.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(cmd, g, o, args[0])
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runValidate(cmd *cobra.Command, g *globals, o *validateOptions, file string) error {
	if err := o.output.check(); err != nil {
		return exit(exitcode.Fatal, err)
	}
	h := o.output.human(g)
	cfg, err := o.api.config(h)
	if err != nil {
		return exit(exitcode.Fatal, err)
	}
	opts, err := o.check.jobOptions(h, file, cfg)
	if err != nil {
		return exit(exitcode.Fatal, err)
	}
	r, err := job.ValidateWithPlan(cmd.Context(), opts)
	o.check.applyMode(g, r.Dir)
	if perr := o.output.print(g, Document{Command: "validate", ExitCode: r.Code, Folder: r.Dir, Plan: r.Plan}, err); perr != nil && err == nil {
		err = perr
	}
	return exit(r.Code, err)
}
