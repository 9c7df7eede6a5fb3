package cli

import (
	"bufio"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/samplegen"
)

func newGenerateCmd(g *globals) *cobra.Command {
	var (
		o   samplegen.Options
		out string
	)
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write a realistic allocation file (for trials and benchmarks)",
		Long: `generate writes an allocation file with Indian names, e-mails and mobiles: mostly
new allocations, plus top-ups and debits against the sandbox's demo cards
(EKC1000001 to EKC1000040). The sample in samples/ was made with it.`,
		Example: `  rewardbatch generate --rows 200 --topups 22 --debits 8 --batch NOV26 --out allocations.csv
  rewardbatch generate --rows 1000000 --out /tmp/big.csv`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			w := g.stdout
			if out != "" && out != "-" {
				f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
				if err != nil {
					return exit(exitcode.Fatal, err)
				}
				defer f.Close()
				bw := bufio.NewWriterSize(f, 1<<20)
				defer bw.Flush()
				w = bw
			}
			if err := samplegen.Write(w, o); err != nil {
				return exit(exitcode.Fatal, fmt.Errorf("generate: %w", err))
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&o.Rows, "rows", 200, "data rows")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the random choices")
	fs.StringVar(&o.Batch, "batch", "B", "prefix of the references")
	fs.IntVar(&o.TopUps, "topups", 0, "rows topping up demo cards")
	fs.IntVar(&o.Debits, "debits", 0, "rows debiting demo cards")
	fs.StringVar(&out, "out", "-", "file to write (- for stdout)")
	return cmd
}
