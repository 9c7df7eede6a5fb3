package job

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
)

// The stop reasons: stable codes, in summary.json's stopReason, the
// ledger's history, the last log line and notifications, for why a run did
// not end with every row done. They never change meaning; new ones may be
// added.
const (
	ReasonConfigMissing    = "CONFIG_MISSING"    // a setting is missing or wrong
	ReasonLoginRefused     = "LOGIN_REFUSED"     // EnKash refused the credentials
	ReasonLoginFailed      = "LOGIN_FAILED"      // the login failed for another reason (HTTP 5xx...)
	ReasonAPIUnreachable   = "API_UNREACHABLE"   // EnKash could not be reached
	ReasonBalanceShort     = "BALANCE_SHORT"     // the reward account cannot fund the credits
	ReasonBalanceCheck     = "BALANCE_CHECK"     // the balance could not be read
	ReasonLedgerLocked     = "LEDGER_LOCKED"     // another run holds the ledger
	ReasonLedger           = "LEDGER_ERROR"      // the ledger could not be opened, read or written
	ReasonInputInvalid     = "INPUT_INVALID"     // the file or its rows were refused; nothing was sent
	ReasonInterrupted      = "INTERRUPTED"       // a signal stopped the run; a rerun resumes
	ReasonFailureThreshold = "FAILURE_THRESHOLD" // too many requests failed: sending stopped
	ReasonRowsFailed       = "ROWS_FAILED"       // finished, with FAILED, MISMATCH or INVALID rows
	ReasonUnknownOutcomes  = "OUTCOMES_UNKNOWN"  // finished, with UNKNOWN or NOT_SENT rows
	ReasonApprovalRefused  = "APPROVAL_REFUSED"  // the file's plan hash is not the approved one
	ReasonFatal            = "FATAL"             // any other fatal error (report I/O...)
)

// ErrBalanceShort is wrapped by the refusal of a run that the reward
// account cannot fund.
var ErrBalanceShort = errors.New("balance short")

// stopReasonError gives an error its stop reason.
type stopReasonError struct {
	reason string
	err    error
}

func (e *stopReasonError) Error() string { return e.err.Error() }
func (e *stopReasonError) Unwrap() error { return e.err }

// WithReason marks err with a stop reason that [StopReason] returns.
func WithReason(reason string, err error) error {
	if err == nil {
		return nil
	}
	return &stopReasonError{reason: reason, err: err}
}

// StopReason returns the stop reason of a run that ended with code and
// err: "" for code 0.
func StopReason(code int, err error) string {
	if code == exitcode.OK {
		return ""
	}
	var sr *stopReasonError
	var le *enkash.LoginError
	var ne net.Error
	switch {
	case errors.As(err, &sr):
		return sr.reason
	case code == exitcode.InvalidInput:
		return ReasonInputInvalid
	case errors.Is(err, context.Canceled):
		return ReasonInterrupted
	case errors.Is(err, enkash.ErrConfig):
		return ReasonConfigMissing
	case errors.Is(err, ledger.ErrLocked):
		return ReasonLedgerLocked
	case errors.As(err, &le) && le.Rejected:
		return ReasonLoginRefused
	case errors.As(err, &le) && le.HTTPStatus != 0:
		return ReasonLoginFailed
	case errors.As(err, &le), errors.As(err, &ne), errors.Is(err, net.ErrClosed):
		return ReasonAPIUnreachable
	case errors.Is(err, ErrBalanceShort):
		return ReasonBalanceShort
	}
	switch code {
	case exitcode.RowsFailed:
		return ReasonRowsFailed
	case exitcode.Incomplete:
		return ReasonUnknownOutcomes
	}
	return ReasonFatal
}

// engineReason is the stop reason of a run that the engine stopped early
// (rep.Stopped), or "" to decide by the exit code. The engine says why in
// words; sig tells an interruption apart.
func engineReason(sig context.Context, rep engine.Report) string {
	switch {
	case rep.Fatal != nil:
		return ReasonLedger
	case rep.Stopped == "":
		return ""
	case sig.Err() != nil:
		return ReasonInterrupted
	case strings.Contains(rep.Stopped, "login was refused"):
		return ReasonLoginRefused
	case strings.Contains(rep.Stopped, "requests failed"):
		return ReasonFailureThreshold
	}
	return ""
}
