package report

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
)

// FileMode is the mode of every report file: reports hold personal data.
const FileMode = 0o600

// CSVFile is a CSV file written under a temporary name and renamed into
// place by Commit. It is not safe for concurrent use.
type CSVFile struct {
	path string
	tmp  *os.File
	buf  *bufio.Writer
	w    *csv.Writer
	cell []string
	err  error
}

// CreateCSV starts the file at path with its header row.
func CreateCSV(path string, header []string) (*CSVFile, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	if err := tmp.Chmod(FileMode); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	buf := bufio.NewWriterSize(tmp, 64<<10)
	f := &CSVFile{path: path, tmp: tmp, buf: buf, w: csv.NewWriter(buf)}
	if err := f.Write(header); err != nil {
		f.Abort()
		return nil, err
	}
	return f, nil
}

// Path returns where the file lands on Commit.
func (f *CSVFile) Path() string { return f.path }

// Write adds one row, neutralising formula-like cells.
func (f *CSVFile) Write(row []string) error {
	if f.err != nil {
		return f.err
	}
	f.cell = f.cell[:0]
	for _, c := range row {
		f.cell = append(f.cell, Neutralise(c))
	}
	if err := f.w.Write(f.cell); err != nil {
		f.err = fmt.Errorf("writing %s: %w", f.path, err)
	}
	return f.err
}

// Flush pushes buffered rows to the temporary file, so that a crash loses
// little; the file is still not in place until Commit.
func (f *CSVFile) Flush() error {
	if f.err != nil {
		return f.err
	}
	f.w.Flush()
	if err := f.w.Error(); err != nil {
		f.err = fmt.Errorf("writing %s: %w", f.path, err)
	} else if err := f.buf.Flush(); err != nil {
		f.err = fmt.Errorf("writing %s: %w", f.path, err)
	}
	return f.err
}

// Commit flushes, syncs and renames the file into place.
func (f *CSVFile) Commit() error {
	if err := f.Flush(); err != nil {
		f.Abort()
		return err
	}
	if err := f.tmp.Sync(); err != nil {
		f.Abort()
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	if err := f.tmp.Close(); err != nil {
		_ = os.Remove(f.tmp.Name())
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	if err := os.Rename(f.tmp.Name(), f.path); err != nil {
		_ = os.Remove(f.tmp.Name())
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	return nil
}

// Abort drops the temporary file.
func (f *CSVFile) Abort() {
	_ = f.tmp.Close()
	_ = os.Remove(f.tmp.Name())
}

// Neutralise protects a cell that starts with =, +, - or @ (or a tab or
// CR) from being run as a formula by a spreadsheet, by putting an
// apostrophe before it. The reader removes that apostrophe again when a
// report is fed back.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// commitPair commits a, then b; when a fails, b is dropped too.
func commitPair(a, b *CSVFile) error {
	if err := a.Commit(); err != nil {
		b.Abort()
		return err
	}
	return b.Commit()
}
