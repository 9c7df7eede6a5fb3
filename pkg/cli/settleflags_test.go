package cli

import (
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
)

func TestSettleFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    engine.Config
		wantErr string
	}{
		{"defaults", nil, nil, engine.Config{ResendAfter: engine.DefaultResendAfter, MaxPause: engine.DefaultMaxPause}, ""},
		{"no pause limit", []string{"--max-pause", "0"}, nil, engine.Config{ResendAfter: engine.DefaultResendAfter, MaxPause: -1}, ""},
		{"EnKash deduplicates", []string{"--resend-after", "1h"}, map[string]string{EnvDeduplicates: "true"},
			engine.Config{ResendAfter: time.Hour, MaxPause: engine.DefaultMaxPause, Deduplicates: true}, ""},
		{"a resend rule of 0 is refused", []string{"--resend-after", "0"}, nil, engine.Config{}, "--resend-after must be positive"},
		{"a misspelt setting is refused", nil, map[string]string{EnvDeduplicates: "yes please"}, engine.Config{}, "give true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var f settleFlags
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			f.AddFlags(fs)
			require.NoError(t, fs.Parse(tt.args))
			var cfg engine.Config
			err := f.apply(&cfg, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestRunFlagsSayHowToDisable(t *testing.T) {
	t.Parallel()
	// 0 on the command line switches a mechanism off; the engine's own 0
	// means its default, so the flag's 0 becomes the engine's negative.
	assert.Equal(t, -1.0, disabledIfZero(0.0))
	assert.Equal(t, 0.3, disabledIfZero(0.3))
	assert.Equal(t, time.Duration(-1), disabledIfZero(time.Duration(0)))
	cmd := newRunCmd(&globals{})
	for _, name := range []string{"max-failure-ratio", "lookup-grace", "settle-window", "max-pause"} {
		assert.Contains(t, cmd.Flags().Lookup(name).Usage, "0:", name)
	}
	assert.Contains(t, cmd.Flags().Lookup("no-remote-check").Usage, "WARNING")
}
