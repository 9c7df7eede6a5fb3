package job

import (
	"context"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// CheckResult is a dry run's outcome for a caller that shows the plan
// itself (the web console): the exit code, the folder holding
// validation.csv and invalid.csv, and the plan (nil when the file could not
// be read at all).
type CheckResult struct {
	Code int
	Dir  string
	Plan *validate.Plan
}

// Check is [Validate] that also returns the plan. It sends nothing.
func Check(ctx context.Context, o ValidateOptions) (CheckResult, error) {
	o.defaults()
	dir, err := runFolder(o.Out, o.ReportsDir, o.File, o.Now(), false)
	if err != nil {
		return CheckResult{Code: exitcode.Fatal}, err
	}
	c, err := checkFile(ctx, o.File, o.File, dir, o.Validate)
	if err != nil {
		return CheckResult{Code: exitcode.FromError(err), Dir: dir}, err
	}
	code, _, err := concludeCheck(o, c, dir, "check")
	return CheckResult{Code: code, Dir: dir, Plan: c.plan}, err
}
