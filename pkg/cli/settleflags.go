package cli

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
)

// EnvDeduplicates says EnKash refuses a repeated reference
// (ENKASH_DEDUPLICATES=true), which shortens the resend rule.
const EnvDeduplicates = "ENKASH_DEDUPLICATES"

// settleFlags are the settlement settings shared by run and reconcile.
type settleFlags struct {
	resendAfter time.Duration
	maxPause    time.Duration
}

func (f *settleFlags) AddFlags(fs *pflag.FlagSet) {
	fs.DurationVar(&f.resendAfter, "resend-after", engine.DefaultResendAfter,
		"a row whose answer was lost is sent again (same reference, by a later run) only when two lookups, the last this long after the last attempt, did not find it; "+
			EnvDeduplicates+"=true (EnKash refuses repeated references) lets one lookup do")
	fs.DurationVar(&f.maxPause, "max-pause", engine.DefaultMaxPause,
		"stop sending (exit 4, the rest NOT_SENT) when EnKash asks, through a 429's Retry-After, for a longer pause; 0: no limit")
}

// apply puts the flags and the environment into cfg.
func (f *settleFlags) apply(cfg *engine.Config, lookupEnv func(string) (string, bool)) error {
	if f.resendAfter <= 0 {
		return fmt.Errorf("--resend-after must be positive (the default is %v)", engine.DefaultResendAfter)
	}
	cfg.ResendAfter = f.resendAfter
	cfg.MaxPause = disabledIfZero(f.maxPause)
	if v, ok := lookupEnv(EnvDeduplicates); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s=%q: give true or false", EnvDeduplicates, v)
		}
		cfg.Deduplicates = b
	}
	return nil
}

// disabledIfZero turns a flag's 0 ("none") into the engine's negative
// value, since the engine's zero means its default.
func disabledIfZero[T int | float64 | time.Duration](v T) T {
	if v == 0 {
		return -1
	}
	return v
}
