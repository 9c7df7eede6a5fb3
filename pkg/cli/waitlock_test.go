package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// signalWriter is a log sink that closes seen when a line containing want
// is written.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return n, err
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestWaitLock: with --wait-lock a run waits for the process that holds
// the ledger and runs once it lets go.
func TestWaitLock(t *testing.T) {
	t.Parallel()
	env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards()})
	vars := envFor(env)
	dir := t.TempDir()
	state := filepath.Join(dir, ledger.FileName)
	holder, err := ledger.Open(context.Background(), state)
	require.NoError(t, err)

	stderr := &signalWriter{want: "waiting for the ledger while another run holds it", seen: make(chan struct{})}
	done := make(chan int, 1)
	go func() {
		var stdout bytes.Buffer
		done <- Execute(context.Background(), []string{"run", "--state", state, "--wait-lock", "1m", "--rate", "1000",
			"--log-format", "json", "--out", filepath.Join(dir, "run"), sample}, &stdout, stderr,
			func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	}()
	<-stderr.seen
	require.NoError(t, holder.Close())
	assert.Equal(t, exitcode.OK, <-done, stderr.String())

	// Without the wait, a held ledger stops the run at once.
	holder, err = ledger.Open(context.Background(), state)
	require.NoError(t, err)
	defer holder.Close()
	code, _, errOut := execute(t, vars, "run", "--state", state, "--out", filepath.Join(dir, "run2"), sample)
	assert.Equal(t, exitcode.Fatal, code)
	assert.Contains(t, errOut, "LEDGER_LOCKED")
}
