package main

import (
	"bytes"
	"errors"
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
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// TestInputsThatNeverEnd: the real program on a FIFO without a writer and
// on a link to /dev/zero says what they are within a second; on a pipe
// that never ends it obeys SIGTERM while copying, and leaves no
// temporary file and no empty folder behind.
func TestInputsThatNeverEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.csv")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	zero := filepath.Join(dir, "zero.csv")
	require.NoError(t, os.Symlink("/dev/zero", zero))
	for _, tt := range []struct{ args []string }{
		{[]string{"validate", fifo}},
		{[]string{"run", "--sandbox", zero}},
	} {
		var stderr bytes.Buffer
		cmd := exec.Command(binary, append([]string{"--log-level", "error"}, tt.args...)...)
		cmd.Dir, cmd.Stderr = dir, &stderr
		start := time.Now()
		err := cmd.Run()
		assert.Less(t, time.Since(start), time.Second, "%v", tt.args)
		assert.Equal(t, exitcode.InvalidInput, exitCode(err), stderr.String())
		assert.Contains(t, stderr.String(), "not a regular file")
	}

	out := filepath.Join(dir, "run")
	cmd := exec.Command(binary, "validate", "--log-level", "error", "--out", out, "-")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	defer stdin.Close()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	_, err = stdin.Write([]byte("operation,uniqueReferenceNumber,firstName,loadAmount\nallocate,R1,Aarav,"))
	require.NoError(t, err)
	waitFor(t, func() bool { return copying(out) }, "the copy to start")
	start := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err = cmd.Wait()
	assert.Less(t, time.Since(start), time.Second)
	assert.Equal(t, exitcode.Incomplete, exitCode(err), stderr.String())
	assert.Contains(t, stderr.String(), "context canceled")
	_, serr := os.Stat(out)
	assert.True(t, errors.Is(serr, os.ErrNotExist), "the folder made for the copy is removed with its temporary file")
}

// copying reports whether the snapshot's temporary file has bytes.
func copying(dir string) bool {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ".tmp") && fi.Size() > 0 {
			return true
		}
	}
	return false
}

// waitFor polls a condition that only the file system shows.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("waited 10s for %s", what)
		}
	}
}

// TestReportAfterAKill: a run killed in the middle leaves no reports (and
// stray temporary files); `rewardbatch report` writes them from the
// ledger, one line per row, with every applied row MATCHED or UNKNOWN.
func TestReportAfterAKill(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 300, sandbox.Options{Faults: sandbox.Faults{Latency: 20 * time.Millisecond}})
	cmd, out := w.start(t, "--workers", "2")
	waitFor(t, func() bool { return len(w.sb.Transactions()) >= 20 }, "20 rows applied")
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	applied := len(w.sb.Transactions())
	require.NoFileExists(t, filepath.Join(out, "results.csv"))

	var stdout, stderr bytes.Buffer
	rep := exec.Command(binary, "report", "--state", w.state, out)
	rep.Stdout, rep.Stderr = &stdout, &stderr
	assert.Equal(t, exitcode.Incomplete, exitCode(rep.Run()), stderr.String())
	rows := readCSV(t, filepath.Join(out, "results.csv"))
	require.Len(t, rows, w.rows+1, "every row has a line")
	counts := map[string]int{}
	for _, r := range rows[1:] {
		counts[r[len(r)-len(report.ResultColumns)+1]]++ // the status column
	}
	assert.Equal(t, w.rows, counts["MATCHED"]+counts["UNKNOWN"]+counts["NOT_SENT"], "%v", counts)
	assert.LessOrEqual(t, counts["MATCHED"], applied)
	assert.GreaterOrEqual(t, counts["MATCHED"]+counts["UNKNOWN"], applied, "an applied row is never reported NOT_SENT")
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasSuffix(e.Name(), ".tmp"), "%s is left", e.Name())
	}
	for _, f := range []string{"failed.csv", "summary.json"} {
		assert.FileExists(t, filepath.Join(out, f))
	}
}
