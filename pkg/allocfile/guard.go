package allocfile

// The formula guard. A spreadsheet runs a cell that starts with =, +, - or
// @ (or a tab or CR before one) as a formula, so the reports this tool
// writes put an apostrophe before such a cell. To make the guard exactly
// reversible, a cell that itself starts with an apostrophe gets one more.
// A file fed back (one that carries the report columns of an earlier run)
// has the guard taken off again; any other file is read as written, so
// that what the user wrote is what is sent, first run or fed back.

// guarded reports whether a cell needs the guard.
func guarded(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\'':
		return true
	}
	return false
}

// Guard returns the cell as reports write it: with a leading apostrophe
// when a spreadsheet could run it as a formula, or when it starts with an
// apostrophe itself.
func Guard(s string) string {
	if guarded(s) {
		return "'" + s
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
