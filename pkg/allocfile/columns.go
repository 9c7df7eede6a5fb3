package allocfile

import (
	"fmt"
	"reflect"
	"strings"
	"unsafe"
)

// Record is one data row as strings, exactly as the file gave them; the
// validator turns them into typed values. Its csv tags are the canonical
// column names.
type Record struct {
	Operation     string `csv:"operation"`
	Reference     string `csv:"uniqueReferenceNumber"`
	FirstName     string `csv:"firstName"`
	Title         string `csv:"title"`
	Gender        string `csv:"gender"`
	Email         string `csv:"email"`
	Mobile        string `csv:"mobile"`
	Amount        string `csv:"loadAmount"`
	CardID        string `csv:"enkashCardId"`
	CompanyID     string `csv:"companyId"`
	CardAccountID string `csv:"cardAccountId"`
	Remarks       string `csv:"remarks"`
}

// Canonical column names.
const (
	ColOperation     = "operation"
	ColReference     = "uniqueReferenceNumber"
	ColFirstName     = "firstName"
	ColTitle         = "title"
	ColGender        = "gender"
	ColEmail         = "email"
	ColMobile        = "mobile"
	ColAmount        = "loadAmount"
	ColCardID        = "enkashCardId"
	ColCompanyID     = "companyId"
	ColCardAccountID = "cardAccountId"
	ColRemarks       = "remarks"
	// ColInputCardID names the input's card column in results.csv, where
	// enkashCardId is the card EnKash answered with.
	ColInputCardID = "inputCardId"
)

const numFields = 12

// field returns the field at position i of Record. The positions and the
// names of the columns come from the struct itself (see fieldTags and
// fieldOffsets), the same csv tags gocsv maps the columns with.
func (r *Record) field(i int) *string {
	return (*string)(unsafe.Add(unsafe.Pointer(r), fieldOffsets[i]))
}

// fieldOffsets are the offsets of Record's fields, every one a string.
var fieldOffsets = func() (off [numFields]uintptr) {
	t := reflect.TypeFor[Record]()
	if t.NumField() != numFields {
		panic("allocfile: numFields is not Record's field count")
	}
	for i := range t.NumField() {
		if t.Field(i).Type.Kind() != reflect.String {
			panic("allocfile: every field of Record must be a string")
		}
		off[i] = t.Field(i).Offset
	}
	return off
}()

// fieldTags are the csv tags of Record's fields, in declaration order.
var fieldTags = func() (tags [numFields]string) {
	t := reflect.TypeFor[Record]()
	for i := range t.NumField() {
		tags[i] = t.Field(i).Tag.Get("csv")
	}
	return tags
}()

// fieldAt finds a tag by its length and first byte, the way a compiled
// switch would: the validator asks for fields 24 times a row, and a map
// lookup there costs a tenth of the validation's time. -1 is no tag, -2
// two tags (then fieldOf scans).
var fieldAt = func() (at [32][128]int8) {
	for n := range at {
		for c := range at[n] {
			at[n][c] = -1
		}
	}
	for i, tag := range fieldTags {
		n, c := len(tag), tag[0]
		if at[n][c] == -1 {
			at[n][c] = int8(i)
		} else {
			at[n][c] = -2
		}
	}
	return at
}()

// fieldOf returns the position in Record of the field tagged col, or -1.
func fieldOf(col string) int {
	if len(col) == 0 || len(col) >= len(fieldAt) || col[0] >= 128 {
		return -1
	}
	switch i := fieldAt[len(col)][col[0]]; {
	case i >= 0 && fieldTags[i] == col:
		return int(i)
	case i == -2:
		for i, tag := range fieldTags {
			if tag == col {
				return i
			}
		}
	}
	return -1
}

// Field returns the value of a canonical column.
func (r *Record) Field(col string) string {
	if i := fieldOf(col); i >= 0 {
		return *r.field(i)
	}
	return ""
}

// SetField sets the value of a canonical column; unknown names are ignored.
func (r *Record) SetField(col, v string) {
	if i := fieldOf(col); i >= 0 {
		*r.field(i) = v
	}
}

// aliases maps a folded header name (see fold) to its canonical column.
var aliases = map[string]string{
	"operation": ColOperation, "op": ColOperation,
	"uniquereferencenumber": ColReference, "uniquereferencenum": ColReference, "reference": ColReference,
	"ref": ColReference, "referencenumber": ColReference, "refno": ColReference, "referenceno": ColReference,
	"refnumber": ColReference, "uniquereference": ColReference, "uniqueref": ColReference, "urn": ColReference,
	"firstname": ColFirstName, "name": ColFirstName, "employeename": ColFirstName, "empname": ColFirstName,
	"fullname": ColFirstName, "employeefullname": ColFirstName, "nameofemployee": ColFirstName,
	"title": ColTitle, "salutation": ColTitle, "gender": ColGender, "sex": ColGender,
	"email": ColEmail, "emailid": ColEmail, "emailaddress": ColEmail, "mailid": ColEmail, "officialemail": ColEmail,
	"officialemailid": ColEmail, "workemail": ColEmail, "employeeemail": ColEmail, "employeeemailid": ColEmail,
	"mobile": ColMobile, "mobilenumber": ColMobile, "mobileno": ColMobile,
	"contactno": ColMobile, "contactnumber": ColMobile, "employeemobile": ColMobile,
	"employeemobileno": ColMobile, "mobilenum": ColMobile,
	"loadamount": ColAmount, "amount": ColAmount, "points": ColAmount, "amountinr": ColAmount, "amountrs": ColAmount,
	"rewardpoints": ColAmount, "pointsamount": ColAmount, "rewardamount": ColAmount, "amountinrs": ColAmount,
	"pointstoload": ColAmount, "loadamountinr": ColAmount,
	"enkashcardid": ColCardID, "cardid": ColCardID, "inputcardid": ColCardID,
	"companyid": ColCompanyID, "cardaccountid": ColCardAccountID,
	"remarks": ColRemarks,
}

