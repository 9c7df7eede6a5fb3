// Package job runs the commands of rewardbatch end to end: the dry run
// (validate) and the run (validate, check the balance, send, reconcile,
// report). It wires the reader, the validator, the engine, the ledger and
// the reports together; cmd/ only parses flags and calls it.
package job

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/report"
)

// DefaultReportsDir is where run folders go unless --out says otherwise.
const DefaultReportsDir = "reports"

// SnapshotFile is the copy of the input a run reads, kept in its folder;
// SnapshotWorkbook is that of an .xlsx input (see SnapshotIn).
const (
	SnapshotFile     = "input.csv"
	SnapshotWorkbook = "input.xlsx"
)

// StdinName is the file name that reads the standard input.
const StdinName = "-"

// folder is a run folder and how it came to be.
type folder struct {
	dir     string
	created bool // this process created it: remove it again when nothing was written
	resume  bool // --out named a folder that is not empty: only this run's own resume may use it
}

// runFolder makes the folder of a run. With out, it is that folder: created
// when missing, used when empty, and, when not empty, checked later to be
// this run's own resume (see checkResume). It is never the input's own
// folder. Without out, it is a fresh <reports>/<UTC timestamp>-<input
// name>[-SANDBOX], with -2, -3... when the name is taken: os.Mkdir creates
// it exclusively, so two runs never share one.
func runFolder(out, reports, input string, now time.Time, sandbox bool) (folder, error) {
	if out == "" {
		return freshFolder(cmp.Or(reports, DefaultReportsDir), folderBase(input, now, sandbox))
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(out)), 0o700); err != nil {
		return folder{}, fmt.Errorf("creating the report folder: %w", err)
	}
	err := os.Mkdir(out, 0o700)
	if err == nil {
		return folder{dir: out, created: true}, nil
	}
	if !errors.Is(err, os.ErrExist) {
		return folder{}, fmt.Errorf("creating the report folder: %w", err)
	}
	fi, err := os.Stat(out)
	if err != nil || !fi.IsDir() {
		return folder{}, fmt.Errorf("--out %s exists and is not a folder: choose a folder for the reports", out)
	}
	if input != StdinName {
		if in, err := os.Stat(filepath.Dir(input)); err == nil && os.SameFile(in, fi) {
			return folder{}, fmt.Errorf("--out %s is the folder of the input file: choose another folder (the reports must never be written beside the input)", out)
		}
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return folder{}, fmt.Errorf("reading the report folder: %w", err)
	}
	return folder{dir: out, resume: len(entries) > 0}, nil
}

// folderBase names a run's folder after its time and its input. A report
// of an earlier run fed back (failed.csv, invalid.csv) is named after that
// run's input, so that the month stays in the name: a run of
// reports/20261126T080000Z-allocations-2026-11/failed.csv gets
// <time>-allocations-2026-11-failed.
func folderBase(input string, now time.Time, sandbox bool) string {
	name := strings.TrimSuffix(filepath.Base(input), filepath.Ext(input))
	if earlier, ok := fedBack(input); ok {
		name = earlier + "-" + name
	}
	if input == StdinName {
		name = "stdin"
	}
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
	return base
}

// fedBack returns the input name of the run whose report input is, when
// input is one of a run's reports in its own folder.
func fedBack(input string) (string, bool) {
	switch filepath.Base(input) {
	case report.FailedFile, report.InvalidFile:
	default:
		return "", false
	}
	dir := strings.TrimSuffix(filepath.Base(filepath.Dir(input)), "-SANDBOX")
	stamp, name, ok := strings.Cut(dir, "-")
	if !ok || len(stamp) != len("20060102T150405Z") || name == "" {
		return "", false
	}
	if _, err := time.Parse("20060102T150405Z", stamp); err != nil {
		return "", false
	}
	return name, true
}

// freshFolder creates parent/base, or parent/base-N for the first N that is
// free.
func freshFolder(parent, base string) (folder, error) {
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return folder{}, fmt.Errorf("creating the report folder: %w", err)
	}
	for i := 1; ; i++ {
		dir := filepath.Join(parent, base)
		if i > 1 {
			dir += "-" + strconv.Itoa(i)
		}
		err := os.Mkdir(dir, 0o700)
		if err == nil {
			return folder{dir: dir, created: true}, nil
		}
		if !errors.Is(err, os.ErrExist) || i >= 1000 {
			return folder{}, fmt.Errorf("creating the report folder: %w", err)
		}
	}
}

// checkResume accepts a folder that was not empty only when it holds the
// snapshot of a run of the same bytes (sum): a rerun of the same file
// into its own folder. A symlink in its place is never followed.
func (f folder) checkResume(sum string) error {
	if !f.resume {
		return nil
	}
	refuse := fmt.Errorf("--out %s is not empty and is not a run of this file: choose a new folder, or leave --out out to get a fresh one", f.dir)
	in, err := os.OpenFile(SnapshotIn(f.dir), os.O_RDONLY|oNoFollow|oNonBlock, 0)
	if err != nil {
		return refuse
	}
	defer in.Close()
	if fi, err := in.Stat(); err != nil || !fi.Mode().IsRegular() {
		return refuse
	}
	h := sha256.New()
	if _, err := io.Copy(h, in); err != nil || hex.EncodeToString(h.Sum(nil)) != sum {
		return refuse
	}
	return nil
}

// release removes the folder when this process created it and nothing is
// in it (the input was refused before anything was written).
func (f folder) release() {
	if f.created {
		_ = os.Remove(f.dir) // fails, as it should, when not empty
	}
}

// prepare makes the run folder and snapshots the input into it (see
// input.dryRun). When the input is refused, a folder this process created
// is removed again.
func prepare(ctx context.Context, o *ValidateOptions, now time.Time, sandbox, dryRun bool) (dir, source, sum string, err error) {
	f, err := runFolder(o.Out, o.ReportsDir, o.File, now, sandbox)
	if err != nil {
		return "", "", "", err
	}
	in := input{name: o.File, stdin: o.Stdin, maxSize: cmp.Or(o.MaxFileSize, DefaultMaxFileSize), dryRun: dryRun, afterChunk: o.afterChunk}
	source, sum, err = snapshot(ctx, in, f)
	if err != nil {
		f.release()
		return "", "", "", err
	}
	return f.dir, source, sum, nil
}
