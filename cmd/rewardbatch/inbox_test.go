package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/inbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// inboxRun starts `rewardbatch run --inbox` on the world's inbox.
func (w *world) inboxRun(t *testing.T, box string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(binary, "run", "--inbox", box, "--settle", "1s", "--state", w.state, "--rate", "5000",
		"--workers", "4", "--lookup-grace", "5ms", "--settle-window", "500ms", "--resend-after", "1s", "--log-level", "warn", "--log-format", "json", "--no-progress",
		"--reports-dir", filepath.Join(w.dir, "reports"))
	cmd.Env = w.env()
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("output of the inbox run:\n%s", logs.String())
		}
	})
	require.NoError(t, cmd.Start())
	return cmd, &logs
}

// TestInboxAcrossAKill kills `run --inbox` with SIGKILL in the middle of a
// file's run: the file is then in processing/, neither lost nor back in
// incoming/; the next `run --inbox` resumes it, pays every row exactly
// once, and moves it to done/<run folder>/.
func TestInboxAcrossAKill(t *testing.T) {
	w := newWorld(t, 1000, sandbox.Options{Faults: sandbox.Faults{Latency: 20 * time.Millisecond}})
	box := filepath.Join(w.dir, "inbox")
	incoming := filepath.Join(box, inbox.Incoming)
	require.NoError(t, os.MkdirAll(incoming, 0o700))
	name := filepath.Base(w.file)
	require.NoError(t, os.Rename(w.file, filepath.Join(incoming, name)))
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(incoming, name), old, old))

	cmd, _ := w.inboxRun(t, box)
	w.waitForCredits(t, 50) // in the middle of the run
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	assert.Equal(t, -int(syscall.SIGKILL), exitCode(cmd.Wait()))
	assert.NoFileExists(t, filepath.Join(incoming, name))
	assert.FileExists(t, filepath.Join(box, inbox.Processing, name), "the killed run's file waits in processing/")
	require.Less(t, len(w.sb.Transactions()), w.rows, "killed mid-run")

	// Rows the kill left unsettled are resent only after --resend-after:
	// an incomplete run (exit 4) leaves the file in processing/ for the next.
	var all strings.Builder
	for i := 0; ; i++ {
		require.Less(t, i, 8, "the file never finished: %s", all.String())
		cmd, logs := w.inboxRun(t, box)
		code := exitCode(cmd.Wait())
		all.WriteString(logs.String())
		if code == exitcode.OK {
			break
		}
		require.Equal(t, exitcode.Incomplete, code, logs.String())
	}
	assert.Contains(t, all.String(), "(resumed)")
	done, err := filepath.Glob(filepath.Join(box, inbox.Done, "*", name))
	require.NoError(t, err)
	require.Len(t, done, 1, "the file is in done/<run folder>/")
	assert.NoFileExists(t, filepath.Join(box, inbox.Processing, name))
	last := filepath.Join(w.dir, "reports", filepath.Base(filepath.Dir(done[0])))
	w.assertExactlyOnce(t, last)
}
