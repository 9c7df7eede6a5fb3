package validate

import (
	"bufio"
	"fmt"
	"io"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/sheet"
)

// openSheet recognises an Excel workbook by its content and returns the
// CSV stream of its sheet, the name messages give it ("file, sheet
// Rewards") and the workbook to close; any other src comes back as it is
// (the reader refuses other workbooks with what to do). A workbook must
// be a file (the run's snapshot is).
func openSheet(name string, src io.Reader, sheetName string) (io.Reader, string, io.Closer, error) {
	br := bufio.NewReaderSize(src, 8<<10)
	head, _ := br.Peek(8 << 10)
	if sheet.Detect(head) != sheet.XLSX {
		return br, name, nil, nil
	}
	f, ok := src.(interface{ Name() string })
	if !ok {
		return nil, "", nil, &allocfile.FileError{File: name, Problem: "an Excel workbook cannot be read from the standard input",
			Fix: "give the .xlsx file's path, or save the sheet as CSV UTF-8"}
	}
	rc, used, err := sheet.Open(f.Name(), sheetName)
	if err != nil {
		return nil, "", nil, &allocfile.FileError{File: name, Problem: err.Error(), Fix: "open it in Excel and save it again as .xlsx, or as CSV UTF-8"}
	}
	return rc, fmt.Sprintf("%s, sheet %s", name, used), rc, nil
}

func closeSheet(c io.Closer) {
	if c != nil {
		_ = c.Close()
	}
}