// Fold returns the matching form of a header name (see fold).
func Fold(name string) string { return fold(name) }

// Canonical returns the canonical column a header cell means, or "" for a
// column the tool does not use.
func Canonical(name string) string { return aliases[fold(name)] }

// reportColumns are the columns this tool appends to its own outputs. A file
// fed back (failed.csv, invalid.csv) carries them; they are dropped on read.
var reportColumns = map[string]bool{
	"status": true, "reason": true, "error": true, "row": true, "pgreferencenumber": true,
	"enkashcardtxnid": true, "otbbalance": true, "attempts": true, "errorcode": true,
	"errormessage": true, "latencyms": true,
	"sentmobile": true, "senttitle": true, "sentgender": true, "sentemail": true,
}

// answerColumns are EnKash's answers in results.csv that share a name
// with an input column: after the first report column they are EnKash's,
// and dropped.
var answerColumns = map[string]bool{"enkashcardid": true}

// fold is the matching form of a header name: lower case, without spaces,
// underscores, dashes, dots, brackets, #, :, ₹ and zero-width characters
// ("Mobile No." is mobileno, "Amount (INR)" amountinr).
func fold(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '.', '(', ')', '#', ':', '\t', '\u00a0', '\u200b', '\u200c', '\u200d', '\ufeff', '₹':
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, name)
}

// ColumnLetter returns the spreadsheet letter of a 0-based column index:
// 0 is A, 25 is Z, 26 is AA.
func ColumnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// Header is the header line of a file, resolved.
type Header struct {
	// Names are the header cells as the file has them (without a BOM).
	Names []string
	// Canonical holds, per column, the canonical name of a known column, or
	// "" for a column kept as is.
	Canonical []string
	// Dropped marks report columns of an earlier run that are ignored.
	Dropped []bool
	// Index maps a canonical name to its column.
	Index map[string]int
	// Notes are remarks about the header for the person running the tool.
	Notes []string
	// Line is the file line of the header (below any title rows).
	Line int
}

// Has reports whether the file has the canonical column.
func (h *Header) Has(col string) bool { _, ok := h.Index[col]; return ok }

// Describe names column i for messages, as "column E (mobile)".
func (h *Header) Describe(i int) string {
	if i < 0 || i >= len(h.Names) {
		return fmt.Sprintf("column %s", ColumnLetter(max(i, 0)))
	}
	return fmt.Sprintf("column %s (%s)", ColumnLetter(i), h.Names[i])
}

// DescribeCol names a canonical column for messages.
func (h *Header) DescribeCol(col string) string {
	if i, ok := h.Index[col]; ok {
		return h.Describe(i)
	}
	return "column " + col
}

// resolveHeader matches header cells to canonical columns: first through
// mapping (folded header name to canonical column: --map, --mapping),
// then through the aliases. A column without a header (Excel's trailing
// empty columns) is not reported; its cells, if any, are kept.
func resolveHeader(file string, names []string, mapping map[string]string) (*Header, error) {
	h := &Header{Names: names, Canonical: make([]string, len(names)), Dropped: make([]bool, len(names)), Index: map[string]int{}}
	var unknown, dropped []string
	inReport := false
	for i, n := range names {
		f := fold(n)
		inReport = inReport || reportColumns[f]
		col, ok := mapping[f]
		if !ok {
			col, ok = aliases[f]
		}
		if f == "" && !ok {
			continue
		}
		if ok && !(inReport && answerColumns[f]) {
			if j, dup := h.Index[col]; dup {
				return nil, &FileError{File: file, Line: 1, Column: h.Describe(i),
					Problem: fmt.Sprintf("%s and %s both mean %s", h.Describe(j), h.Describe(i), col),
					Fix:     "keep one of the two columns and delete the other"}
			}
			h.Index[col] = i
			h.Canonical[i] = col
			if f != fold(col) {
				h.Notes = append(h.Notes, fmt.Sprintf("%s is read as %s", h.Describe(i), col))
			}
			continue
		}
		if inReport && (reportColumns[f] || answerColumns[f]) {
			h.Dropped[i] = true
			dropped = append(dropped, fmt.Sprintf("%q", n))
			continue
		}
		unknown = append(unknown, fmt.Sprintf("%q", n))
	}
	if len(unknown) > 0 {
		h.Notes = append(h.Notes, fmt.Sprintf("columns not used by EnKash are kept as they are in every output: %s", strings.Join(unknown, ", ")))
	}
	if len(dropped) > 0 {
		h.Notes = append(h.Notes, fmt.Sprintf("columns from an earlier report are ignored: %s", strings.Join(dropped, ", ")))
	}
	return h, nil
}

// OutNames returns the header cells that outputs carry: every column but
// the report columns of an earlier run, in file order.
func (h *Header) OutNames() []string {
	out := make([]string, 0, len(h.Names))
	for i, n := range h.Names {
		if !h.Dropped[i] {
			out = append(out, n)
		}
	}
	return out
}
