package validate

import (
	"fmt"
	"io"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// maxListedWarnings bounds the warnings a plan lists one by one.
const maxListedWarnings = 50

// OpTotal is the count and total of the valid rows of one operation.
type OpTotal struct {
	Rows  int          `json:"rows"`
	Total money.Amount `json:"points"`
}

// Plan is what a run would send: counts, totals per operation, people, and
// a hash over the normalised valid rows and the options that change what
// is sent. Two plans with the same hash send the same requests.
type Plan struct {
	File      string                        `json:"file"`
	RowsRead  int                           `json:"rowsRead"`
	Valid     int                           `json:"valid"`
	Invalid   int                           `json:"invalid"`
	BlankRows int                           `json:"blankRows"`
	Errors    int                           `json:"errors"`
	Warnings  int                           `json:"warnings"`
	Notes     int                           `json:"notes"`
	Derived   int                           `json:"derivedReferences"`
	People    int                           `json:"people"`
	Ops       map[reward.Operation]*OpTotal `json:"operations"`
	FileTotal money.Amount                  `json:"fileTotal"`
	Hash      string                        `json:"hash"`
	// SkippedRows counts the rows of the sheet's layout (a repeated header,
	// a totals row) that are not allocations; Skipped lists the first.
	SkippedRows int            `json:"skippedRows,omitempty"`
	Skipped     []string       `json:"skipped,omitempty"`
	WarningList []reward.Issue `json:"-"`
	HeaderNotes []string       `json:"-"`
}

// Op returns the totals of one operation (zero when the plan has none).
func (p *Plan) Op(op reward.Operation) OpTotal {
	if t := p.Ops[op]; t != nil {
		return *t
	}
	return OpTotal{}
}

// Credits returns the points the valid rows would take from the reward
// account: allocations plus top-ups.
func (p *Plan) Credits() money.Amount {
	return p.Op(reward.OpAllocate).Total.Add(p.Op(reward.OpTopUp).Total)
}

// ShortHash is the first 16 hex digits of the plan hash, for people.
func (p *Plan) ShortHash() string {
	if len(p.Hash) < 16 {
		return p.Hash
	}
	return p.Hash[:16]
}

// ControlError is a file that does not match the control totals its
// preparer stated.
type ControlError struct {
	What, Expected, Got string
}

// Error states what the file has and what was expected.
func (e *ControlError) Error() string {
	return fmt.Sprintf("control total: the file has %s %s but %s was expected; the file may be truncated, doubled or not the one approved",
		e.Got, e.What, e.Expected)
}

// CheckControls compares the file with the row count and point total its
// preparer stated (a negative rows or a nil total is not checked). Rows
// counts every data row; the total sums the loadAmount column as the
// spreadsheet's SUM would.
func (p *Plan) CheckControls(rows int, total *money.Amount) error {
	if rows >= 0 && rows != p.RowsRead {
		return &ControlError{What: "rows", Expected: fmt.Sprint(rows), Got: fmt.Sprint(p.RowsRead)}
	}
	if total != nil && total.Cmp(p.FileTotal) != 0 {
		return &ControlError{What: "points in total", Expected: total.Fixed2(), Got: p.FileTotal.Fixed2()}
	}
	return nil
}

// Print writes the plan for a person to read before approving the run.
func (p *Plan) Print(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Plan for %s\n", p.File)
	for _, n := range p.HeaderNotes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	for _, n := range p.Skipped {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	if p.SkippedRows > len(p.Skipped) {
		fmt.Fprintf(&b, "  note: ... and %d more rows of the sheet's layout skipped\n", p.SkippedRows-len(p.Skipped))
	}
	fmt.Fprintf(&b, "  rows read        %8d", p.RowsRead)
	if p.BlankRows > 0 {
		fmt.Fprintf(&b, "   (%d blank rows skipped)", p.BlankRows)
	}
	fmt.Fprintf(&b, "\n  valid            %8d\n  invalid          %8d\n  warnings         %8d\n", p.Valid, p.Invalid, p.Warnings)
	if p.Derived > 0 {
		fmt.Fprintf(&b, "  references derived from the batch id: %d\n", p.Derived)
	}
	fmt.Fprintf(&b, "  %-10s %8s %16s\n", "operation", "rows", "points")
	for _, op := range reward.Operations {
		t := p.Op(op)
		fmt.Fprintf(&b, "  %-10s %8d %16s\n", op, t.Rows, t.Total.Fixed2())
	}
	fmt.Fprintf(&b, "  credits from the reward account: %s points\n", p.Credits().Fixed2())
	fmt.Fprintf(&b, "  distinct people  %8d\n", p.People)
	fmt.Fprintf(&b, "  plan hash        %s\n", p.ShortHash())
	if len(p.WarningList) > 0 {
		fmt.Fprintf(&b, "Warnings:\n")
		for _, w := range p.WarningList {
			fmt.Fprintf(&b, "  %s\n", w)
		}
		if p.Warnings > len(p.WarningList) {
			fmt.Fprintf(&b, "  ... and %d more in validation.csv\n", p.Warnings-len(p.WarningList))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
