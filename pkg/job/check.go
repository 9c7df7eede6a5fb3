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
	return check(ctx, o, "check")
}

// check is the dry run; verb names the command in the hint to fix and
// check again.
func check(ctx context.Context, o ValidateOptions, verb string) (CheckResult, error) {
	o.defaults()
	dir, source, _, err := prepare(ctx, &o, o.Now(), false, true)
	if err != nil {
		return CheckResult{Code: inputCode(err)}, err
	}
	c, err := checkFile(ctx, o.File, source, dir, o.Validate, o.Style)
	if err != nil {
		return CheckResult{Code: exitcode.FromError(err), Dir: dir}, err
	}
	code, _, err := concludeCheck(o, c, dir, verb)
	return CheckResult{Code: code, Dir: dir, Plan: c.plan}, err
}
