package allocfile

import (
	"errors"
	"fmt"
)

// ErrInput is wrapped by every problem with an input file, so that callers
// can map it to the "invalid input" exit code with errors.Is.
var ErrInput = errors.New("invalid input file")

// FileError is a problem that stops the whole file from being read: an
// encoding that is not UTF-8, a missing or doubled column, an unterminated
// quote. It names the file, the line, the column when there is one, and the
// fix.
type FileError struct {
	File   string
	Line   int    // 0 when the problem is not on one line
	Column string // "column E (mobile)", or ""
	// Sheet is the workbook sheet File names ("book.xlsx, sheet Rewards"),
	// "" for a CSV file: Line is then a row of that sheet.
	Sheet   string
	Problem string
	Fix     string
}

// Error says where, what and the fix, in one line.
func (e *FileError) Error() string {
	where := e.File
	switch {
	case e.Line > 0 && e.Sheet != "":
		where += fmt.Sprintf(", row %d", e.Line)
	case e.Line > 0:
		where += fmt.Sprintf(" line %d", e.Line)
	}
	if e.Column != "" {
		where += ", " + e.Column
	}
	return fmt.Sprintf("%s: %s. Fix: %s", where, e.Problem, e.Fix)
}

// Is makes errors.Is(err, ErrInput) true.
func (e *FileError) Is(target error) bool { return target == ErrInput }
