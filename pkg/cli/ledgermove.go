package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
)

func newLedgerExportCmd(g *globals) *cobra.Command {
	var (
		lf  ledgerFlags
		out string
	)
	cmd := &cobra.Command{
		Use:   "export [--out FILE]",
		Short: "Write the ledger's whole history as JSON lines (to move it to another back end)",
		Long: `export writes every run, scope and reference of the ledger (--state: a SQLite file
or a postgres:// URL) as JSON lines, read in one consistent snapshot: a header
line {"format":"rewardbatch-ledger","schema_version":N,...}, then one line per row.
It only reads, so it works while a run holds the ledger. Feed the file to
'rewardbatch ledger import' with the other ledger as --state. The file holds what
the ledger holds (masked e-mails and mobiles, EnKash's ids): keep it like the
ledger. It is written 0600.`,
		Example: `  rewardbatch ledger export --state ~/.local/state/rewardbatch/ledger.db --out ledger.jsonl
  rewardbatch ledger import --state 'postgres://rewardbatch@db.internal/rewards?sslmode=verify-full' ledger.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return lf.read(cmd.Context(), g, func(l *ledger.Ledger) error {
				w, done, err := exportTarget(g, out)
				if err != nil {
					return err
				}
				st, err := l.Export(cmd.Context(), w)
				if err = done(err); err != nil {
					return err
				}
				fmt.Fprintf(g.stderr, "Exported %s: %d runs, %d scopes, %d references\n", l.Path(), st.Rows["runs"],
					st.Rows["scopes"], st.Rows["refs"])
				return nil
			})
		},
	}
	lf.AddFlags(cmd.Flags())
	cmd.Flags().StringVar(&out, "out", "-", "the file to write (- for standard output)")
	return cmd
}

// exportTarget opens where an export goes. done(err) ends it and returns
// err, or the error of closing it: a file is synced and closed, or, when
// the export failed, removed, so that no partial export is left and a
// read tried again (see [ledger.Read]) can create it anew.
func exportTarget(g *globals, out string) (io.Writer, func(error) error, error) {
	if out == "-" || out == "" {
		return g.stdout, func(err error) error { return err }, nil
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger export: %w (it never overwrites a file)", err)
	}
	return f, func(err error) error {
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(out)
		}
		return err
	}, nil
}

func newLedgerImportCmd(g *globals) *cobra.Command {
	var lf ledgerFlags
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Add an exported history to the ledger (SQLite or PostgreSQL)",
		Long: `import adds the runs, scopes and references of an export (FILE, or - for standard
input) to the ledger given by --state (created when missing), in one transaction,
holding the ledger's lock (PostgreSQL: the lock of every EnKash account in the
file). What the ledger already holds is kept, unless the imported record of a
reference is stronger: confirmed beats sent-without-outcome, which beats refused.
So importing twice, or importing the ledgers of two hosts into one, never forgets
a payment and never makes a paid reference sendable again.`,
		Example: `  rewardbatch ledger import --state 'postgres://rewardbatch@db.internal/rewards?sslmode=verify-full' ledger.jsonl
  rewardbatch ledger export --state "$OLD" | rewardbatch ledger import --state "$NEW" -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return exit(exitcode.Fatal, fmt.Errorf("ledger import: %w", err))
				}
				defer f.Close() //nolint:errcheck // read only
				in = f
			}
			l, closeLedger, err := lf.open(cmd.Context(), g, false)
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			defer closeLedger() //nolint:errcheck // the import was committed, or nothing was
			st, err := l.Import(cmd.Context(), in)
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			fmt.Fprintf(g.stdout, "Imported into %s: %d runs, %d scopes, %d references added; %d references kept as the "+
				"ledger had them, %d replaced by a stronger record\n", l.Path(), st.Rows["runs"], st.Rows["scopes"],
				st.Rows["refs"], st.Kept, st.Replaced)
			return nil
		},
	}
	lf.AddFlags(cmd.Flags())
	lf.addWaitFlag(cmd.Flags())
	return cmd
}
