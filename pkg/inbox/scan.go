package inbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// file is one entry of a folder listing.
type file struct {
	name  string
	size  int64
	mtime time.Time
}

// partialSuffixes name files that uploaders are still writing.
var partialSuffixes = []string{".part", ".partial", ".tmp", ".filepart", ".crdownload", "~"}

// list returns the data files of a folder, oldest first (then by name):
// regular files that are not hidden, approvals, markers or partial uploads.
func list(dir string) ([]file, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	var files []file
	for _, e := range entries {
		if !e.Type().IsRegular() || !isData(e.Name()) {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // gone since the listing
		}
		if err != nil {
			return nil, fmt.Errorf("inbox: %w", err)
		}
		files = append(files, file{name: e.Name(), size: info.Size(), mtime: info.ModTime()})
	}
	sort.Slice(files, func(i, j int) bool {
		if !files[i].mtime.Equal(files[j].mtime) {
			return files[i].mtime.Before(files[j].mtime)
		}
		return files[i].name < files[j].name
	})
	return files, nil
}

func isData(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ApprovedSuffix) || strings.HasSuffix(name, resultSuffix) {
		return false
	}
	for _, s := range partialSuffixes {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

// unchanged reports whether the file still has the size and time it was
// listed with.
func unchanged(path string, f file) bool {
	info, err := os.Stat(path)
	return err == nil && info.Size() == f.size && info.ModTime().Equal(f.mtime)
}

// approval checks a file against its FILE.approved, looked for in the
// given folders in turn. It returns the approved hash, or the state and
// reason that keep the file back.
func (b *Inbox) approval(ctx context.Context, path string, dirs ...string) (string, State, string, error) {
	name := filepath.Base(path)
	var raw []byte
	for _, d := range dirs {
		var err error
		raw, err = os.ReadFile(filepath.Join(d, name+ApprovedSuffix))
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", StateWaiting, "", fmt.Errorf("inbox: %w", err)
		}
	}
	if raw == nil {
		return "", StateWaiting, fmt.Sprintf("waiting for approval: run 'rewardbatch validate %s', check its plan, "+
			"and write the plan hash it prints into %s%s", path, name, ApprovedSuffix), nil
	}
	approved := strings.ToLower(strings.TrimSpace(string(raw)))
	if len(approved) < 16 || len(approved) > 64 || strings.Trim(approved, "0123456789abcdef") != "" {
		return "", StateRefused, fmt.Sprintf("%s%s does not hold a plan hash (16 to 64 hex digits, as validate prints it)", name, ApprovedSuffix), nil
	}
	hash, err := b.Plan(ctx, path)
	if err != nil {
		return "", StateRefused, "its plan could not be computed", err
	}
	if !strings.HasPrefix(strings.ToLower(hash), approved) {
		return "", StateRefused, fmt.Sprintf("%s%s approves plan %s, but the file's plan is now different: it changed after "+
			"its approval; run 'rewardbatch validate' on it, check the plan, and approve the hash it prints", name, ApprovedSuffix, approved), nil
	}
	return approved, "", "", nil
}
