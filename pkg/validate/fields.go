package validate

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// finding is a field rule's verdict before it is placed on a line and column.
type finding struct {
	sev          reward.Severity
	problem, fix string
}

func errf(fix, format string, args ...any) *finding {
	return &finding{sev: reward.SevError, problem: fmt.Sprintf(format, args...), fix: fix}
}

// Normalisation notes.
const (
	noteTrimmed = "spaces around the value were removed"
)

// amountDate is a date as the sheet reader writes a cell formatted as one.
var amountDate = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?$`)

var mobileSci = regexp.MustCompile(`^[0-9](?:[.,][0-9]+)?[eE][+]?[0-9]+$`)

// normMobile returns the 10-digit mobile, or why the value is not one.
func normMobile(v string) (string, []finding) {
	if len(v) == 10 && money.AllDigits(v) && v[0] >= '6' && !strings.HasSuffix(v, "00000") {
		return v, nil // the common case, without allocating
	}
	if strings.ContainsAny(v, "eE") && mobileSci.MatchString(v) {
		return "", []finding{{reward.SevError,
			"the mobile is in scientific notation (" + clip(v) + "): Excel turned it into a number and the last digits are lost",
			"format the mobile column as Text and type or paste the numbers again from the source (rewardbatch template writes a sheet whose mobile column is Text already)"}}
	}
	var notes []finding
	s := v
	if whole, frac, ok := strings.Cut(s, "."); ok && strings.Trim(frac, "0") == "" && frac != "" && money.AllDigits(whole) {
		s = whole
		notes = append(notes, finding{reward.SevNote, "the decimal part \"." + frac + "\" Excel added to the mobile was removed", ""})
	}
	stripped := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '\u00a0':
			return -1
		}
		return r
	}, s)
	if stripped != s {
		notes = append(notes, finding{reward.SevNote, "spaces, dashes and brackets were removed from the mobile", ""})
	}
	digits := strings.TrimPrefix(stripped, "+")
	if !money.AllDigits(digits) || digits == "" {
		return "", []finding{{reward.SevError, "the mobile has characters other than digits",
			"write the 10-digit mobile number, for example 9876543210"}}
	}
	switch {
	case strings.HasPrefix(stripped, "+91") && len(digits) == 12:
		digits = digits[2:]
		notes = append(notes, finding{reward.SevNote, "the +91 country code was removed from the mobile", ""})
	case strings.HasPrefix(stripped, "+"):
		return "", []finding{{reward.SevError, "the mobile is not an Indian number (+91)", "EnKash reward cards need an Indian 10-digit mobile"}}
	case len(digits) == 12 && strings.HasPrefix(digits, "91"):
		digits = digits[2:]
		notes = append(notes, finding{reward.SevNote, "the 91 country code was removed from the mobile", ""})
	case len(digits) == 11 && digits[0] == '0':
		digits = digits[1:]
		notes = append(notes, finding{reward.SevNote, "the leading 0 was removed from the mobile", ""})
	}
	switch {
	case len(digits) < 10:
		return "", []finding{{reward.SevError,
			fmt.Sprintf("the mobile has %d digits, an Indian mobile has 10: digits were lost (Excel drops leading zeros and rounds long numbers) or mistyped", len(digits)),
			"format the mobile column as Text and enter the full 10-digit number"}}
	case len(digits) > 10:
		return "", []finding{{reward.SevError, fmt.Sprintf("the mobile has %d digits, an Indian mobile has 10", len(digits)),
			"enter the 10-digit number without extra digits"}}
	case digits[0] < '6':
		return "", []finding{{reward.SevError, "the mobile does not start with 6, 7, 8 or 9, as Indian mobiles do",
			"check the number; a landline cannot hold a reward card"}}
	}
	if strings.HasSuffix(digits, "00000") {
		notes = append(notes, finding{reward.SevWarning, "the mobile ends in 00000, which is what Excel leaves of a number it rounded",
			"check the number against the source"})
	}
	return digits, notes
}

// normTitle accepts Mr, Mrs and Ms in any case, with or without a dot.
func normTitle(v string) (string, *finding) {
	t := strings.TrimSuffix(strings.ToLower(v), ".")
	switch t {
	case "mr":
		return "Mr", nil
	case "mrs":
		return "Mrs", nil
	case "ms":
		return "Ms", nil
	case "miss":
		return "", errf("use Ms", "the title %q is not accepted by EnKash", clip(v))
	}
	return "", errf("use Mr, Mrs or Ms", "the title %q is not accepted by EnKash", clip(v))
}

// normGender accepts M, F, male and female in any case.
func normGender(v string) (string, *finding) {
	switch strings.ToLower(v) {
	case "m", "male":
		return "M", nil
	case "f", "female":
		return "F", nil
	}
	return "", errf("use M or F (EnKash accepts only these two)", "the gender %q is not accepted by EnKash", clip(v))
}

// validEmail checks the pattern of EnKash's card APIs,
// ^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$, without a regexp.
func validEmail(local, domain string) bool {
	if local == "" || domain == "" {
		return false
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; !isAlnum(c) && !strings.ContainsRune("._%+-", rune(c)) {
			return false
		}
	}
	dot := strings.LastIndexByte(domain, '.')
	if dot < 1 || len(domain)-dot-1 < 2 {
		return false
	}
	for i := 0; i < len(domain); i++ {
		c := domain[i]
		if i > dot {
			if !isLetter(c) {
				return false
			}
		} else if !isAlnum(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isAlnum(c byte) bool  { return isLetter(c) || (c >= '0' && c <= '9') }

// normEmail lower-cases the domain and checks the pattern of EnKash's card
// APIs.
func normEmail(v string) (string, *finding) {
	local, domain, ok := strings.Cut(v, "@")
	if !ok || !validEmail(local, domain) {
		return "", errf("write one address such as priya.sharma@company.com", "the e-mail address %q is not valid", clip(v))
	}
	for i := 0; i < len(domain); i++ {
		if c := domain[i]; c >= 'A' && c <= 'Z' {
			return local + "@" + strings.ToLower(domain), nil
		}
	}
	return v, nil
}

// normOperation reads the operation column: one of [reward.Operations],
// in any case, with or without spaces, dashes and underscores, or
// "allocation".
func normOperation(v string) (reward.Operation, *finding) {
	for _, op := range reward.Operations { // the common spellings, without allocating
		if v == string(op) {
			return op, nil
		}
	}
	folded := strings.ToLower(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '_' {
			return -1
		}
		return r
	}, v))
	if folded == "allocation" {
		return reward.OpAllocate, nil
	}
	for _, op := range reward.Operations {
		if folded == string(op) {
			return op, nil
		}
	}
	names := make([]string, len(reward.Operations))
	for i, op := range reward.Operations {
		names[i] = string(op)
	}
	list := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	return "", errf("use "+list+", or leave it empty", "the operation %q is not known", clip(v))
}

var (
	idRE    = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	batchRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$`)
)

