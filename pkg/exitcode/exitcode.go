// Package exitcode is the exit-code contract of rewardbatch, in one place:
//
//	0  every row MATCHED (or SKIPPED: an earlier run already did it)
//	1  fatal: configuration, login, ledger or report I/O; nothing more was sent
//	2  invalid input: the file or its rows were refused; nothing was sent
//	3  finished, but some rows are FAILED, MISMATCH or INVALID
//	4  incomplete: interrupted, stopped, or outcomes UNKNOWN; a rerun resumes
package exitcode

import (
	"errors"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// The codes.
const (
	OK           = 0
	Fatal        = 1
	InvalidInput = 2
	RowsFailed   = 3
	Incomplete   = 4
)

// Meaning says what a code means, for summaries.
func Meaning(code int) string {
	switch code {
	case OK:
		return "every row done"
	case Fatal:
		return "fatal error"
	case InvalidInput:
		return "invalid input; nothing was sent"
	case RowsFailed:
		return "finished with failed rows"
	case Incomplete:
		return "incomplete; a rerun resumes"
	}
	return "unknown"
}

// ErrInvalidInput marks errors that refuse the input (control totals,
// invalid rows without --skip-invalid).
var ErrInvalidInput = errors.New("invalid input")

// FromError maps an error that ended a command before or instead of a
// run: input problems are 2, everything else is fatal.
func FromError(err error) int {
	switch {
	case err == nil:
		return OK
	case errors.Is(err, allocfile.ErrInput), errors.Is(err, ErrInvalidInput), errors.As(err, new(*validate.ControlError)):
		return InvalidInput
	}
	return Fatal
}

// FromStatuses maps the statuses of a finished run. stopped says whether
// dispatching stopped early.
func FromStatuses(counts map[reward.Status]int, stopped bool) int {
	switch {
	case stopped || counts[reward.StatusNotSent] > 0 || counts[reward.StatusUnknown] > 0:
		return Incomplete
	case counts[reward.StatusFailed] > 0 || counts[reward.StatusMismatch] > 0 || counts[reward.StatusInvalid] > 0:
		return RowsFailed
	}
	return OK
}
