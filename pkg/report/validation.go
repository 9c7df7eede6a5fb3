package report

import (
	"path/filepath"
	"strconv"

	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// The names of the dry run's files in a run folder.
const (
	ValidationFile = "validation.csv"
	InvalidFile    = "invalid.csv"
)

// ValidationHeader is the header of validation.csv.
var ValidationHeader = []string{"line", "column", "value", "severity", "problem", "fix"}

// Validation writes validation.csv (one line per finding) and invalid.csv
// (the invalid rows in the input's own columns plus "error", ready to be
// fixed and fed back). It is not safe for concurrent use.
type Validation struct {
	findings, invalid *CSVFile
	row               []string
}

// CreateValidation starts both files in dir; inputHeader is the input's own
// header (allocfile.Header.OutNames).
func CreateValidation(dir string, inputHeader []string) (*Validation, error) {
	findings, err := CreateCSV(filepath.Join(dir, ValidationFile), ValidationHeader)
	if err != nil {
		return nil, err
	}
	invalid, err := CreateCSV(filepath.Join(dir, InvalidFile), append(append([]string(nil), inputHeader...), "error"))
	if err != nil {
		findings.Abort()
		return nil, err
	}
	return &Validation{findings: findings, invalid: invalid}, nil
}

// Add records an item's findings, and the row itself when it is invalid.
func (v *Validation) Add(it *validate.Item) error {
	for _, is := range it.Issues {
		col := ""
		if is.Column != "" || is.Letter != "" {
			col = is.Column + " (" + is.Letter + ")"
		}
		v.row = append(v.row[:0], strconv.Itoa(is.Line), col, is.Value, string(is.Severity), is.Problem, is.Fix)
		if err := v.findings.Write(v.row); err != nil {
			return err
		}
	}
	if it.Valid {
		return nil
	}
	v.row = append(append(v.row[:0], it.Row.Values...), it.ErrorText())
	return v.invalid.Write(v.row)
}

// Commit puts both files in place.
func (v *Validation) Commit() error { return commitPair(v.findings, v.invalid) }

// Abort drops both files.
func (v *Validation) Abort() {
	v.findings.Abort()
	v.invalid.Abort()
}
