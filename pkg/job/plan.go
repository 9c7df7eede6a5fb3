package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// PlanHash validates a file without writing anything and returns its plan
// hash: the one `rewardbatch validate` prints for it with the same options
// (an inbox approval holds it). It reads the file itself, so the file must
// be a regular one that nobody is writing.
func PlanHash(ctx context.Context, path string, opts validate.Options) (string, error) {
	var know *validate.Knowledge
	for {
		plan, again, k, err := planPass(ctx, path, opts, know)
		if err != nil || !again {
			if err != nil {
				return "", err
			}
			return plan.Hash, nil
		}
		know = k
	}
}

// planPass is one pass of PlanHash, as checkPass without the reports.
func planPass(ctx context.Context, path string, opts validate.Options, know *validate.Knowledge) (*validate.Plan, bool, *validate.Knowledge, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, nil, fmt.Errorf("opening the input: %w", err)
	}
	defer f.Close()
	s, err := validate.NewScanner(path, f, opts, know)
	if err != nil {
		return nil, false, nil, err
	}
	defer s.Close()
	for n := 0; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return nil, false, nil, ctx.Err()
		}
		if _, err := s.Next(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, false, nil, err
		}
	}
	if s.Validator().NeedsSecondPass() {
		return nil, true, s.Validator().Knowledge(), nil
	}
	return s.Plan(), false, nil, nil
}

// ValidateWithPlan is [Validate] that also returns the plan, for
// `validate --output json`.
func ValidateWithPlan(ctx context.Context, o ValidateOptions) (CheckResult, error) {
	return check(ctx, o, "validate")
}
