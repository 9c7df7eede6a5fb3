package cli

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
)

const header = "operation,uniqueReferenceNumber,firstName,title,gender,email,mobile,loadAmount\n"

// withSandbox returns the arguments of cmd, with --sandbox for a run.
func withSandbox(cmd string, args ...string) []string {
	if cmd == "run" {
		return append([]string{cmd, "--sandbox", "--rate", "1000", "--log-level", "error"}, args...)
	}
	return append([]string{cmd, "--log-level", "error"}, args...)
}

func row(n int, amount string) string {
	return "allocate,IN-" + string(rune('A'+n)) + ",Aarav Sharma,Mr,M,aarav" + string(rune('a'+n)) + "@example.com,98765000" +
		string(rune('1'+n)) + "1," + amount + "\n"
}

// TestAFileStillBeingWrittenIsRefused: a writer goroutine writes a file
// in steps, in lockstep with the test through channels. While its last row
// has no line end ("...,50" of a coming "...,500"), validate refuses it;
// once complete, the row reads 500.
func TestAFileStillBeingWrittenIsRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "export.csv")
	step, wrote := make(chan string), make(chan struct{})
	go func() {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			panic(err)
		}
		defer f.Close()
		for s := range step {
			if _, err := f.WriteString(s); err != nil {
				panic(err)
			}
			wrote <- struct{}{}
		}
	}()
	defer close(step)
	write := func(s string) { step <- s; <-wrote }

	write(header + row(0, "100") + strings.TrimSuffix(row(1, "500"), "0\n"))
	code, stdout, stderr := execute(t, nil, "validate", "--reports-dir", t.TempDir(), path)
	assert.Equal(t, exitcode.InvalidInput, code)
	assert.Contains(t, stderr, "its last line has no line end: the file may still be being written: wait until it is complete")
	assert.NotContains(t, stdout, "Plan", "nothing of a half-written file is checked")

	write("0\n")
	code, stdout, stderr = execute(t, nil, "validate", "--reports-dir", t.TempDir(), path)
	require.Equal(t, exitcode.OK, code, stderr)
	assert.Contains(t, stdout, "600.00", "the last row counts 500, not 50")
}

// TestOutOnTheInputsFolderLeavesTheInputAlone is the case that truncated
// the input to 0 bytes.
func TestOutOnTheInputsFolderLeavesTheInputAlone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	content := []byte(header + row(0, "100"))
	for _, name := range []string{"input.csv", "allocations.csv"} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, content, 0o600))
		for _, cmd := range []string{"validate", "run"} {
			code, _, stderr := execute(t, nil, withSandbox(cmd, "--out", dir, path)...)
			assert.Equal(t, exitcode.Fatal, code, stderr)
			assert.Contains(t, stderr, "is the folder of the input file: choose another folder")
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, content, got, "%s of %s is unchanged, byte for byte", cmd, name)
		}
	}
}

// TestPlantedSymlinksAreNeverFollowed: links planted in a run folder, to
// a file of the user's, are replaced or refused; their target is
// unchanged.
func TestPlantedSymlinksAreNeverFollowed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "allocations.csv")
	require.NoError(t, os.WriteFile(input, []byte(header+row(0, "100")), 0o600))
	victim := filepath.Join(dir, "precious.txt")
	require.NoError(t, os.WriteFile(victim, []byte("keep me\n"), 0o600))
	out := filepath.Join(dir, "run")

	code, _, stderr := execute(t, nil, "run", "--sandbox", "--out", out, input)
	require.Equal(t, exitcode.OK, code, stderr)
	for _, name := range []string{"results.csv", "summary.json", "validation.csv"} {
		require.NoError(t, os.Remove(filepath.Join(out, name)))
		require.NoError(t, os.Symlink(victim, filepath.Join(out, name)))
	}
	code, _, stderr = execute(t, nil, "run", "--sandbox", "--out", out, input)
	require.Equal(t, exitcode.OK, code, "the same file into its own folder is a resume: %s", stderr)
	for _, name := range []string{"results.csv", "summary.json", "validation.csv"} {
		fi, err := os.Lstat(filepath.Join(out, name))
		require.NoError(t, err)
		assert.True(t, fi.Mode().IsRegular(), "%s is a file of its own again", name)
	}

	require.NoError(t, os.Remove(filepath.Join(out, "input.csv")))
	require.NoError(t, os.Symlink(victim, filepath.Join(out, "input.csv")))
	code, _, stderr = execute(t, nil, "run", "--sandbox", "--out", out, input)
	assert.Equal(t, exitcode.Fatal, code)
	assert.Contains(t, stderr, "is not empty and is not a run of this file")

	got, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "keep me\n", string(got))
}

func TestARunFolderIsNeverReused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "allocations.csv")
	require.NoError(t, os.WriteFile(input, []byte(header+row(0, "100")), 0o600))
	reports := filepath.Join(dir, "reports")
	for range 3 {
		code, _, stderr := execute(t, nil, "validate", "--reports-dir", reports, input)
		require.Equal(t, exitcode.OK, code, stderr)
	}
	entries, err := os.ReadDir(reports)
	require.NoError(t, err)
	assert.Len(t, entries, 3, "three runs, three folders, whatever the clock says")

	other := filepath.Join(dir, "other")
	require.NoError(t, os.Mkdir(other, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine\n"), 0o600))
	code, _, stderr := execute(t, nil, "validate", "--out", other, input)
	assert.Equal(t, exitcode.Fatal, code)
	assert.Contains(t, stderr, "--out "+other+" is not empty and is not a run of this file")
	entries, err = os.ReadDir(other)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "nothing was written into it")
}

