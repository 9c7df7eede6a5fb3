package validate

import (
	"fmt"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sheet"
)

// pasteValues is how a sheet's formulas become the values they show.
const pasteValues = "copy the column and paste it back with Paste Special > Values, so that the cells hold the points themselves"

// amountFormula explains an amount that a formula computes. The value
// read is the one Excel saved with the file, which is what the preparer
// saw when saving it; a program that wrote the workbook may not have
// computed it, and a later edit of the cells it sums may not have been
// saved into it. So such an amount is sent only after a warning (an error
// with --strict), and one without a saved value is refused: nothing the
// preparer did not see is sent. f is the amount's finding so far.
func (c *rowCheck) amountFormula(f *finding) *finding {
	i, ok := c.v.hdr.Index[allocfile.ColAmount]
	if !ok || len(c.row.Formulas) == 0 {
		return f
	}
	var fm *sheet.Formula
	for k := range c.row.Formulas {
		if c.row.Formulas[k].Col == i {
			fm = &c.row.Formulas[k]
		}
	}
	if fm == nil {
		return f
	}
	what := "a formula"
	if fm.Text != "" {
		what = fmt.Sprintf("a formula (=%s)", clip(fm.Text))
	}
	switch {
	case !fm.Cached:
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
