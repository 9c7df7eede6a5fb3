// Package money holds reward-point amounts as exact decimals.
//
// An [Amount] is a count of hundredths kept in an int64, together with the
// number of fraction digits the source text used, so that the API receives
// exactly the digits the allocation file gave ("100.50" stays "100.50") and
// totals are exact. No amount ever passes through a float.
package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxIntegerDigits bounds the integer part of an amount so that sums of a
// few million rows cannot overflow int64 hundredths.
const MaxIntegerDigits = 12

// Amount is an exact non-negative decimal with at most two fraction digits.
// The zero value is 0. Amount is a small value type, safe to copy.
type Amount struct {
	hundredths int64
	scale      int8 // fraction digits as written: 0, 1 or 2
}

// FromHundredths returns the amount of n hundredths, written with two
// fraction digits.
func FromHundredths(n int64) Amount { return Amount{hundredths: n, scale: 2} }

// Hundredths returns the amount as a whole number of hundredths.
func (a Amount) Hundredths() int64 { return a.hundredths }

// Scale returns how many fraction digits the amount is written with: 0, 1
// or 2.
func (a Amount) Scale() int { return int(a.scale) }

// IsZero reports whether the amount is zero.
func (a Amount) IsZero() bool { return a.hundredths == 0 }

// Cmp compares a and b and returns -1, 0 or +1.
func (a Amount) Cmp(b Amount) int {
	switch {
	case a.hundredths < b.hundredths:
		return -1
	case a.hundredths > b.hundredths:
		return 1
	}
	return 0
}

// Add returns a+b, written with two fraction digits when either side has
// fraction digits, else as a whole number.
func (a Amount) Add(b Amount) Amount {
	return Amount{hundredths: a.hundredths + b.hundredths, scale: max(a.scale, b.scale)}
}

// Sub returns a-b (which may be negative), with the scale rules of Add.
func (a Amount) Sub(b Amount) Amount {
	return Amount{hundredths: a.hundredths - b.hundredths, scale: max(a.scale, b.scale)}
}

// String returns the amount with the fraction digits it was written with.
func (a Amount) String() string {
	neg := a.hundredths < 0
	n := a.hundredths
	if neg {
		n = -n
	}
	whole, frac := n/100, n%100
	var s string
	switch a.scale {
	case 0:
		s = strconv.FormatInt(whole, 10)
		if frac != 0 { // cannot happen for parsed values; keep exact anyway
			s = fmt.Sprintf("%d.%02d", whole, frac)
		}
	case 1:
		if frac%10 != 0 {
			s = fmt.Sprintf("%d.%02d", whole, frac)
		} else {
			s = fmt.Sprintf("%d.%d", whole, frac/10)
		}
	default:
		s = fmt.Sprintf("%d.%02d", whole, frac)
	}
	if neg {
		return "-" + s
	}
	return s
}

// Fixed2 returns the amount with exactly two fraction digits, for totals.
func (a Amount) Fixed2() string { return Amount{hundredths: a.hundredths, scale: 2}.String() }

