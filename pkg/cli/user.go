package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
)

func newUserCmd(g *globals) *cobra.Command {
	var lf ledgerFlags
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage the web console's users (rewardbatch serve)",
	}
	lf.AddFlags(cmd.PersistentFlags())
	var role string
	var replace bool
	var cost int
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a console user, or with --replace reset one's role and password",
		Long: `user add creates a user of the web console in console.db beside the ledger. The
password (at least 12 characters) is read from the terminal without echo, or as
one line from standard input; it is stored as a bcrypt hash.

Roles: uploader (uploads, checks and submits files), approver (approves or
rejects files someone else submitted), viewer (reads), admin (all of these and
the users page). Nobody can approve a file they uploaded.`,
		Example: `  rewardbatch user add asha --role uploader
  printf '%s\n' "$PASSWORD" | rewardbatch user add ravi --role approver --state /var/lib/rewardbatch/ledger.db`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := store.ParseRole(role)
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			path, err := lf.path(g)
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			pw, err := readPassword(cmd, g)
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			st, err := store.Open(cmd.Context(), filepath.Join(filepath.Dir(path), store.FileName))
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			defer st.Close() //nolint:errcheck // closed at exit
			if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
				return exit(exitcode.Fatal, fmt.Errorf("--bcrypt-cost %d: want %d to %d", cost, bcrypt.MinCost, bcrypt.MaxCost))
			}
			st.SetCost(cost)
			if err := st.AddUser(cmd.Context(), args[0], r, pw, replace); err != nil {
				return exit(exitcode.Fatal, err)
			}
			_ = st.Audit(cmd.Context(), store.Event{User: "command line", Action: "user-add", Detail: args[0] + " as " + role})
			fmt.Fprintf(g.stdout, "User %s (%s) saved.\n", args[0], r)
			return nil
		},
	}
	add.Flags().StringVar(&role, "role", "", "uploader, approver, viewer or admin")
	add.Flags().BoolVar(&replace, "replace", false, "reset the role and password of an existing user")
	add.Flags().IntVar(&cost, "bcrypt-cost", store.DefaultCost, "bcrypt cost of the password hash (tests lower it)")
	_ = add.Flags().MarkHidden("bcrypt-cost")
	_ = add.MarkFlagRequired("role")
	cmd.AddCommand(add)
	return cmd
}

// readPassword reads the password without echo from a terminal, else one
// line of standard input.
func readPassword(cmd *cobra.Command, g *globals) (string, error) {
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(g.stderr, "Password (at least 12 characters): ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(g.stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		if err == nil {
			err = errors.New("empty")
		}
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	return line, nil
}
