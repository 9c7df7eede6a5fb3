package validate

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// rowCheck is the work on one row.
type rowCheck struct {
	v     *Validator
	row   *allocfile.Row
	it    *reward.Item
	rec   allocfile.Record // cleaned values
	email string           // lowerEmail's cache
	cand  int8             // candidate's cache: 0 unknown, 1 yes, -1 no
	pf    [3]uint32        // the first rows of the row's payment groups (exact.payment)
	// repeatAllowed: the row repeats an earlier one and is let through as
	// a second payment.
	repeatAllowed bool
}

// add records a finding on a canonical column ("" for the whole row).
func (c *rowCheck) add(col string, f finding) {
	is := reward.Issue{Line: c.row.Line, Sheet: c.v.sheet, Severity: f.sev, Problem: f.problem, Fix: f.fix}
	if i, ok := c.v.hdr.Index[col]; ok {
		is.Line = c.row.LineOf(i)
		is.Column = c.v.hdr.Names[i]
		is.Letter = allocfile.ColumnLetter(i)
		is.Value = clip(c.row.Record.Field(col))
	}
	c.it.Issues = append(c.it.Issues, is)
}

func (c *rowCheck) addp(col string, f *finding) {
	if f != nil {
		c.add(col, *f)
	}
}

var cleaned = []string{
	allocfile.ColOperation, allocfile.ColReference, allocfile.ColFirstName, allocfile.ColTitle, allocfile.ColGender,
	allocfile.ColEmail, allocfile.ColMobile, allocfile.ColAmount, allocfile.ColCardID, allocfile.ColCompanyID,
	allocfile.ColCardAccountID, allocfile.ColRemarks,
}

// clean trims every value and applies the length limits. The formula
// guard of this tool's own reports is taken off by the reader
// (allocfile.Unguard), and only in a report fed back: a user's own leading
// apostrophe is kept.
func (c *rowCheck) clean() {
	c.rec = c.row.Record
	for _, col := range cleaned {
		v := c.rec.Field(col)
		t := strings.TrimSpace(v)
		if t != v {
			c.add(col, finding{reward.SevNote, noteTrimmed, ""})
		}
		c.addp(col, checkLength(col, t))
		c.rec.SetField(col, t)
	}
}

func (c *rowCheck) run() {
	if p := c.row.Problem; p != nil {
		c.it.Issues = append(c.it.Issues, reward.Issue{Line: c.row.Line, Sheet: c.v.sheet, Value: clip(p.Text), Severity: reward.SevError, Problem: p.Problem, Fix: p.Fix})
		c.countAmount()
		return
	}
	c.clean()
	c.lineBreaks()
	r := &c.rec
	a := &c.it.Allocation

	// The operation decides which fields are needed.
	if r.Operation != "" {
		op, f := normOperation(r.Operation)
		c.addp(allocfile.ColOperation, f)
		a.Operation = op
	} else if r.CardID != "" && r.FirstName == "" {
		a.Operation = reward.OpTopUp
	} else {
		a.Operation = reward.OpAllocate
	}

	amount, f := checkAmount(r.Amount, c.v.opts.MaxAmount)
	c.addp(allocfile.ColAmount, c.amountCell(f))
	a.Amount = amount
	c.countAmount()

	switch a.Operation {
	case reward.OpAllocate:
		c.person(true)
		if r.CardID != "" {
			c.add(allocfile.ColCardID, finding{reward.SevNote, "an allocate row does not use enkashCardId; it is not sent",
				"to credit that card instead, set operation topup before the row is first sent (changing a row already paid pays it again)"})
		}
	case reward.OpTopUp, reward.OpDebit:
		c.person(false)
		a.FirstName, a.Title, a.Gender = "", "", ""
		switch {
		case r.CardID != "":
			c.addp(allocfile.ColCardID, checkID("enkashCardId", r.CardID))
			a.EnkashCardID = r.CardID
		case r.CardAccountID == "":
			c.add(allocfile.ColCardID, finding{reward.SevError, fmt.Sprintf("a %s needs the card: enkashCardId is empty", a.Operation),
				"copy the employee's enkashCardId from the EnKash portal or an earlier results.csv"})
		case r.Email == "" && r.Mobile == "":
			c.add(allocfile.ColCardID, finding{reward.SevError, fmt.Sprintf("a %s without enkashCardId needs the e-mail or mobile to find the card", a.Operation),
				"fill in the enkashCardId, or the employee's e-mail or mobile"})
		}
	}
	if r.CompanyID != "" {
		c.addp(allocfile.ColCompanyID, checkID("companyId", r.CompanyID))
	}
	if r.CardAccountID != "" {
		c.addp(allocfile.ColCardAccountID, checkID("cardAccountId", r.CardAccountID))
	}
	c.sameAccount(allocfile.ColCompanyID, "company", r.CompanyID, c.v.opts.CompanyID, "ENKASH_COMPANY_ID")
	c.sameAccount(allocfile.ColCardAccountID, "reward account", r.CardAccountID, c.v.opts.CardAccountID, "ENKASH_CARD_ACCOUNT_ID")
	// The configured company and account are applied here, once: the
	// allocation states exactly what is sent.
	a.CompanyID = cmp.Or(r.CompanyID, c.v.opts.CompanyID)
	a.CardAccountID = cmp.Or(r.CardAccountID, c.v.opts.CardAccountID)
	c.reference()
	c.duplicates()
}

