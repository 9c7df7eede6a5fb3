package job

import (
	"context"

	"go.uber.org/zap"
)

// balanceAfter reads the reward account's available points once the
// rows are sent and their results written, for the summary, through the
// client the run sent with. It is "" when it cannot be read, which is
// logged and never fails the run: everything is sent and written by then.
func balanceAfter(ctx context.Context, o RunOptions, api Client) string {
	acc, err := api.Account(ctx)
	if err == nil {
		bal, berr := acc.Balance()
		if berr == nil {
			return bal.Fixed2()
		}
		err = berr
	}
	o.Log.Warn("the reward account balance after the run could not be read; summary.html says so", zap.Error(err))
	return ""
}
