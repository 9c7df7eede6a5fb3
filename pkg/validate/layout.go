package validate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// maxSkipNotes bounds the skipped rows a plan lists one by one.
const maxSkipNotes = 20

// skip reports whether row is not an allocation but part of the sheet's
// layout: the header repeated (a sheet pasted under another, a printed
// page's header) or a totals row (a "Total" label, or an amount that
// equals the sum of the amounts above it, and no person). Such a row is
// never sent; the plan notes it.
func (v *Validator) skip(row *allocfile.Row) bool {
	why := ""
	if v.headerAgain(row) {
		why = "the header repeated"
	} else if !hasPerson(&row.Record) {
		why = v.totalsRow(row)
	}
	if why == "" {
		return false
	}
	v.plan.SkippedRows++
	if len(v.plan.Skipped) < maxSkipNotes {
		v.plan.Skipped = append(v.plan.Skipped, fmt.Sprintf("%s %d was skipped, never sent: %s", v.lineWord(), row.Line, why))
	}
	return true
}

// headerAgain reports whether the row's known cells are the header's own
// names. An amount cell that starts with a letter is the cheap first sign.
func (v *Validator) headerAgain(row *allocfile.Row) bool {
	a := row.Record.Amount
	if a == "" || !isLetter(a[0]) {
		return false
	}
	same := 0
	for col, i := range v.hdr.Index {
		if foldCell(row.Record.Field(col)) != foldCell(v.hdr.Names[i]) {
			return false
		}
		same++
	}
	return same >= 2
}

// totalsRow says why a row without a person is a totals row, or "".
func (v *Validator) totalsRow(row *allocfile.Row) string {
	for _, c := range row.Values {
		if totalLabel(c) {
			return fmt.Sprintf("a totals row (%q)", strings.TrimSpace(c))
		}
	}
	amt, err := money.Parse(strings.TrimSpace(row.Record.Amount))
	if err == nil && !amt.IsZero() && amt.Cmp(v.plan.FileTotal) == 0 && strings.TrimSpace(row.Record.FirstName) == "" {
		return fmt.Sprintf("a totals row (its amount %s is the sum of the amounts above it, and it names no one)", amt.Fixed2())
	}
	return ""
}

// hasPerson reports whether a record names anyone: a reference, a name
// (other than a "Total" label, which sheets put in the first column), an
// e-mail, a mobile or a card.
func hasPerson(r *allocfile.Record) bool {
	for _, v := range [...]string{r.Reference, r.Email, r.Mobile, r.CardID, r.CardAccountID} {
		if strings.TrimSpace(v) != "" {
			return true
		}
	}
	return strings.TrimSpace(r.FirstName) != "" && !totalLabel(r.FirstName)
}

// totalLabel reports whether a cell is a totals row's label: Total,
// Totals, Grand Total, Sub-total, Sum (any case, with : or spaces).
func totalLabel(c string) bool {
	switch f := foldCell(c); f {
	case "total", "totals", "grandtotal", "subtotal", "sum", "totalamount", "totalpoints", "totalinr":
		return true
	}
	return false
}

// foldCell is a cell as header names are matched: lower case, without
// spaces and punctuation.
func foldCell(s string) string { return allocfile.Fold(s) }

// foundColumns lists the header's names for a message.
func foundColumns(hdr *allocfile.Header) string {
	var names []string
	for _, n := range hdr.Names {
		if strings.TrimSpace(n) != "" {
			names = append(names, fmt.Sprintf("%q", n))
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// closestHint names, for each missing column, the unrecognised header that
// is nearest to it, if any.
func closestHint(hdr *allocfile.Header, missing []string) string {
	var unused []string
	for i, n := range hdr.Names {
		if hdr.Canonical[i] == "" && !hdr.Dropped[i] {
			unused = append(unused, n)
		}
	}
	var hints []string
	for _, col := range missing {
		if n := allocfile.Closest(col, unused); n != "" {
			hints = append(hints, fmt.Sprintf("the closest is %q: if it holds the %s, --map %q", n, col, n+"="+col))
			unused = slices.DeleteFunc(unused, func(u string) bool { return u == n })
		}
	}
	if len(hints) == 0 {
		return ""
	}
	return " (" + strings.Join(hints, "; ") + ")"
}
