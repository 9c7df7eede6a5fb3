package reward

import "strings"

// Item is one checked row: where it stands in the file, the cells the
// outputs carry, the allocation it would send, and every issue found.
type Item struct {
	// Line is the file line where the row starts.
	Line int
	// Values are the row's cells for the columns that outputs carry, in
	// file order.
	Values     []string
	Allocation Allocation
	Derived    bool // the reference was derived from --batch-id
	Issues     []Issue
	Valid      bool
}

// ErrorText joins the row's errors for a one-cell "error" column.
func (it *Item) ErrorText() string {
	var parts []string
	for _, is := range it.Issues {
		if is.Severity == SevError {
			p := is.Problem
			if is.Column != "" {
				p = is.Column + ": " + p
			}
			if is.Fix != "" {
				p += " (fix: " + is.Fix + ")"
			}
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "; ")
}
