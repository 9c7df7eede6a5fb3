package validate

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/sheet"
)

// source is what a scanner reads: the file itself, or the CSV stream of a
// workbook's sheet.
type source struct {
	r     io.Reader
	name  string        // as messages name it: "file, sheet Rewards" for a workbook
	sheet string        // the sheet read; "" for a CSV file
	wb    *sheet.Stream // the workbook's stream to close; nil for a CSV file
}

// openSheet recognises an Excel workbook by its content and returns the
// CSV stream of its sheet; any other src comes back as it is (the reader
// refuses other workbooks with what to do). A workbook must be a file (the
// run's snapshot is); its shared strings may spill into tmpDir.
func openSheet(name string, src io.Reader, sheetName, tmpDir string) (source, error) {
	br := bufio.NewReaderSize(src, 8<<10)
	head, _ := br.Peek(8 << 10)
	if sheet.Detect(head) != sheet.XLSX {
		return source{r: br, name: name}, nil
	}
	f, ok := src.(interface{ Name() string })
	if !ok {
		return source{}, &allocfile.FileError{File: name, Problem: "an Excel workbook cannot be read from the standard input",
			Fix: "give the .xlsx file's path, or save the sheet as CSV UTF-8"}
	}
	st, used, err := sheet.Open(f.Name(), sheetName, tmpDir)
	if err != nil {
		return source{}, &allocfile.FileError{File: name, Problem: err.Error(), Fix: "open it in Excel and save it again as .xlsx, or as CSV UTF-8"}
	}
	return source{r: st, name: fmt.Sprintf("%s, sheet %s", name, used), sheet: used, wb: st}, nil
}

// close releases the workbook, if any.
func (s *source) close() {
	if s.wb != nil {
		_ = s.wb.Close()
		s.wb = nil
	}
}

// cells gives a row of a workbook what the sheet says of its cells.
func (s *source) cells(row *allocfile.Row) {
	if s.wb != nil {
		row.Cells = s.wb.Cells(row.Line)
	}
}

// locate makes the lines of a file problem in a workbook its rows.
func (s *source) locate(err error) error {
	var fe *allocfile.FileError
	if s.sheet != "" && errors.As(err, &fe) {
		fe.Sheet = s.sheet
	}
	return err
}
