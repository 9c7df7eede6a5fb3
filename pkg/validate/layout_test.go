package validate

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// TestSheetLayouts: what HR sheets have around the rows (titles above the
// header, the header repeated, a totals row, HR column names) is
// recognised; nothing of it is sent, and every line number stays the
// file's.
func TestSheetLayouts(t *testing.T) {
	t.Parallel()
	hr := "Employee Name,Salutation,Gender,Email ID,Mobile No.,Amount (INR),Ref No\n"
	person := func(n, amt string) string {
		return "Aarav " + n + ",Mr,M,a" + n + "@example.com,98765432" + n + "," + amt + ",R-" + n + "\n"
	}
	for _, tc := range []struct {
		name     string
		text     string
		opts     Options
		valid    int
		skipped  int
		lines    []int // the items' lines
		notes    []string
		problems []string // of the items, in order
	}{
		{name: "HR column names", text: hr + person("10", "100") + person("11", "50.50"), valid: 2, lines: []int{2, 3},
			notes: []string{"column A (Employee Name) is read as firstName", "column E (Mobile No.) is read as mobile",
				"column F (Amount (INR)) is read as loadAmount", "column G (Ref No) is read as uniqueReferenceNumber"}},
		{name: "title rows above the header", text: "November 2026 rewards,,,,,,\nPrepared by HR,,,,,,\n\n" + hr + person("10", "100") + person("11", "abc"),
			valid: 1, lines: []int{5, 6}, notes: []string{"the header is on line 4: 3 lines above it skipped (a title)"},
			problems: []string{`the amount "abc" is not a number`}},
		{name: "the header repeated", text: hr + person("10", "100") + hr + person("11", "200"), valid: 2, skipped: 1, lines: []int{2, 4},
			notes: []string{"line 3 was skipped, never sent: the header repeated"}},
		{name: "a Total row", text: hr + person("10", "100") + person("11", "200") + "Total,,,,,300,\n", valid: 2, skipped: 1, lines: []int{2, 3},
			notes: []string{`line 4 was skipped, never sent: a totals row ("Total")`}},
		{name: "an unlabelled sum", text: hr + person("10", "100") + person("11", "200.50") + ",,,,,300.50,\n", valid: 2, skipped: 1,
			notes: []string{"line 4 was skipped, never sent: a totals row (its amount 300.50 is the sum of the amounts above it, and it names no one)"}},
		{name: "a row with a person is never a total", text: hr + person("10", "100") + "Total,Mr,M,t@example.com,9876543299,100,R-T\n", valid: 2},
		{name: "an amount without a person that is not the sum", text: hr + person("10", "100") + ",,,,,50,\n", valid: 1, lines: []int{2, 3},
			problems: []string{"the firstName is empty; a new allocation needs it", "the title is empty; a new allocation needs it",
				"the gender is empty; a new allocation needs it", "the email is empty; a new allocation needs it",
				"the mobile is empty; a new allocation needs it", "the reference is empty"}},
		{name: "--map", text: "Emp,Sal,Sex,Mail,Cell,Pts,Voucher\n" + "Aarav,Mr,M,a@example.com,9876543210,100,V1\n", valid: 1,
			opts: Options{Columns: map[string]string{"Emp": "firstName", "Cell": "mobile", "Voucher": "uniqueReferenceNumber", "pts": "loadAmount",
				"Sal": "title", "Mail": "email"}}},
		{name: "a reference in scientific notation", text: hr + "Aarav,Mr,M,a@example.com,9876543210,100,2.02611E+16\n", lines: []int{2},
			problems: []string{"the reference is in scientific notation (2.02611E+16): Excel turned it into a number and the last digits are lost"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, plan := scan(t, tc.text, tc.opts)
			assert.Equal(t, tc.valid, plan.Valid)
			assert.Equal(t, tc.skipped, plan.SkippedRows)
			assert.Equal(t, plan.RowsRead, len(items), "a skipped row is not a row")
			if tc.lines != nil {
				var lines []int
				for _, it := range items {
					lines = append(lines, it.Line)
				}
				assert.Equal(t, tc.lines, lines)
			}
			notes := append(append([]string(nil), plan.HeaderNotes...), plan.Skipped...)
			for _, n := range tc.notes {
				assert.Contains(t, notes, n)
			}
			var problems []string
			for _, it := range items {
				for _, is := range it.Issues {
					if is.Severity == reward.SevError {
						problems = append(problems, is.Problem)
					}
				}
			}
			assert.Equal(t, tc.problems, problems)
		})
	}
}

// TestAMissingColumnNamesTheClosest: the message lists the columns found
// and the nearest one, with the --map that would use it.
func TestAMissingColumnNamesTheClosest(t *testing.T) {
	t.Parallel()
	_, err := Stream(context.Background(), "in.csv", strings.NewReader("Name,Amount Paid,Ref\nA,1,R\n"), Options{BatchID: "B1"}, nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `the file has no loadAmount, title, gender, email, mobile column (its columns: "Name", "Amount Paid", "Ref")`)
	assert.Contains(t, err.Error(), `the closest is "Amount Paid": if it holds the loadAmount, --map "Amount Paid=loadAmount"`)
	assert.Contains(t, err.Error(), "rewardbatch template")
}
