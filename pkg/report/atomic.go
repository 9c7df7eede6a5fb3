package report

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// WriteError is a report file that could not be written. The ledger still
// has every outcome, so `rewardbatch report RUN` can write it again.
type WriteError struct {
	Path string
	Err  error
}

// Error names the file and the cause.
func (e *WriteError) Error() string { return fmt.Sprintf("writing %s: %v", e.Path, e.Err) }

// Unwrap returns the cause.
func (e *WriteError) Unwrap() error { return e.Err }

// AtomicFile is a file written under a temporary name beside its final
// path and renamed into place by Commit, so that a reader never sees half
// a file. The temporary file is created with O_EXCL and O_NOFOLLOW: a
// symlink planted in the folder is never followed, and the rename
// replaces a planted link itself, never its target. Every temporary file
// not yet committed or aborted is known to [RemoveTemporary].
type AtomicFile struct {
	path   string
	f      *os.File
	noSync bool
}

// TempSuffix ends the name of every temporary file; a folder may hold
// stray ones only after a SIGKILL.
const TempSuffix = ".tmp"

// CreateAtomic starts the file that lands at path on Commit, mode 0600.
func CreateAtomic(path string) (*AtomicFile, error) {
	var b [8]byte
	for try := 0; ; try++ {
		_, _ = rand.Read(b[:])
		tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+hex.EncodeToString(b[:])+TempSuffix)
		f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL|oNoFollow, FileMode)
		if errors.Is(err, os.ErrExist) && try < 10 {
			continue
		}
		if err != nil {
			return nil, &WriteError{Path: path, Err: err}
		}
		temps.add(tmp)
		return &AtomicFile{path: path, f: f}, nil
	}
}

// Path returns where the file lands on Commit.
func (a *AtomicFile) Path() string { return a.path }

// Write writes to the temporary file.
func (a *AtomicFile) Write(p []byte) (int, error) {
	n, err := a.f.Write(p)
	if err != nil {
		return n, &WriteError{Path: a.path, Err: err}
	}
	return n, nil
}

// NoSync makes Commit skip the fsync: for a file that need not survive a
// power loss (the input copy of a dry run).
func (a *AtomicFile) NoSync() { a.noSync = true }

// Commit syncs the temporary file and renames it into place. On failure
// the temporary file is removed.
func (a *AtomicFile) Commit() error {
	tmp := a.f.Name()
	defer temps.remove(tmp)
	var err error
	if !a.noSync {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, a.path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return &WriteError{Path: a.path, Err: err}
	}
	return nil
}

// Abort drops the temporary file. It is safe to call after Commit.
func (a *AtomicFile) Abort() {
	_ = a.f.Close()
	if temps.remove(a.f.Name()) {
		_ = os.Remove(a.f.Name())
	}
}

// WriteFileAtomic writes b to path through an [AtomicFile].
func WriteFileAtomic(path string, b []byte) error {
	a, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	if _, err := a.Write(b); err != nil {
		a.Abort()
		return err
	}
	return a.Commit()
}

// tempSet is the temporary files of this process not yet committed or
// aborted.
type tempSet struct {
	mu sync.Mutex
	m  map[string]struct{}
}

var temps = tempSet{m: map[string]struct{}{}}

func (t *tempSet) add(name string) {
	t.mu.Lock()
	t.m[name] = struct{}{}
	t.mu.Unlock()
}

// remove forgets name and reports whether it was known.
func (t *tempSet) remove(name string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.m[name]
	delete(t.m, name)
	return ok
}

// RemoveTemporary deletes every temporary file of this process that is
// not yet committed or aborted. A process that must exit at once (a second
// Ctrl-C) calls it first, so that no `.*.tmp` file is left behind.
func RemoveTemporary() {
	temps.mu.Lock()
	defer temps.mu.Unlock()
	for name := range temps.m {
		_ = os.Remove(name)
		delete(temps.m, name)
	}
}

// RemoveStale deletes temporary files that a killed process left in dir:
// names that start with a dot and end with [TempSuffix]. It returns how
// many it removed.
func RemoveStale(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(name, ".") && strings.HasSuffix(name, TempSuffix) {
			if err := os.Remove(filepath.Join(dir, name)); err == nil {
				n++
			}
		}
	}
	return n, nil
}
