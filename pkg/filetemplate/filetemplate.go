// Package filetemplate writes the allocation file template that HR fills
// in: an .xlsx workbook whose columns are formatted so that Excel cannot
// damage them (mobiles, references and cards as Text, amounts with two
// decimals), with drop-down lists for the operation, title and gender, a
// frozen header and an Instructions sheet; or a CSV header for people who
// prefer CSV.
//
// The template holds no example row in the sheet that is sent: an example
// left in by mistake would be paid. Examples are on the Instructions sheet.
package filetemplate

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
)

// DataSheet and InstructionsSheet are the names of the template's sheets.
const (
	DataSheet         = "Allocations"
	InstructionsSheet = "Instructions"
)

// FileName is the template's default file name.
const FileName = "allocations-template.xlsx"

// Rows is how many data rows the formats and drop-down lists cover.
const Rows = 100_000

// kind is how a column is formatted.
type kind int

const (
	kindText   kind = iota // stored as text: Excel keeps every digit and leading zero
	kindAmount             // a number with two decimals
	kindList               // a drop-down list of the values
)

// Column is one column of the template.
type Column struct {
	Name   string   // the header, as the reader knows it
	Width  float64  // in Excel's character units
	Values []string // the drop-down list, when the column has one
	Help   string   // what to write, for the Instructions sheet
	Needed string   // for which operations the column is needed
	kind   kind
}

// Columns are the template's columns, in order.
var Columns = []Column{
	{Name: allocfile.ColOperation, Width: 12, Values: []string{"allocate", "topup", "debit"}, kind: kindList,
		Needed: "optional", Help: "allocate (a new card and points), topup (points onto an existing card) or debit (points back); empty: topup when the row has a card and no name, else allocate"},
	{Name: allocfile.ColReference, Width: 26, kind: kindText,
		Needed: "every row", Help: "your unique reference for this payment: letters, digits, - and _, at most 40 characters, never reused (for example NOV26-0001)"},
	{Name: allocfile.ColFirstName, Width: 22, kind: kindText, Needed: "allocate", Help: "the employee's name"},
	{Name: allocfile.ColTitle, Width: 8, Values: []string{"Mr", "Mrs", "Ms"}, kind: kindList, Needed: "allocate", Help: "Mr, Mrs or Ms"},
	{Name: allocfile.ColGender, Width: 8, Values: []string{"M", "F"}, kind: kindList, Needed: "allocate", Help: "M or F"},
	{Name: allocfile.ColEmail, Width: 30, kind: kindText, Needed: "allocate", Help: "the employee's e-mail address"},
	{Name: allocfile.ColMobile, Width: 14, kind: kindText, Needed: "allocate", Help: "10 digits starting 6 to 9, as text (the column is formatted as Text so Excel keeps every digit)"},
	{Name: allocfile.ColAmount, Width: 12, kind: kindAmount, Needed: "every row", Help: "the points, a positive number with at most 2 decimals, without currency sign or thousands separators"},
	{Name: allocfile.ColCardID, Width: 16, kind: kindText, Needed: "topup, debit", Help: "the EnKash card id (EKC...) of the employee"},
	{Name: allocfile.ColRemarks, Width: 30, kind: kindText, Needed: "optional", Help: "a note kept in the reports"},
}

// WriteCSV writes the template as a CSV header: UTF-8 with a byte-order
// mark (so that Excel on Windows opens it as UTF-8) and CRLF line ends.
func WriteCSV(w io.Writer) error {
	line := "\uFEFF"
	for i, c := range Columns {
		if i > 0 {
			line += ","
		}
		line += c.Name
	}
	_, err := io.WriteString(w, line+"\r\n")
	return err
}

// WriteXLSX writes the .xlsx template.
func WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", DataSheet); err != nil {
		return err
	}
	if err := dataSheet(f); err != nil {
		return fmt.Errorf("template: %w", err)
	}
	if err := instructions(f); err != nil {
		return fmt.Errorf("template: %w", err)
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

// dataSheet lays out the sheet that is sent: header, formats, lists.
func dataSheet(f *excelize.File) error {
	header, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"1F4E79"}},
		Alignment: &excelize.Alignment{Vertical: "center"},
		NumFmt:    49, // Text
	})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	amount, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	if err != nil {
		return err
	}
	for i, c := range Columns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetCellStr(DataSheet, col+"1", c.Name); err != nil {
			return err
		}
		if err := f.SetColWidth(DataSheet, col, col, c.Width); err != nil {
			return err
		}
		style := text
		if c.kind == kindAmount {
			style = amount
		}
		if err := f.SetColStyle(DataSheet, col, style); err != nil {
			return err
		}
		if err := list(f, col, c); err != nil {
			return err
		}
	}
	last, _ := excelize.ColumnNumberToName(len(Columns))
	if err := f.SetCellStyle(DataSheet, "A1", last+"1", header); err != nil {
		return err
	}
	if err := f.AutoFilter(DataSheet, "A1:"+last+"1", nil); err != nil {
		return err
	}
	return f.SetPanes(DataSheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

// list adds the column's drop-down list, or for the amount a rule that
// refuses what is not a positive number.
func list(f *excelize.File, col string, c Column) error {
	sqref := fmt.Sprintf("%s2:%s%d", col, col, Rows+1)
	dv := excelize.NewDataValidation(true)
	dv.SetSqref(sqref)
	switch c.kind {
	case kindList:
		if err := dv.SetDropList(c.Values); err != nil {
			return err
		}
	case kindAmount:
		if err := dv.SetRange(0.01, 100_000_000, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorBetween); err != nil {
			return err
		}
	default:
		return nil
	}
	dv.SetError(excelize.DataValidationErrorStyleStop, c.Name, "Use one of the values the column allows: "+c.Help)
	return f.AddDataValidation(DataSheet, dv)
}

// instructions writes the Instructions sheet: one line per column, then
// the rules and examples.
func instructions(f *excelize.File) error {
	if _, err := f.NewSheet(InstructionsSheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	rows := [][]string{
		{"How to fill in the " + DataSheet + " sheet"},
		{},
		{"column", "needed for", "what to write"},
	}
	for _, c := range Columns {
		rows = append(rows, []string{c.Name, c.Needed, c.Help})
	}
	rows = append(rows, []string{}, []string{"Rules"},
		[]string{"One row is one payment. Never copy a row to pay twice: rewardbatch refuses a repeated payment unless you say it is meant."},
		[]string{"Keep each reference for ever: a rerun of the same file never pays a row twice, because the reference is remembered."},
		[]string{"Check the file before sending it: rewardbatch validate FILE (or the console's Check page) lists every problem with its fix."},
		[]string{}, []string{"Examples (do not copy them into the " + DataSheet + " sheet)"},
		[]string{"allocate", "NOV26-0001", "Priya Sharma", "Ms", "F", "priya.sharma@example.com", "9876543210", "1500.00", "", "Diwali bonus"},
		[]string{"topup", "NOV26-0002", "", "", "", "", "", "250.00", "EKC1000001", ""},
	)
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, v := range r {
			cells[j] = v
		}
		if err := f.SetSheetRow(InstructionsSheet, fmt.Sprintf("A%d", i+1), &cells); err != nil {
			return err
		}
	}
	for _, cell := range []string{"A1", "A3", "B3", "C3"} {
		if err := f.SetCellStyle(InstructionsSheet, cell, cell, bold); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(InstructionsSheet, "A", "A", 24); err != nil {
		return err
	}
	if err := f.SetColWidth(InstructionsSheet, "B", "B", 14); err != nil {
		return err
	}
	return f.SetColWidth(InstructionsSheet, "C", "C", 110)
}
