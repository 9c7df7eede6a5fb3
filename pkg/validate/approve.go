package validate

import (
	"fmt"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
)

// MinPlanPrefix is the fewest hex digits of a plan hash that --expect-plan
// accepts: 12 digits (48 bits) leave no practical chance that another
// file's plan starts the same way.
const MinPlanPrefix = 12

// ParsePlanHash reads an approved plan hash: the whole hash or a prefix of
// at least [MinPlanPrefix] hex digits, as `validate` prints it (16).
func ParsePlanHash(s string) (string, error) {
	h := strings.ToLower(strings.TrimSpace(s))
	if len(h) < MinPlanPrefix || len(h) > 64 || strings.Trim(h, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%w: --expect-plan %q: give the plan hash that validate printed (at least %d of its hex digits)",
			ErrOptions, s, MinPlanPrefix)
	}
	return h, nil
}

// PlanMismatchError is a file whose plan is not the approved one. It
// refuses the file (errors.Is(err, allocfile.ErrInput)), even with
// --skip-invalid.
type PlanMismatchError struct {
	File, Expected, Got string
}

// Error says which plans differ and what to do.
func (e *PlanMismatchError) Error() string {
	return fmt.Sprintf("%s: the plan hash is %s but %s was approved (--expect-plan): this file, or the settings that change "+
		"what is sent (--batch-id, --max-amount), are not the ones approved. Fix: run the approved file with its settings, "+
		"or validate this one and have its plan approved", e.File, e.Got, e.Expected)
}

// Is makes errors.Is(err, allocfile.ErrInput) true.
func (e *PlanMismatchError) Is(target error) bool { return target == allocfile.ErrInput }

// CheckApproved compares the plan with an approved hash from
// [ParsePlanHash]; "" checks nothing.
func (p *Plan) CheckApproved(approved string) error {
	if approved == "" || strings.HasPrefix(p.Hash, approved) {
		return nil
	}
	got := p.Hash
	if len(got) > len(approved) {
		got = got[:max(len(approved), 16)]
	}
	return &PlanMismatchError{File: p.File, Expected: approved, Got: got}
}