// TestInputsThatAreNotFiles: a FIFO without a writer, a symlink to
// /dev/zero and a folder are refused at once.
func TestInputsThatAreNotFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.csv")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	zero := filepath.Join(dir, "zero.csv")
	require.NoError(t, os.Symlink("/dev/zero", zero))
	tests := []struct{ name, path, want string }{
		{"fifo", fifo, "this is a FIFO (a named pipe), not a regular file"},
		{"dev zero", zero, "this is a device, not a regular file"},
		{"folder", dir, "this is a folder, not a regular file"},
	}
	for _, tt := range tests {
		for _, cmd := range []string{"validate", "run"} {
			t.Run(tt.name+" "+cmd, func(t *testing.T) {
				t.Parallel()
				reports := t.TempDir()
				start := time.Now()
				code, _, stderr := execute(t, nil, withSandbox(cmd, "--reports-dir", reports, tt.path)...)
				assert.Less(t, time.Since(start), time.Second)
				assert.Equal(t, exitcode.InvalidInput, code)
				assert.Contains(t, stderr, tt.want)
				assert.Contains(t, stderr, "to read a pipe on purpose, give -")
				entries, _ := os.ReadDir(reports)
				assert.Empty(t, entries, "no folder is left for a refused input")
			})
		}
	}
}

// TestAHundredMegabyteLine: memory stays bounded and the message short.
// Not parallel, so that the allocation count is this test's own.
func TestAHundredMegabyteLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.csv")
	f, err := os.Create(path)
	require.NoError(t, err)
	chunk := bytes.Repeat([]byte("operation,"), 1<<16)
	for range 100 << 20 / len(chunk) {
		_, err := f.Write(chunk)
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code, stdout, stderr := execute(t, nil, "validate", "--reports-dir", t.TempDir(), path)
	runtime.ReadMemStats(&after)
	assert.Equal(t, exitcode.InvalidInput, code)
	assert.Contains(t, stderr, "line 1 is longer than 1 MB")
	assert.Less(t, len(stderr)+len(stdout), 600, "the line is never echoed")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "the copy streams")
}

func TestOddFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	random := make([]byte, 1<<16)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	random = append(random, '\n')
	files := map[string][]byte{"header.csv": []byte(header), "random.csv": random, "blank.csv": []byte(header + ",,,,,,,\n"),
		"ok.csv": []byte(header + row(0, "100"))}
	for name, b := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"header only", []string{"validate", "header.csv"}, exitcode.InvalidInput, "the file has no rows, only a header"},
		{"header only, run", []string{"run", "--sandbox", "header.csv"}, exitcode.InvalidInput, "the file has no rows"},
		{"blank rows only", []string{"validate", "blank.csv"}, exitcode.InvalidInput, "the file has no rows"},
		{"header only, allowed", []string{"validate", "--allow-empty", "header.csv"}, exitcode.OK, ""},
		{"header only, allowed, run", []string{"run", "--sandbox", "--allow-empty", "header.csv"}, exitcode.OK, ""},
		{"random bytes", []string{"validate", "random.csv"}, exitcode.InvalidInput, "the file is binary data, not text"},
		{"above --max-file-size", []string{"validate", "--max-file-size", "100B", "ok.csv"}, exitcode.InvalidInput,
			"the file is larger than 100 bytes (--max-file-size)"},
		{"bad --max-file-size", []string{"validate", "--max-file-size", "lots", "ok.csv"}, exitcode.Fatal, "give a positive size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{tt.args[0], "--reports-dir", t.TempDir()}, tt.args[1:]...)
			args[len(args)-1] = filepath.Join(dir, args[len(args)-1])
			code, _, stderr := execute(t, nil, args...)
			assert.Equal(t, tt.code, code, stderr)
			assert.Contains(t, stderr, tt.want)
			assert.NotContains(t, stderr, "UTF-16")
		})
	}
}

func TestSecretsGivenAsFlagsAreWarnedAbout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "ok.csv")
	require.NoError(t, os.WriteFile(input, []byte(header+row(0, "100")), 0o600))
	secret := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secret, []byte("from-a-file-42\n"), 0o600))
	loose := filepath.Join(dir, "loose")
	require.NoError(t, os.WriteFile(loose, []byte("from-a-file-42\n"), 0o644))
	require.NoError(t, os.Chmod(loose, 0o644))
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"flags", []string{"--client-secret", "on-the-command-line", "--password", "on-the-command-line"}, exitcode.OK, []string{
			"warning: --client-secret is visible to every user of this machine in the process list; set ENKASH_CLIENT_SECRET in the environment or use --client-secret-file instead",
			"warning: --password is visible to every user of this machine in the process list; set ENKASH_PASSWORD in the environment or use --password-file instead"}},
		{"files", []string{"--client-secret-file", secret, "--password-file", secret}, exitcode.OK, nil},
		{"a file others can read", []string{"--password-file", loose}, exitcode.OK, []string{"can be read by other users (mode 0644): chmod 600 it"}},
		{"both", []string{"--password", "x", "--password-file", secret}, exitcode.Fatal, []string{"--password and --password-file both give the secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{"validate", "--reports-dir", t.TempDir()}, tt.args...), input)
			code, _, stderr := execute(t, nil, args...)
			assert.Equal(t, tt.code, code, stderr)
			for _, w := range tt.want {
				assert.Contains(t, stderr, w)
			}
			if tt.want == nil {
				assert.NotContains(t, stderr, "rewardbatch: warning")
			}
			assert.NotContains(t, stderr, "from-a-file-42")
			assert.NotContains(t, stderr, "on-the-command-line")
		})
	}
}
