package reward

import "fmt"

// Severity ranks an [Issue].
type Severity string

// The severities. Only errors make a row invalid.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevNote    Severity = "note"
)

// Issue is one finding about one cell or row, with its position and fix.
type Issue struct {
	Line     int
	Column   string // the header cell as the file has it; "" for the whole row
	Letter   string // the spreadsheet column letter; "" for the whole row
	Value    string
	Severity Severity
	Problem  string
	Fix      string
}

// String renders the issue for a terminal: line, column, problem, fix.
func (i Issue) String() string {
	where := fmt.Sprintf("line %d", i.Line)
	if i.Column != "" {
		where += fmt.Sprintf(", column %s (%s)", i.Letter, i.Column)
	}
	s := fmt.Sprintf("%s: %s", where, i.Problem)
	if i.Fix != "" {
		s += ". Fix: " + i.Fix
	}
	return s
}