// MarshalJSON writes the amount as a JSON number with its own digits.
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalJSON reads a JSON number or numeric string with [ParseWire]:
// JSON is written by machines (EnKash's answers), never typed by people, so
// every JSON form of a number is read exactly. A JSON null leaves a alone.
func (a *Amount) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := ParseWire(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// ParseError says why a text is not an exact amount, and how to fix it.
// Problem and Fix are whole sentences meant for the person who prepared
// the file.
type ParseError struct {
	Input   string
	Kind    ErrorKind
	Problem string
	Fix     string
}

// ErrorKind classifies a [ParseError] so that callers can decide on it.
type ErrorKind int

// The kinds of amount problems.
const (
	KindEmpty ErrorKind = iota + 1
	KindNegative
	KindCurrencySign
	KindThousandsSeparator
	KindDecimalComma
	KindTooManyDecimals
	KindScientific
	KindLeadingZero
	KindTooLarge
	KindNotANumber
)

// Error quotes the input and the problem.
func (e *ParseError) Error() string {
	return fmt.Sprintf("amount %q: %s", e.Input, e.Problem)
}

// ErrInvalid matches every [ParseError] through errors.Is.
var ErrInvalid = errors.New("invalid amount")

// Is makes errors.Is(err, ErrInvalid) true for a ParseError.
func (e *ParseError) Is(target error) bool { return target == ErrInvalid }

var spaceSeparators = strings.NewReplacer(" ", "", "\u00a0", "", "'", "", "_", "")

var currencyMarks = []string{"₹", "rs.", "rs", "inr", "$", "€", "£"}

// Parse reads a non-negative decimal with at most two fraction digits, such
// as "100", "99.5" or "1250.75". It refuses, with a [*ParseError] that
// explains the problem and the fix, everything a spreadsheet may have done to
// a number: currency signs, thousands separators, decimal commas, scientific
// notation, and more than two decimals. Parse never rounds.
func Parse(s string) (Amount, error) {
	fail := func(kind ErrorKind, problem, fix string) (Amount, error) {
		return Amount{}, &ParseError{Input: s, Kind: kind, Problem: problem, Fix: fix}
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return fail(KindEmpty, "is empty", "enter the number of points, for example 500")
	}
	if plainDecimal(t) {
		return parsePlain(s, t)
	}
	lower := strings.ToLower(t)
	for _, c := range currencyMarks {
		if strings.HasPrefix(lower, c) || strings.HasSuffix(lower, c) {
			return fail(KindCurrencySign, "has a currency sign",
				"remove the currency sign and keep only the number (format the column as Number, not Currency)")
		}
	}
	if strings.HasPrefix(t, "-") || (strings.HasPrefix(t, "(") && strings.HasSuffix(t, ")")) {
		return fail(KindNegative, "is negative",
			"write a positive number of points; to take points back use operation debit")
	}
	if strings.HasPrefix(t, "+") {
		return fail(KindNotANumber, "starts with a plus sign", "remove the + sign")
	}
	if strings.ContainsAny(t, "eE") && looksScientific(t) {
		return fail(KindScientific, "is in scientific notation, which may have lost digits",
			"format the column as Number with 2 decimals and re-enter the amount")
	}
	if strings.Contains(t, ",") {
		return parseComma(s, t)
	}
	if strings.ContainsAny(t, " \u00a0'_") {
		if stripped := spaceSeparators.Replace(t); allDigits(strings.Replace(stripped, ".", "", 1)) {
			return fail(KindThousandsSeparator, "has a space or apostrophe used as a thousands separator",
				"remove the separator: write "+stripped)
		}
		return fail(KindNotANumber, "is not a number", "write the points as digits, for example 500 or 99.50")
	}
	return parsePlain(s, t)
}

// plainDecimal reports whether t has only digits and points, the shape of
// nearly every amount, so that Parse can skip the diagnosis of the others.
func plainDecimal(t string) bool {
	for i := 0; i < len(t); i++ {
		if (t[i] < '0' || t[i] > '9') && t[i] != '.' {
			return false
		}
	}
	return true
}

// parsePlain reads a text of digits and points.
func parsePlain(s, t string) (Amount, error) {
	fail := func(kind ErrorKind, problem, fix string) (Amount, error) {
		return Amount{}, &ParseError{Input: s, Kind: kind, Problem: problem, Fix: fix}
	}
	whole, frac, hasDot := strings.Cut(t, ".")
	if !allDigits(whole) || (hasDot && !allDigits(frac)) || strings.Count(t, ".") > 1 {
		return fail(KindNotANumber, "is not a number", "write the points as digits, for example 500 or 99.50")
	}
	if whole == "" {
		return fail(KindNotANumber, "has no digits before the decimal point", "write 0.5, not .5")
	}
	if hasDot && frac == "" {
		return fail(KindNotANumber, "ends with a decimal point", "remove the trailing point or add the decimals")
	}
	if len(whole) > 1 && whole[0] == '0' {
		return fail(KindLeadingZero, "has a leading zero", "remove the leading zeros")
	}
	if len(frac) > 2 {
		return fail(KindTooManyDecimals, "has more than 2 decimals",
			"round the amount to 2 decimals in the spreadsheet yourself; the tool never rounds money")
	}
	if len(whole) > MaxIntegerDigits {
		return fail(KindTooLarge, "is too large", "check the amount; it has more than 12 digits")
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	var f int64
	switch len(frac) {
	case 1:
		f = int64(frac[0]-'0') * 10
	case 2:
		f = int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	return Amount{hundredths: w*100 + f, scale: int8(len(frac))}, nil
}

// parseComma explains a comma in an amount: a thousands separator (Western
// 1,000,000 or Indian 10,00,000 grouping) or a decimal comma (10,50 or the
// European 1.000,50). Both are refused, because a guess could move the wrong
// amount.
func parseComma(s, t string) (Amount, error) {
	intPart, _, _ := strings.Cut(t, ".")
	if isGrouped(strings.Split(intPart, ",")) {
		return Amount{}, &ParseError{Input: s, Kind: KindThousandsSeparator,
			Problem: "has a thousands separator",
			Fix:     fmt.Sprintf("remove the commas: write %s", strings.ReplaceAll(t, ",", ""))}
	}
	whole, frac, _ := strings.Cut(t, ",")
	plain := strings.ReplaceAll(whole, ".", "")
	if plain != "" && allDigits(plain) && allDigits(frac) && len(frac) >= 1 && len(frac) <= 2 {
		return Amount{}, &ParseError{Input: s, Kind: KindDecimalComma,
			Problem: "uses a decimal comma",
			Fix: fmt.Sprintf("use a point for decimals and no separators: write %s.%s (check the spreadsheet's region settings)",
				plain, frac)}
	}
	return Amount{}, &ParseError{Input: s, Kind: KindNotANumber, Problem: "is not a number",
		Fix: "write the points as digits, for example 500 or 99.50"}
}

// isGrouped reports whether groups are digit groups of a Western (1,000,000)
// or Indian (10,00,000) thousands grouping.
func isGrouped(groups []string) bool {
	if len(groups) < 2 || len(groups[0]) > 3 {
		return false
	}
	for i, g := range groups {
		if g == "" || !allDigits(g) {
			return false
		}
		last := i == len(groups)-1
		if (last && len(g) != 3) || (!last && i > 0 && len(g) != 2 && len(g) != 3) {
			return false
		}
	}
	return true
}

func looksScientific(t string) bool {
	m, e, ok := strings.Cut(strings.ToLower(t), "e")
	if !ok || m == "" || e == "" {
		return false
	}
	m = strings.Replace(m, ",", ".", 1)
	e = strings.TrimLeft(e, "+-")
	return allDigits(strings.Replace(m, ".", "", 1)) && allDigits(e) && e != ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
