package reward

import (
	"fmt"
	"strconv"
	"strings"
)

// Severity ranks an [Issue].
type Severity string

// The severities. Only errors make a row invalid.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevNote    Severity = "note"
)

// Issue is one finding about one cell or row, with its position and fix.
type Issue struct {
	Line   int
	Column string // the header cell as the file has it; "" for the whole row
	Letter string // the spreadsheet column letter; "" for the whole row
	// Sheet is the workbook sheet the row is on; "" for a CSV file. A
	// position is then Sheet!C12 rather than line and column.
	Sheet    string
	Value    string
	Severity Severity
	Problem  string
	Fix      string
}

// String renders the issue for a terminal: line, column, problem, fix.
func (i Issue) String() string {
	where := fmt.Sprintf("line %d", i.Line)
	switch {
	case i.Sheet != "" && i.Letter != "":
		where = fmt.Sprintf("%s (%s)", CellRef(i.Sheet, i.Letter, i.Line), i.Column)
	case i.Sheet != "":
		where = RowRef(i.Sheet, i.Line)
	case i.Column != "":
		where += fmt.Sprintf(", column %s (%s)", i.Letter, i.Column)
	}
	s := fmt.Sprintf("%s: %s", where, i.Problem)
	if i.Fix != "" {
		s += ". Fix: " + i.Fix
	}
	return s
}

// CellRef names a cell of a workbook as Excel does: Rewards!C12, or
// 'Nov 2026'!C12 for a sheet name that needs quotes.
func CellRef(sheet, letter string, row int) string {
	return quoteSheet(sheet) + "!" + letter + strconv.Itoa(row)
}

// RowRef names a row of a workbook: sheet Rewards, row 12.
func RowRef(sheet string, row int) string {
	return fmt.Sprintf("sheet %s, row %d", quoteSheet(sheet), row)
}

// quoteSheet quotes a sheet name as Excel's formulas do when it has more
// than letters, digits and underscores.
func quoteSheet(name string) string {
	plain := name != "" && !('0' <= name[0] && name[0] <= '9')
	for _, r := range name {
		if r != '_' && r != '.' && !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return name
	}
	return "'" + strings.ReplaceAll(name, "'", "''") + "'"
}
