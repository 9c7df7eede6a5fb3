package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/report"
)

const rowsCSV = "operation,uniqueReferenceNumber,firstName,title,gender,email,mobile,loadAmount\n"

// bigFile writes a file of several snapshot chunks, complete lines only.
func bigFile(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(rowsCSV)
	for b.Len() < 4*chunkSize {
		b.WriteString("allocate,R-1,Aarav Sharma,Mr,M,aarav@example.com,9876500001,100\n")
	}
	path := filepath.Join(t.TempDir(), "in.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

// TestAFileThatChangesWhileReadIsRefused: a writer goroutine appends to,
// or rewrites in place, the file after the snapshot's first chunk, in
// lockstep with the copy through channels.
func TestAFileThatChangesWhileReadIsRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		write func(path string) error
	}{
		{"appended", func(path string) error {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString("allocate,R-2,Diya Patel,Ms,F,diya@example.com,9876500002,500\n")
			return err
		}},
		{"touched", func(path string) error {
			return os.Chtimes(path, time.Time{}, time.Now().Add(time.Hour))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := bigFile(t)
			turn, done := make(chan struct{}), make(chan error)
			go func() {
				<-turn
				done <- tt.write(path)
			}()
			first := true
			o := ValidateOptions{File: path, Out: filepath.Join(t.TempDir(), "run"), afterChunk: func() {
				if first {
					first = false
					turn <- struct{}{}
					require.NoError(t, <-done)
				}
			}}
			code, _, err := Validate(context.Background(), o)
			assert.Equal(t, exitcode.InvalidInput, code)
			require.ErrorContains(t, err, "the file changed while it was read: the file may still be being written: wait until it is complete")
			_, serr := os.Stat(o.Out)
			assert.True(t, errors.Is(serr, os.ErrNotExist), "the folder made for it is gone again")
		})
	}
}

// blockingReader is a standard input whose writer never writes.
type blockingReader struct{ release chan struct{} }

func (b blockingReader) Read([]byte) (int, error) { <-b.release; return 0, io.EOF }

func TestStandardInput(t *testing.T) {
	t.Parallel()
	t.Run("read on purpose", func(t *testing.T) {
		t.Parallel()
		o := ValidateOptions{File: StdinName, ExpectRows: -1, Stdin: strings.NewReader(rowsCSV + "allocate,R-1,Aarav Sharma,Mr,M,a@example.com,9876500001,100\n"),
			Out: filepath.Join(t.TempDir(), "run")}
		code, dir, err := Validate(context.Background(), o)
		require.NoError(t, err)
		assert.Equal(t, exitcode.OK, code)
		assert.FileExists(t, filepath.Join(dir, SnapshotFile))
	})
	t.Run("capped", func(t *testing.T) {
		t.Parallel()
		o := ValidateOptions{File: StdinName, Stdin: strings.NewReader(strings.Repeat(rowsCSV, 100)), MaxFileSize: 1000,
			Out: filepath.Join(t.TempDir(), "run")}
		code, _, err := Validate(context.Background(), o)
		assert.Equal(t, exitcode.InvalidInput, code)
		require.ErrorContains(t, err, "the file is larger than 1000 bytes (--max-file-size)")
	})
	t.Run("a signal stops the wait for a pipe", func(t *testing.T) {
		t.Parallel()
		stdin := blockingReader{release: make(chan struct{})}
		defer close(stdin.release)
		ctx, cancel := context.WithCancel(context.Background())
		o := ValidateOptions{File: StdinName, Stdin: stdin, Out: filepath.Join(t.TempDir(), "run")}
		type result struct {
			code int
			err  error
		}
		res := make(chan result)
		go func() {
			code, _, err := Validate(ctx, o)
			res <- result{code, err}
		}()
		cancel()
		select {
		case r := <-res:
			assert.Equal(t, exitcode.Incomplete, r.code)
			assert.ErrorIs(t, r.err, context.Canceled)
		case <-time.After(5 * time.Second):
			t.Fatal("the copy did not stop")
		}
	})
}

func TestLineCapNamesTheLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "in.csv")
	long := rowsCSV + "allocate,R-1,Aarav,Mr,M,a@example.com,9876500001,100\n" + strings.Repeat("x", MaxLineBytes+1) + "\n"
	require.NoError(t, os.WriteFile(path, []byte(long), 0o600))
	_, _, err := Validate(context.Background(), ValidateOptions{File: path, Out: filepath.Join(t.TempDir(), "run")})
	var fe *allocfile.FileError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "line 3 is longer than 1 MB; an allocation file's lines are short, so this is not one", fe.Problem)
}

func TestFreshFolderTakesTheNextFreeName(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	var dirs []string
	for range 3 {
		f, err := runFolder("", parent, "in.csv", now, true)
		require.NoError(t, err)
		assert.True(t, f.created)
		dirs = append(dirs, filepath.Base(f.dir))
	}
	assert.Equal(t, []string{"20261126T080000Z-in-SANDBOX", "20261126T080000Z-in-SANDBOX-2", "20261126T080000Z-in-SANDBOX-3"}, dirs)
}

func TestAReportWriteErrorNamesTheReportCommand(t *testing.T) {
	t.Parallel()
	we := &report.WriteError{Path: "reports/r/results.csv", Err: syscall.ENOSPC}
	err := reportHint(fmt.Errorf("the run stopped: %w", we), true, "reports/r")
	assert.ErrorIs(t, err, syscall.ENOSPC)
	assert.EqualError(t, err, "the run stopped: writing reports/r/results.csv: no space left on device; the ledger has every outcome: "+
		"once the cause is fixed, run `rewardbatch report reports/r` to write the reports again")
	other := errors.New("login refused")
	assert.Equal(t, other, reportHint(other, true, "reports/r"), "only a report write error")
	assert.Equal(t, error(we), reportHint(we, false, "reports/r"), "without a ledger there is nothing to rebuild from")
}
