package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
)

func TestSandboxHelpListsEveryBehaviour(t *testing.T) {
	t.Parallel()
	code, stdout, _ := execute(t, nil, "sandbox", "--help")
	assert.Equal(t, exitcode.OK, code)
	for _, flag := range []string{"--lookup-lag", "--lookup-needs-card", "--no-card-answer", "--fail-mode", "--slow-apply",
		"--slow-for", "--duplicates", "--duplicate-answer", "--duplicate-message", "--pending-for", "--pending-status",
		"--pending-fail", "--page-size", "--page-style", "--token-fail-after", "--token-fail-count", "--token-fail-mode",
		"--throttle", "--throttle-endpoints", "--retry-after", "--retry-after-style", "--number-style"} {
		assert.Contains(t, stdout, flag+" ", "sandbox --help")
	}
}

func TestSandboxRefusesUnknownValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--no-card-answer", "nothing"}, "--no-card-answer"},
		{[]string{"--duplicate-answer", "409"}, "--duplicate-answer"},
		{[]string{"--pending-status", "DONE"}, "--pending-status"},
		{[]string{"--number-style", "float"}, "--number-style"},
		{[]string{"--page-style", "offset"}, "--page-style"},
		{[]string{"--token-fail-mode", "502"}, "--token-fail-mode"},
		{[]string{"--retry-after-style", "ms"}, "--retry-after-style"},
		{[]string{"--throttle-endpoints", "token,oauth"}, "--throttle-endpoints"},
		{[]string{"--fail-mode", "500"}, "fail mode"},
		{[]string{"--pending-fail", "1.5"}, "--pending-fail"},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			t.Parallel()
			args := append([]string{"sandbox", "--addr", "127.0.0.1:0"}, tt.args...)
			code, _, stderr := execute(t, nil, args...)
			assert.Equal(t, exitcode.Fatal, code)
			assert.Contains(t, stderr, tt.want)
		})
	}
}
