package validate

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
)

func TestExpectPlan(t *testing.T) {
	t.Parallel()
	p := &Plan{File: "f.csv", Hash: "64a0258d1e5f781d0123456789abcdef64a0258d1e5f781d0123456789abcdef"}
	for _, tc := range []struct {
		in, err string
		ok      bool
	}{
		{in: "64a0258d1e5f", ok: true},
		{in: " 64A0258D1E5F781D ", ok: true},
		{in: p.Hash, ok: true},
		{in: "64a0258d1e5e", ok: false},
		{in: "64a0258d1e5", err: "at least 12"},
		{in: "64a0258d1e5g", err: "at least 12"},
		{in: "", err: "at least 12"},
	} {
		h, err := ParsePlanHash(tc.in)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.in)
			assert.ErrorIs(t, err, ErrOptions)
			continue
		}
		require.NoError(t, err, tc.in)
		err = p.CheckApproved(h)
		if tc.ok {
			assert.NoError(t, err, tc.in)
			continue
		}
		var pm *PlanMismatchError
		require.True(t, errors.As(err, &pm), tc.in)
		assert.ErrorIs(t, err, allocfile.ErrInput)
		assert.Equal(t, "64a0258d1e5f781d", pm.Got)
	}
	assert.NoError(t, p.CheckApproved(""))
}
