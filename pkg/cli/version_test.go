package cli

import (
	"bytes"
	"context"
	"testing"

	"github.com/rewardbatch/rewardbatch/pkg/buildinfo"
)

// TestVersionFlagAndCommand: `--version` and `version` print the same build
// information, from pkg/buildinfo.
func TestVersionFlagAndCommand(t *testing.T) {
	t.Parallel()
	noEnv := func(string) (string, bool) { return "", false }
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var stdout, stderr bytes.Buffer
		code := Execute(context.Background(), args, &stdout, &stderr, noEnv)
		if code != 0 || stdout.String() != buildinfo.Get().String() {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 0 and %q", args, code, stdout.String(), stderr.String(), buildinfo.Get().String())
		}
	}
}
