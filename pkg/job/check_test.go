package job_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// TestCheckReturnsThePlan: Check is the dry run with the plan handed back,
// for the web console; it writes the same files as Validate.
func TestCheckReturnsThePlan(t *testing.T) {
	cases := []struct {
		name     string
		file     string
		code     int
		rows     int
		invalid  bool
		noPlan   bool
		hasFiles bool
	}{
		{"valid", "../../samples/allocations-2026-11.csv", exitcode.OK, 200, false, false, true},
		{"invalid rows", "../../samples/allocations-broken.csv", exitcode.InvalidInput, 17, true, false, true},
		{"no such file", "missing.csv", exitcode.Fatal, 0, false, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "check")
			res, err := job.Check(context.Background(), job.ValidateOptions{File: c.file, Out: dir, ExpectRows: -1,
				Validate: validate.Options{MaxAmount: validate.DefaultMaxAmount}})
			assert.Equal(t, c.code, res.Code)
			assert.Equal(t, c.code != exitcode.OK, err != nil, "%v", err)
			if c.noPlan {
				assert.Nil(t, res.Plan)
				return
			}
			require.NotNil(t, res.Plan)
			assert.Equal(t, c.rows, res.Plan.RowsRead)
			assert.Equal(t, c.invalid, res.Plan.Invalid > 0)
			assert.Len(t, res.Plan.Hash, 64)
			_, serr := os.Stat(filepath.Join(dir, report.ValidationFile))
			assert.Equal(t, c.hasFiles, serr == nil)
		})
	}
}