// sameAccount refuses a row that names another company or reward account
// than the run's: the lookups that settle a lost answer search the run's
// account, so such a row could never be settled safely.
func (c *rowCheck) sameAccount(col, what, row, configured, env string) {
	if row == "" || configured == "" || row == configured {
		return
	}
	c.add(col, finding{reward.SevError,
		fmt.Sprintf("the row names %s %s, but this run is for %s %s: an answer lost for it could not be looked up", what, row, what, configured),
		fmt.Sprintf("send the rows of %s %s in a file of their own, with %s=%s; or empty the cell to use the run's", what, row, env, row)})
}

// person checks and normalises the person fields; all are required for a
// new allocation and optional (used only for checking) otherwise.
func (c *rowCheck) person(required bool) {
	r, a := &c.rec, &c.it.Allocation
	need := func(col, v string) bool {
		if v != "" {
			return true
		}
		if required {
			c.add(col, finding{reward.SevError, fmt.Sprintf("the %s is empty; a new allocation needs it", col),
				"fill it in, or, for an employee who already has a card, set operation topup and give the enkashCardId"})
		}
		return false
	}
	if need(allocfile.ColFirstName, r.FirstName) {
		a.FirstName = r.FirstName
	}
	normalise := func(col, raw string, norm func(string) (string, *finding), note func(raw, v string) string) string {
		if !need(col, raw) {
			return ""
		}
		v, f := norm(raw)
		c.addp(col, f)
		if f == nil && v != raw {
			c.add(col, finding{reward.SevNote, note(raw, v), ""})
		}
		return v
	}
	a.Title = normalise(allocfile.ColTitle, r.Title, normTitle,
		func(raw, v string) string { return fmt.Sprintf("the title %q was written as %s", raw, v) })
	a.Gender = normalise(allocfile.ColGender, r.Gender, normGender,
		func(raw, v string) string { return fmt.Sprintf("the gender %q was written as %s", raw, v) })
	a.Email = normalise(allocfile.ColEmail, r.Email, normEmail,
		func(string, string) string { return "the e-mail domain was written in lower case" })
	if need(allocfile.ColMobile, r.Mobile) {
		m, fs := normMobile(r.Mobile)
		for _, f := range fs {
			c.add(allocfile.ColMobile, f)
		}
		a.Mobile = m
	}
}

// identity is who the row pays, as the reference derivation sees it.
func (c *rowCheck) identity() string {
	a := &c.it.Allocation
	if a.Operation == reward.OpAllocate {
		return c.lowerEmail() + "|" + a.Mobile
	}
	return a.EnkashCardID + "|" + a.CardAccountID + "|" + c.lowerEmail() + "|" + a.Mobile
}

// lowerEmail is the e-mail as people are told apart: in lower case.
func (c *rowCheck) lowerEmail() string {
	if c.email == "" && c.it.Allocation.Email != "" {
		c.email = c.it.Allocation.Email
		for i := 0; i < len(c.email); i++ {
			if b := c.email[i]; b >= 'A' && b <= 'Z' || b >= 0x80 {
				c.email = strings.ToLower(c.email)
				break
			}
		}
	}
	return c.email
}

// reference takes the row's reference, or derives one from --batch-id.
func (c *rowCheck) reference() {
	r, a := &c.rec, &c.it.Allocation
	if r.Reference != "" {
		c.addp(allocfile.ColReference, checkReference(r.Reference))
		a.Reference = r.Reference
		return
	}
	if c.v.opts.BatchID == "" {
		c.add(allocfile.ColReference, finding{reward.SevError, "the reference is empty",
			"fill in a unique reference, or run with --batch-id (for example --batch-id 2026-11) to derive one"})
		return
	}
	if a.Amount.IsZero() || (a.Email == "" && a.Mobile == "" && a.EnkashCardID == "") {
		return // the row is invalid anyway; there is nothing stable to derive from
	}
	id := c.identity()
	n := c.occurrence(string(a.Operation) + "|" + id + "|" + a.Amount.Fixed2())
	a.Reference = DeriveReference(c.v.opts.BatchID, a.Operation, id, a.Amount, n)
	c.it.Derived = true
	c.v.plan.Derived++
}

// countAmount adds a parseable amount to the file's column total, valid
// row or not, as the spreadsheet's SUM would.
func (c *rowCheck) countAmount() {
	if a, err := money.Parse(c.row.Record.Amount); err == nil {
		c.v.plan.FileTotal = c.v.plan.FileTotal.Add(a)
	}
}
