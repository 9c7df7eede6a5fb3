package cli

import (
	"github.com/spf13/cobra"

	"github.com/rewardbatch/rewardbatch/pkg/ledger"
)

// completeRunIDs completes a RUN argument with the ids of the ledger's
// recent runs (read-only, so it works while a run holds the ledger). The
// ledger is the one --state (or the default) names.
func completeRunIDs(g *globals, lf *ledgerFlags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var ids []cobra.Completion
		_ = lf.read(cmd.Context(), g, func(l *ledger.Ledger) error {
			runs, err := l.Runs(cmd.Context(), 50)
			for _, r := range runs {
				ids = append(ids, cobra.CompletionWithDesc(r.ID, r.Input))
			}
			return err
		})
		return ids, cobra.ShellCompDirectiveNoFileComp
	}
}
