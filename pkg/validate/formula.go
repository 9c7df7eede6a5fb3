package validate

import (
	"fmt"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sheet"
)

// pasteValues is how a sheet's formulas become the values they show.
const pasteValues = "copy the column and paste it back with Paste Special > Values, so that the cells hold the points themselves"

// amountCell explains an amount that the sheet does not show as it is
// stored: a number its format shows rounded (1250.5 shown as 1,251) is
// refused, since the points sent would not be the points seen; an amount
// that a formula computes is read as the value Excel saved with the file,
// which is what the preparer saw when saving it, but a program that wrote
// the workbook may not have computed it and a later edit of the cells it
// uses may not be in it: it is sent only after a warning (an error with
// --strict), and one without a saved value is refused. f is the amount's
// finding so far.
func (c *rowCheck) amountCell(f *finding) *finding {
	i, ok := c.v.hdr.Index[allocfile.ColAmount]
	if !ok || len(c.row.Cells) == 0 {
		return f
	}
	var cell *sheet.Cell
	for k := range c.row.Cells {
		if c.row.Cells[k].Col == i {
			cell = &c.row.Cells[k]
		}
	}
	switch {
	case cell == nil:
		return f
	case cell.Rounded && f == nil:
		return errf("format the amount column to show 2 decimals (Format Cells > Number, 2 decimal places), check the amounts, and save",
			"the sheet shows this amount rounded to %s (its format), but the cell holds %s: the points sent would not be the points seen",
			decimalsText(cell.Shows), clip(c.rec.Amount))
	case !cell.HasFormula:
		return f
	}
	what := "a formula"
	if cell.Formula != "" {
		what = fmt.Sprintf("a formula (=%s)", clip(cell.Formula))
	}
	switch {
	case !cell.Cached:
		return errf("open the workbook in Excel and save it again (Excel then saves the formula's value), or "+pasteValues,
			"the amount is %s whose value is not saved in the workbook, so the points it shows are not known", what)
	case f != nil:
		f.problem = fmt.Sprintf("the amount is %s; its saved value: %s", what, f.problem)
		f.fix = "make the formula give the points to 2 decimals at most (=ROUND(...,2)), or " + pasteValues + "; " + f.fix
		return f
	}
	return &finding{sev: reward.SevWarning,
		problem: fmt.Sprintf("the amount is %s; its value %s was read as Excel last saved it", what, clip(c.rec.Amount)),
		fix:     "check that these are the points meant; to send exactly what the sheet shows without a formula, " + pasteValues}
}

// decimalsText says how many decimals a format shows.
func decimalsText(n int) string {
	switch n {
	case 0:
		return "a whole number"
	case 1:
		return "1 decimal"
	}
	return fmt.Sprintf("%d decimals", n)
}

// lineBreaks warns of the cells whose line breaks the sheet reader read
// as spaces: the value checked and sent is not quite the one in the cell.
func (c *rowCheck) lineBreaks() {
	for _, cell := range c.row.Cells {
		if !cell.LineBreak {
			continue
		}
		f := finding{reward.SevWarning, "the cell holds a line break (Alt+Enter in Excel); it was read as a space",
			"check the value, and remove the line break in the sheet"}
		if cell.Col < len(c.v.hdr.Canonical) && c.v.hdr.Canonical[cell.Col] != "" {
			c.add(c.v.hdr.Canonical[cell.Col], f)
			continue
		}
		f.sev = reward.SevNote // a column only carried into the reports
		c.add("", f)
	}
}
