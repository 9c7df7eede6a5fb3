package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/filetemplate"
)

// templateOptions are the flags of `rewardbatch template`.
type templateOptions struct {
	format string
	out    string
	force  bool
}

func newTemplateCmd(g *globals) *cobra.Command {
	o := &templateOptions{}
	cmd := &cobra.Command{
		Use:   "template",
		Short: "Write an allocation file template to fill in (Excel or CSV)",
		Long: `template writes allocations-template.xlsx: the columns rewardbatch reads, formatted so
that Excel cannot damage them (mobiles, references and cards as Text, amounts with
two decimals), drop-down lists for operation, title and gender, a frozen header,
and an Instructions sheet with the rules and examples. With --format csv it writes
allocations-template.csv, a header line in UTF-8 that Excel opens correctly.

The template has no example row in the sheet that is sent: an example left in by
mistake would be paid.`,
		Example: `  rewardbatch template                       # allocations-template.xlsx here
  rewardbatch template --format csv --out nov.csv
  rewardbatch template --out - > template.xlsx`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			path, err := runTemplate(o, g.stdout)
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			if path != "-" {
				fmt.Fprintf(g.stdout, "Wrote %s: fill in the %s sheet, then run: rewardbatch validate %s\n", path, filetemplate.DataSheet, path)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.format, "format", "xlsx", "xlsx or csv")
	fs.StringVar(&o.out, "out", "", "file to write (- for stdout; default allocations-template.xlsx or .csv)")
	fs.BoolVar(&o.force, "force", false, "replace the file when it exists")
	return cmd
}

// runTemplate writes the template and returns where.
func runTemplate(o *templateOptions, stdout io.Writer) (string, error) {
	write := filetemplate.WriteXLSX
	switch strings.ToLower(o.format) {
	case "xlsx":
	case "csv":
		write = filetemplate.WriteCSV
	default:
		return "", fmt.Errorf("template: --format %q: use xlsx or csv", o.format)
	}
	path := o.out
	if path == "" {
		path = strings.TrimSuffix(filetemplate.FileName, ".xlsx") + "." + strings.ToLower(o.format)
	}
	if path == "-" {
		return path, write(stdout)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if o.force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("template: %s exists already: choose another --out, or add --force to replace it", path)
	}
	if err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return "", fmt.Errorf("template: writing %s: %w", path, err)
	}
	return path, f.Close()
}
