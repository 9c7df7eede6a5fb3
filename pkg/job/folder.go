// Package job runs the commands of rewardbatch end to end: the dry run
// (validate) and the run (validate, check the balance, send, reconcile,
// report). It wires the reader, the validator, the engine, the ledger and
// the reports together; cmd/ only parses flags and calls it.
package job

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultReportsDir is where run folders go unless --out says otherwise.
const DefaultReportsDir = "reports"

// SnapshotFile is the copy of the input a run reads, kept in its folder.
const SnapshotFile = "input.csv"

// runFolder creates the folder of a run: out when given, else
// <reports>/<UTC timestamp>-<input name>[-SANDBOX].
func runFolder(out, reports, input string, now time.Time, sandbox bool) (string, error) {
	dir := out
	if dir == "" {
		name := strings.TrimSuffix(filepath.Base(input), filepath.Ext(input))
		name = strings.Map(func(r rune) rune {
			if r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
				return r
			}
			return '_'
		}, name)
		base := now.UTC().Format("20060102T150405Z") + "-" + name
		if sandbox {
			base += "-SANDBOX"
		}
		dir = filepath.Join(cmp.Or(reports, DefaultReportsDir), base)
		for i := 2; exists(dir); i++ {
			dir = filepath.Join(cmp.Or(reports, DefaultReportsDir), fmt.Sprintf("%s-%d", base, i))
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the report folder: %w", err)
	}
	return dir, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return !errors.Is(err, os.ErrNotExist)
}

// snapshot copies the input into the run folder and returns the SHA-256
// of its bytes. The run reads the copy, so that a file edited during the
// run cannot change what is sent.
func snapshot(input, dir string) (path, sum string, err error) {
	src, err := os.Open(input)
	if err != nil {
		return "", "", fmt.Errorf("opening the input: %w", err)
	}
	defer src.Close()
	path = filepath.Join(dir, SnapshotFile)
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return "", "", fmt.Errorf("copying the input: %w", err)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(dst, h), src); err != nil {
		_ = dst.Close()
		return "", "", fmt.Errorf("copying the input: %w", err)
	}
	if err := dst.Close(); err != nil {
		return "", "", fmt.Errorf("copying the input: %w", err)
	}
	return path, hex.EncodeToString(h.Sum(nil)), nil
}
