package allocfile

// The guard. A spreadsheet runs a cell that starts with =, +, - or @ (or a
// tab or CR before one) as a formula, and Excel turns a cell it takes for a
// number or a date into one: 000123 loses its zeros, 919876543210 becomes
// 9.19877E+11, 2026-11-01 and 1-2 become dates. The reports this tool
// writes put an apostrophe before such a cell: Excel then keeps it as the
// text it is (showing the apostrophe), and no formula is involved. To make
// the guard exactly reversible, a cell that itself starts with an
// apostrophe gets one more. A file fed back (one that carries the report
// columns of an earlier run) has the guard taken off again; any other file
// is read as written, so that what the user wrote is what is sent, first
// run or fed back.

// guarded reports whether a cell needs the guard.
func guarded(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\'':
		return true
	}
	return excelMangles(s)
}

// excelMangles reports whether Excel, opening a CSV file, would change the
// cell: a run of digits with a leading zero or long enough to lose digits
// or be shown in scientific notation (mobiles, references, card ids), a
// number in scientific notation, or a cell it reads as a date.
func excelMangles(s string) bool {
	digits := leadingDigits(s)
	switch {
	case digits == len(s):
		return (s[0] == '0' && len(s) > 1) || len(s) >= 10
	case digits > 0 && (s[digits] == 'e' || s[digits] == 'E'):
		return true
	}
	return dateLike(s)
}

// dateLike reports whether s is two or three runs of digits joined by -
// or /, as 1-2, 01/11/2026 or 2026-11-01: Excel reads them as dates.
func dateLike(s string) bool {
	groups := 0
	for len(s) > 0 {
		n := leadingDigits(s)
		if n == 0 || n > 4 {
			return false
		}
		groups++
		s = s[n:]
		if len(s) == 0 {
			break
		}
		if s[0] != '-' && s[0] != '/' {
			return false
		}
		s = s[1:]
		if len(s) == 0 {
			return false
		}
	}
	return groups == 2 || groups == 3
}

// leadingDigits returns how many ASCII digits s starts with.
func leadingDigits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// Guard returns the cell as reports write it: with a leading apostrophe
// when a spreadsheet could run it as a formula or change it into a number
// or a date, or when it starts with an apostrophe itself.
func Guard(s string) string {
	if guarded(s) {
		return "'" + s
	}
	return s
}

// UnguardDigits takes off only the apostrophe before digits that Excel
// would change (000123, 9876543210, 2026-11-01): the guard of a report's
// carried columns when only they are fed back (the ledger rebuilds from
// results.csv that way), or Excel's own text marker. Such a value is never
// meant with its apostrophe: the validator refuses an apostrophe in a
// reference or a mobile, so no row was ever sent with one.
func UnguardDigits(s string) string {
	if len(s) > 1 && s[0] == '\'' && s[1] >= '0' && s[1] <= '9' && excelMangles(s[1:]) {
		return s[1:]
	}
	return s
}

// Unguard reverses [Guard]: Unguard(Guard(s)) == s for every s. A cell
// that Guard would not have written (an apostrophe before a plain letter,
// as a spreadsheet may keep) is left as it is.
func Unguard(s string) string {
	if len(s) > 1 && s[0] == '\'' && guarded(s[1:]) {
		return s[1:]
	}
	return s
}
