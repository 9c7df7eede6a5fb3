package config

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rewardbatch/rewardbatch/pkg/mask"
)

// Show writes the settings as `rewardbatch config show` prints them: one
// line per flag with its value and where it came from. A secret's value is
// shown as *** (or empty when unset), and the secrets of URLs are masked
// with [mask.URL].
func Show(w io.Writer, settings []Setting) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tVALUE\tFROM")
	for _, s := range settings {
		from := string(s.Source)
		if s.Origin != "" {
			from += " " + s.Origin
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, Masked(s), from)
	}
	return tw.Flush()
}

// Masked is a setting's value fit to print: a secret becomes ***, and a URL
// keeps only what [mask.URL] keeps. List items are joined with commas.
func Masked(s Setting) string {
	out := make([]string, len(s.Value))
	for i, v := range s.Value {
		switch {
		case v == "":
		case s.Secret:
			out[i] = "***"
		case strings.Contains(v, "://"):
			out[i] = mask.URL(v)
		default:
			out[i] = v
		}
	}
	return strings.Join(out, ",")
}
