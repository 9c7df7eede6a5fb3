package report

import (
	"bufio"
	"encoding/csv"
	"errors"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
)

// FileMode is the mode of every report file: reports hold personal data.
const FileMode = 0o600

// CSVFile is a CSV file written through an [AtomicFile]: under a
// temporary name, renamed into place by Commit. It is not safe for
// concurrent use.
type CSVFile struct {
	file *AtomicFile
	buf  *bufio.Writer
	w    *csv.Writer
	cell []string
	err  error
}

// Style is how the report files are written.
type Style struct {
	// NoBOM leaves out the UTF-8 byte-order mark that every report starts
	// with by default: Excel on Windows needs it to read José and ₹, and
	// some programs do not expect it (--no-bom).
	NoBOM bool
}

// BOM is the UTF-8 byte-order mark.
const BOM = "\ufeff"

// CreateCSV starts the file at path with the byte-order mark (unless
// style leaves it out) and its header row.
func CreateCSV(path string, header []string, style Style) (*CSVFile, error) {
	file, err := CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	buf := bufio.NewWriterSize(file, 64<<10)
	f := &CSVFile{file: file, buf: buf, w: csv.NewWriter(buf)}
	if !style.NoBOM {
		_, _ = buf.WriteString(BOM) // an error is the file's: Write reports it
	}
	if err := f.Write(header); err != nil {
		f.Abort()
		return nil, err
	}
	return f, nil
}

// Path returns where the file lands on Commit.
func (f *CSVFile) Path() string { return f.file.Path() }

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
		f.err = f.wrap(err)
	}
	return f.err
}

func (f *CSVFile) wrap(err error) error {
	var we *WriteError
	if errors.As(err, &we) {
		return err
	}
	return &WriteError{Path: f.Path(), Err: err}
}

// Flush pushes buffered rows to the temporary file, so that a crash loses
// little; the file is still not in place until Commit.
func (f *CSVFile) Flush() error {
	if f.err != nil {
		return f.err
	}
	f.w.Flush()
	if err := f.w.Error(); err != nil {
		f.err = f.wrap(err)
	} else if err := f.buf.Flush(); err != nil {
		f.err = f.wrap(err)
	}
	return f.err
}

// Commit flushes, syncs and renames the file into place.
func (f *CSVFile) Commit() error {
	if err := f.Flush(); err != nil {
		f.Abort()
		return err
	}
	return f.file.Commit()
}

// Abort drops the temporary file.
func (f *CSVFile) Abort() { f.file.Abort() }

// Neutralise protects a cell from being run as a formula, or changed into
// a number or a date, by a spreadsheet; see [allocfile.Guard]. The reader takes the guard off again
// when a report is fed back.
func Neutralise(s string) string { return allocfile.Guard(s) }

// commitPair commits a, then b; when a fails, b is dropped too.
func commitPair(a, b *CSVFile) error {
	if err := a.Commit(); err != nil {
		b.Abort()
		return err
	}
	return b.Commit()
}
