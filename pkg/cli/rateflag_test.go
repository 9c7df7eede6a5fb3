package cli

import (
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
)

func TestRateFlag(t *testing.T) {
	for _, tc := range []struct {
		arg      string
		adaptive bool
		rate     float64
		shown    string
		bad      bool
	}{
		{arg: "", adaptive: true, rate: engine.DefaultRate, shown: "auto"},
		{arg: "auto", adaptive: true, rate: engine.DefaultRate, shown: "auto"},
		{arg: " AUTO ", adaptive: true, rate: engine.DefaultRate, shown: "auto"},
		{arg: "25", rate: 25, shown: "25"},
		{arg: "0.5", rate: 0.5, shown: "0.5"},
		{arg: "0", bad: true},
		{arg: "-3", bad: true},
		{arg: "NaN", bad: true},
		{arg: "fast", bad: true},
	} {
		t.Run(tc.arg, func(t *testing.T) {
			var cfg engine.Config
			fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
			addRateFlags(fs, &cfg, defaultRate, "requests")
			args := []string{"--rate", tc.arg}
			if tc.arg == "" {
				args = nil // the default
			}
			err := fs.Parse(args)
			if tc.bad {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "want auto or a number")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.adaptive, cfg.Adaptive)
			assert.InDelta(t, tc.rate, cfg.Rate, 1e-9)
			assert.Equal(t, engine.DefaultMaxRate, cfg.MaxRate)
			assert.Equal(t, tc.shown, fs.Lookup("rate").Value.String(), "what config show prints")
		})
	}
}

// TestMaxRateRefused: every command that paces requests refuses a
// --max-rate of 0 or less before doing anything.
func TestMaxRateRefused(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--sandbox", "--max-rate", "0", "x.csv"},
		{"reconcile", "--max-rate", "-1", "run-x"},
		{"serve", "--sandbox", "--max-rate", "0"},
	} {
		t.Run(args[0], func(t *testing.T) {
			code, _, stderr := execute(t, nil, args...)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr, "--max-rate")
		})
	}
}
