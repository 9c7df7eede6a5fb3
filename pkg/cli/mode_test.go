package cli

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

func TestModeFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
		bulk   bool // the sandbox saw bulk calls
	}{
		{"single is the default", nil, exitcode.OK, "", false},
		{"bulk", []string{"--mode", "bulk", "--bulk-size", "40"}, exitcode.OK, "", true},
		{"unknown mode", []string{"--mode", "batch"}, exitcode.Fatal, "want single or bulk", false},
		{"bulk size 0", []string{"--mode", "bulk", "--bulk-size", "0"}, exitcode.Fatal, "--bulk-size 0: want 1 to 1000", false},
		{"bulk size too large", []string{"--mode", "bulk", "--bulk-size", "1001"}, exitcode.Fatal, "--bulk-size 1001: want 1 to 1000", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards()})
			args := append([]string{"run", "--out", filepath.Join(t.TempDir(), "run"), "--log-level", "error", "--rate", "1000"}, tt.args...)
			code, stdout, stderr := execute(t, envFor(env), append(args, sample)...)
			require.Equal(t, tt.code, code, stderr)
			assert.Contains(t, stderr, tt.stderr)
			assert.Equal(t, tt.bulk, env.Stats().Count("requests "+enkash.PathBulkAllocate) > 0)
			if code == exitcode.OK {
				assert.Contains(t, stdout, "MATCHED 200")
			}
		})
	}
}
