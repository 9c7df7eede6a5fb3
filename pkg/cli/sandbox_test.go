package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

func TestSandboxHelpListsEveryBehaviour(t *testing.T) {
	t.Parallel()
	code, stdout, _ := execute(t, nil, "sandbox", "--help")
	assert.Equal(t, exitcode.OK, code)
	for _, flag := range []string{"--lookup-lag", "--lookup-needs-card", "--no-card-answer", "--fail-mode", "--slow-apply",
		"--slow-for", "--duplicates", "--duplicate-answer", "--duplicate-message", "--pending-for", "--pending-status",
		"--pending-fail", "--page-size", "--page-style", "--token-fail-after", "--token-fail-count", "--token-fail-mode",
		"--throttle", "--throttle-endpoints", "--retry-after", "--retry-after-style", "--number-style",
		"--server-rate", "--server-burst", "--load-latency", "--bulk-answer", "--bulk-echo-ref", "--bulk-fail",
		"--bulk-refuse", "--bulk-max", "--bulk-bad-ref", "--bulk-partial-400", "--bulk-partial-400-html", "--list-drift"} {
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
		{[]string{"--server-rate", "-1"}, "--server-rate"},
		{[]string{"--server-rate", "10", "--server-burst", "-1"}, "--server-burst"},
		{[]string{"--load-latency", "50ms"}, "needs --server-rate"},
		{[]string{"--bulk-answer", "lists"}, "--bulk-answer"},
		{[]string{"--bulk-fail", "1.5"}, "--bulk-fail"},
		{[]string{"--bulk-refuse", "Service unavailable"}, "--bulk-refuse"},
		{[]string{"--bulk-max", "-1"}, "--bulk-max"},
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

func TestSandboxLimitAndBulkFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want func(*sandbox.Options)
	}{
		{nil, func(*sandbox.Options) {}},
		{[]string{"--server-rate", "200", "--load-latency", "40ms"}, func(o *sandbox.Options) {
			o.ServerRate, o.ServerBurst, o.LoadLatency = 200, 20, 40*time.Millisecond
		}},
		{[]string{"--server-rate", "50", "--server-burst", "9"}, func(o *sandbox.Options) { o.ServerRate, o.ServerBurst = 50, 9 }},
		{[]string{"--bulk-answer", "counts", "--bulk-echo-ref=false", "--bulk-max", "500"}, func(o *sandbox.Options) {
			o.BulkAnswer, o.NoBulkEchoRef, o.BulkMax = sandbox.BulkAnswerCounts, true, 500
		}},
		{[]string{"--bulk-answer", "success", "--bulk-fail", "0.02", "--bulk-refuse", "kyc"}, func(o *sandbox.Options) {
			o.BulkAnswer, o.Faults.BulkFail = sandbox.BulkAnswerSuccess, 0.02
			o.Faults.BulkRefuse = "KYC is not uploaded or under review for the primary card. So bulk upload cannot be done"
		}},
		{[]string{"--bulk-bad-ref", "R7", "--bulk-partial-400", "R9", "--bulk-partial-400-html"}, func(o *sandbox.Options) {
			o.Faults.BulkBadRef, o.Faults.BulkPartial400, o.Faults.BulkPartial400HTML = "R7", "R9", true
		}},
		{[]string{"--list-drift", "--page-size", "10"}, func(o *sandbox.Options) { o.ListDrift, o.PageSize = true, 10 }},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			o := &sandboxOptions{}
			cmd := &cobra.Command{}
			o.AddFlags(cmd)
			require.NoError(t, cmd.ParseFlags(tt.args))
			require.NoError(t, o.complete())
			got := sandbox.New(o.opts).Options()
			want := sandbox.Options{BulkAnswer: sandbox.BulkAnswerBoth}
			tt.want(&want)
			assert.Equal(t, want.ServerRate, got.ServerRate)
			assert.Equal(t, want.ServerBurst, got.ServerBurst)
			assert.Equal(t, want.LoadLatency, got.LoadLatency)
			assert.Equal(t, want.BulkAnswer, got.BulkAnswer)
			assert.Equal(t, want.NoBulkEchoRef, got.NoBulkEchoRef)
			assert.Equal(t, want.BulkMax, got.BulkMax)
			assert.Equal(t, want.Faults.BulkFail, got.Faults.BulkFail)
			assert.Equal(t, want.Faults.BulkRefuse, got.Faults.BulkRefuse)
			assert.Equal(t, want.Faults.BulkBadRef, got.Faults.BulkBadRef)
			assert.Equal(t, want.Faults.BulkPartial400, got.Faults.BulkPartial400)
			assert.Equal(t, want.Faults.BulkPartial400HTML, got.Faults.BulkPartial400HTML)
			assert.Equal(t, want.ListDrift, got.ListDrift)
			assert.Equal(t, want.PageSize, got.PageSize)
		})
	}
}