func checkReference(v string) *finding {
	if strings.ContainsAny(v, "eE") && mobileSci.MatchString(v) {
		return errf("format the reference column as Text and type or paste the references again from the source "+
			"(rewardbatch template writes a sheet whose reference column is Text already)",
			"the reference is in scientific notation (%s): Excel turned it into a number and the last digits are lost", clip(v))
	}
	ok := len(v) > 0 && len(v) <= MaxReferenceLen && isAlnum(v[0])
	for i := 1; ok && i < len(v); i++ {
		ok = isAlnum(v[i]) || v[i] == '-' || v[i] == '_'
	}
	if !ok {
		return errf(fmt.Sprintf("use letters, digits, - and _ only, starting with a letter or digit, at most %d characters", MaxReferenceLen),
			"the reference %q has characters or a length EnKash may not accept", clip(v))
	}
	return nil
}

func checkID(what, v string) *finding {
	if len(v) > 32 || !idRE.MatchString(v) {
		return errf("copy the id exactly as EnKash shows it (letters and digits only)", "the %s %q is not a valid EnKash id", what, clip(v))
	}
	return nil
}

// checkAmount parses loadAmount and applies the positivity and ceiling
// rules.
func checkAmount(v string, ceiling money.Amount) (money.Amount, *finding) {
	a, err := money.Parse(v)
	if err != nil && amountDate.MatchString(v) {
		return money.Amount{}, errf("format the amount column as Number (not Date) and enter the points again",
			"the amount is a date (%s): the cell is formatted as a date in the sheet, so the number in it is not the points meant", clip(v))
	}
	if err != nil {
		pe := err.(*money.ParseError)
		return money.Amount{}, errf(pe.Fix, "the amount %q %s", clip(v), pe.Problem)
	}
	if a.IsZero() {
		return money.Amount{}, errf("enter the points to move, or delete the row", "the amount is zero")
	}
	if a.Cmp(ceiling) > 0 {
		return money.Amount{}, errf("check for a typing mistake; if the amount is right, raise --max-amount",
			"the amount %s is above the per-row ceiling of %s", a, ceiling)
	}
	return a, nil
}
