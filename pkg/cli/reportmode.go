package cli

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.uber.org/zap"
)

// reportMode is --report-mode: the permissions of a run folder's files
// and folders.
type reportMode struct {
	file, dir os.FileMode
}

// defaultReportMode keeps reports to their owner: they hold personal data.
var defaultReportMode = reportMode{file: 0o600, dir: 0o700}

// parseReportMode reads FILE[/FOLDER] in octal, such as 0640 or 0640/0750.
// Without FOLDER, a folder gets search (x) permission wherever the file
// mode gives read. Others (the last digit) get nothing: reports hold
// personal data.
func parseReportMode(s string) (reportMode, error) {
	fileText, dirText, hasDir := strings.Cut(s, "/")
	bad := fmt.Errorf("--report-mode %q: give the files' mode in octal, optionally with the folders', such as 0600 (the default), "+
		"0640 or 0640/0750 (readable by the group of the reports folder)", s)
	file, err := strconv.ParseUint(fileText, 8, 32)
	if err != nil || file&^0o660 != 0 || file&0o600 != 0o600 {
		return reportMode{}, bad
	}
	m := reportMode{file: os.FileMode(file), dir: os.FileMode(file | (file&0o444)>>2)}
	if hasDir {
		dir, err := strconv.ParseUint(dirText, 8, 32)
		if err != nil || dir&^0o770 != 0 || dir&0o700 != 0o700 {
			return reportMode{}, bad
		}
		m.dir = os.FileMode(dir)
	}
	if m.file&0o077 != 0 && m.file&0o040 == 0 {
		return reportMode{}, bad
	}
	return m, nil
}

// apply gives the run folder, and everything in it, the mode; the folder
// above it (--reports-dir) too when rewardbatch made it (mode 0700), so
// that the group can reach the run folder. The default mode changes
// nothing: the reports are written that way.
func (m reportMode) apply(runDir string) error {
	if m == defaultReportMode || runDir == "" {
		return nil
	}
	parent := filepath.Dir(runDir)
	if fi, err := os.Stat(parent); err == nil && fi.Mode().Perm() == 0o700 {
		if err := os.Chmod(parent, m.dir); err != nil {
			return err
		}
	}
	return filepath.WalkDir(runDir, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.Type()&fs.ModeSymlink != 0:
			return nil // never follow one out of the folder
		case d.IsDir():
			return os.Chmod(path, m.dir)
		}
		return os.Chmod(path, m.file)
	})
}

// applyMode applies --report-mode to a run folder; a failure is logged at
// warn (the reports are there, only narrower than asked).
func (f *checkFlags) applyMode(g *globals, runDir string) {
	m, err := f.mode()
	if err == nil {
		err = m.apply(runDir)
	}
	if err != nil {
		g.log.Warn("--report-mode not applied", zap.String("folder", runDir), zap.Error(err))
	}
}
