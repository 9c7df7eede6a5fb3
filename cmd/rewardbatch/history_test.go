package main

import (
	"encoding/json"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// TestHistoryShowsARunningRun: history says "running" while a run holds
// the ledger, and "did not finish" once it was killed.
func TestHistoryShowsARunningRun(t *testing.T) {
	w := newWorld(t, 1000, sandbox.Options{Faults: sandbox.Faults{Latency: 20 * time.Millisecond}})
	cmd, _ := w.start(t, "--workers", "2")
	w.waitForCredits(t, 20)
	state := func() string {
		out, err := exec.Command(binary, "history", "--json", "--state", w.state).CombinedOutput()
		require.NoError(t, err, string(out))
		var h struct {
			Runs []struct{ State string } `json:"runs"`
		}
		require.NoError(t, json.Unmarshal(out, &h), string(out))
		require.Len(t, h.Runs, 1)
		return h.Runs[0].State
	}
	assert.Equal(t, "running", state())
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	assert.Equal(t, "did not finish", state())
}
