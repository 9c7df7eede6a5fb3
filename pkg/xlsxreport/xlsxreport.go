// Package xlsxreport writes results.xlsx (run --xlsx): results.csv as an
// Excel workbook, every cell as text exactly as in the CSV (no number or
// date conversion, no formula), with a frozen header row, filters, and a
// status column whose words carry the meaning and whose fill only repeats
// it.
package xlsxreport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// File is the workbook's name in a run folder.
const File = "results.xlsx"

// Sheet is the name of its only sheet.
const Sheet = "Results"

// styles are the cell styles the workbook uses.
type styles struct{ header, text, done, notDone int }

// Write reads results.csv in dir and writes results.xlsx beside it,
// atomically, mode 0600.
func Write(dir string) (err error) {
	in, err := os.Open(filepath.Join(dir, report.ResultsFile))
	if err != nil {
		return fmt.Errorf("writing %s: %w", File, err)
	}
	defer in.Close()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", Sheet); err != nil {
		return fmt.Errorf("writing %s: %w", File, err)
	}
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("writing %s: %w", File, err)
	}
	sw, err := f.NewStreamWriter(Sheet)
	if err != nil {
		return fmt.Errorf("writing %s: %w", File, err)
	}
	ref, err := fill(sw, csv.NewReader(in), st)
	if err != nil {
		return fmt.Errorf("writing %s: %w", File, err)
	}
	if err := f.AutoFilter(Sheet, ref, nil); err != nil {
		return fmt.Errorf("writing %s: %w", File, err)
	}
	out, err := report.CreateAtomic(filepath.Join(dir, File))
	if err != nil {
		return err
	}
	if _, err := f.WriteTo(out); err != nil {
		out.Abort()
		return fmt.Errorf("writing %s: %w", File, err)
	}
	return out.Commit()
}

func newStyles(f *excelize.File) (styles, error) {
	var st styles
	var errs []error
	add := func(s *excelize.Style) int {
		id, err := f.NewStyle(s)
		errs = append(errs, err)
		return id
	}
	text := 49 // the built-in "@" format: Excel keeps the cell as text
	st.header = add(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: text})
	st.text = add(&excelize.Style{NumFmt: text})
	st.done = add(&excelize.Style{NumFmt: text, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9F2DF"}}})
	st.notDone = add(&excelize.Style{NumFmt: text, Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F8D7DA"}}})
	return st, errors.Join(errs...)
}

// fill copies the CSV rows into the sheet below a frozen header, and
// returns the range the filters cover.
func fill(sw *excelize.StreamWriter, r *csv.Reader, st styles) (string, error) {
	header, err := r.Read()
	if err != nil {
		return "", err
	}
	header[0] = strings.TrimPrefix(header[0], report.BOM)
	status := -1
	for i, h := range header {
		if h == "status" && status < 0 {
			status = i
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return "", err
	}
	if err := sw.SetRow("A1", cells(header, st.header, -1, st)); err != nil {
		return "", err
	}
	n := 1
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
		n++
		for i := range row {
			row[i] = allocfile.Unguard(row[i]) // a workbook cell is text: no guard needed
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		if err := sw.SetRow(cell, cells(row, st.text, status, st)); err != nil {
			return "", err
		}
	}
	last, _ := excelize.CoordinatesToCellName(len(header), n)
	return "A1:" + last, sw.Flush()
}

// cells are a row's values as text cells; the status cell is filled by
// whether the row is done.
func cells(row []string, style, status int, st styles) []any {
	out := make([]any, len(row))
	for i, v := range row {
		s := style
		if i == status {
			s = st.notDone
			if reward.Status(v).Done() {
				s = st.done
			}
		}
		out[i] = excelize.Cell{StyleID: s, Value: v}
	}
	return out
}
