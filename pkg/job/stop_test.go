package job

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
)

func TestStopReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		code int
		err  error
		want string
	}{
		{"done", exitcode.OK, nil, ""},
		{"marked", exitcode.Fatal, WithReason(ReasonLedger, errors.New("x")), ReasonLedger},
		{"invalid input", exitcode.InvalidInput, errors.New("x"), ReasonInputInvalid},
		{"interrupted", exitcode.Incomplete, fmt.Errorf("x: %w", context.Canceled), ReasonInterrupted},
		{"config", exitcode.Fatal, fmt.Errorf("%w: ENKASH_PASSWORD missing", enkash.ErrConfig), ReasonConfigMissing},
		{"locked", exitcode.Fatal, fmt.Errorf("%w: pid 1", ledger.ErrLocked), ReasonLedgerLocked},
		{"login refused", exitcode.Fatal, fmt.Errorf("x: %w", &enkash.LoginError{Rejected: true, HTTPStatus: 401}), ReasonLoginRefused},
		{"login 500", exitcode.Fatal, &enkash.LoginError{HTTPStatus: 500}, ReasonLoginFailed},
		{"login unreachable", exitcode.Fatal, &enkash.LoginError{Err: errors.New("connection refused")}, ReasonAPIUnreachable},
		{"network", exitcode.Fatal, fmt.Errorf("x: %w", &net.OpError{Op: "dial", Err: errors.New("refused")}), ReasonAPIUnreachable},
		{"balance", exitcode.Fatal, fmt.Errorf("%w: short", ErrBalanceShort), ReasonBalanceShort},
		{"rows failed", exitcode.RowsFailed, nil, ReasonRowsFailed},
		{"unknown outcomes", exitcode.Incomplete, nil, ReasonUnknownOutcomes},
		{"other", exitcode.Fatal, errors.New("disk full"), ReasonFatal},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, StopReason(tt.code, tt.err), tt.name)
	}
}
