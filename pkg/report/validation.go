package report

import (
	"path/filepath"
	"strconv"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
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
	addRef            bool
	row               []string
}

// CreateValidation starts both files in dir for an input with header hdr,
// written in style.
// When the input has no reference column, invalid.csv gets one with the
// reference derived from --batch-id, so that a corrected row fed back keeps
// the reference it was given, whatever rows around it are gone.
func CreateValidation(dir string, hdr *allocfile.Header, style Style) (*Validation, error) {
	findings, err := CreateCSV(filepath.Join(dir, ValidationFile), ValidationHeader, style)
	if err != nil {
		return nil, err
	}
	in, addRef := inputColumns(hdr)
	invalid, err := CreateCSV(filepath.Join(dir, InvalidFile), append(in, "error"), style)
	if err != nil {
		findings.Abort()
		return nil, err
	}
	return &Validation{findings: findings, invalid: invalid, addRef: addRef}, nil
}

// Add records an item's findings, and the row itself when it is invalid.
func (v *Validation) Add(it *reward.Item) error {
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
	v.row = append(v.row[:0], it.Values...)
	if v.addRef {
		v.row = append(v.row, it.Allocation.Reference)
	}
	return v.invalid.Write(append(v.row, it.ErrorText()))
}

// Commit puts both files in place.
func (v *Validation) Commit() error { return commitPair(v.findings, v.invalid) }

// Abort drops both files.
func (v *Validation) Abort() {
	v.findings.Abort()
	v.invalid.Abort()
}
