package validate

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"hash"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// DefaultMaxAmount is the default per-row ceiling: a row above it is
// refused as a probable typing mistake.
var DefaultMaxAmount = money.FromHundredths(100_000_00)

// Options change what the validator accepts and what a row would send.
type Options struct {
	// BatchID (for example "2026-11") lets rows without a reference get a
	// deterministic one. Empty: every row needs its own reference.
	BatchID string
	// MaxAmount is the per-row ceiling (default [DefaultMaxAmount]).
	MaxAmount money.Amount
	// CompanyID and CardAccountID are the configured defaults; a row may
	// override them.
	CompanyID, CardAccountID string
	// Extra are other settings of the configuration that change what is
	// sent (for example the reference field's spelling); they entered the
	// plan hash of v1 only (see PlanV1).
	Extra []string
	// PlanV1 computes the plan hash as runs recorded before v2 did: with
	// the configured company, account and Extra, so that it changed with
	// the ENKASH_* settings present. `report` uses it to recognise such a
	// run. The v2 hash (the default) leaves the configuration out: the
	// run's scope (API, company, account) binds it, in the ledger and in
	// summary.json.
	PlanV1 bool
	// AllowRepeats lets a row that repeats an earlier one (the same
	// operation, person and amount) through as a warning: a second
	// payment. Without it such a row is an error, unless its repeat
	// column says why.
	AllowRepeats bool
	// Strict turns every warning into an error.
	Strict bool
	// Sheet is the sheet of an .xlsx file to read; "" reads the first.
	Sheet string
	// Columns maps header names as the file has them to canonical columns
	// (--map, --mapping; see allocfile.ParseMap).
	Columns map[string]string
	// SpillAt is the number of key hashes a first pass keeps in memory
	// before it uses a temporary file (default [DefaultSpillAt]).
	SpillAt int
	// TempDir is where that file goes, and the shared strings of a large
	// workbook (default: the system's).
	TempDir string
}

// ErrOptions is wrapped by invalid validator options.
var ErrOptions = errors.New("invalid options")

// Validator checks the rows of one file. Create it with [New].
type Validator struct {
	file   string
	sheet  string // the workbook sheet read, "" for a CSV file
	seed   maphash.Seed
	hdr    *allocfile.Header
	opts   Options
	know   *Knowledge // nil in a first pass
	col    *collector // the first pass's key hashes
	cands  []uint64   // what the first pass found, once it finished
	ex     *exact     // the exact checks of a later pass
	found  map[uint32]retroRef
	repeat int // the index in Row.Values of the repeat column, or -1
	plan   Plan
	sum    hash.Hash
	line   []byte // reused buffer of the plan hash
}

// New returns a validator for a file with header hdr. know is the
// [Knowledge] of an earlier pass over the same file, or nil. It checks the
// columns the file needs and returns a [*allocfile.FileError] naming every
// missing one.
func New(file string, hdr *allocfile.Header, opts Options, know *Knowledge) (*Validator, error) {
	if opts.MaxAmount.IsZero() {
		opts.MaxAmount = DefaultMaxAmount
	}
	if opts.BatchID != "" && !batchRE.MatchString(opts.BatchID) {
		return nil, fmt.Errorf("%w: --batch-id %q: use 1 to 20 letters, digits, - or _, for example 2026-11", ErrOptions, opts.BatchID)
	}
	if err := checkColumns(file, hdr, opts); err != nil {
		return nil, err
	}
	v := &Validator{file: file, hdr: hdr, opts: opts, know: know, found: map[uint32]retroRef{},
		repeat: repeatColumn(hdr), sum: sha256.New()}
	if know == nil {
		v.know, v.col = nil, newCollector(opts.SpillAt, opts.TempDir)
		v.seed = maphash.MakeSeed()
	} else {
		v.ex, v.seed = newExact(), know.seed
	}
	v.plan = Plan{File: file, Ops: map[reward.Operation]*OpTotal{}, HeaderNotes: slices.Clone(hdr.Notes)}
	if i := slices.IndexFunc(hdr.Names, isRepeatColumn); i >= 0 {
		v.plan.HeaderNotes = append(v.plan.HeaderNotes, hdr.Describe(i)+" says why a row repeats an earlier payment: such a row is sent as a second payment")
	}
	if opts.PlanV1 {
		fmt.Fprintf(v.sum, "rewardbatch plan v1\nbatch=%s\ncompany=%s\naccount=%s\nmax=%s\n%s\n",
			opts.BatchID, opts.CompanyID, opts.CardAccountID, opts.MaxAmount.Fixed2(), strings.Join(opts.Extra, "\n"))
	} else {
		fmt.Fprintf(v.sum, "rewardbatch plan v2\nbatch=%s\nmax=%s\n", opts.BatchID, opts.MaxAmount.Fixed2())
	}
	return v, nil
}

func checkColumns(file string, hdr *allocfile.Header, opts Options) error {
	if len(hdr.Names) == 1 {
		return &allocfile.FileError{File: file, Line: hdr.Line,
			Problem: fmt.Sprintf("the header has a single column (%q), so the delimiter was not recognised", hdr.Names[0]),
			Fix:     "separate the columns with commas, semicolons or tabs (Excel: Save As > CSV UTF-8)"}
	}
	var missing []string
	if !hdr.Has(allocfile.ColAmount) {
		missing = append(missing, allocfile.ColAmount)
	}
	if !hdr.Has(allocfile.ColCardID) && !hdr.Has(allocfile.ColCardAccountID) {
		for _, c := range []string{allocfile.ColFirstName, allocfile.ColTitle, allocfile.ColGender, allocfile.ColEmail, allocfile.ColMobile} {
			if !hdr.Has(c) {
				missing = append(missing, c)
			}
		}
	}
	noRef := !hdr.Has(allocfile.ColReference) && opts.BatchID == ""
	switch {
	case len(missing) > 0:
		fix := "add the missing column (header names are matched ignoring case, spaces and punctuation; Employee Name, Mobile No., Ref No, Points " +
			"and Amount (INR) are accepted too), or name the column that holds it with --map \"Your header=" + missing[0] + "\"" +
			closestHint(hdr, missing) + "; rewardbatch template writes a file with every column"
		if noRef {
			missing = append(missing, allocfile.ColReference)
			fix += "; for the reference, add a unique value per row or run with --batch-id (for example --batch-id 2026-11)"
		}
		return &allocfile.FileError{File: file, Line: hdr.Line, Problem: fmt.Sprintf("the file has no %s column (its columns: %s)",
			strings.Join(missing, ", "), foundColumns(hdr)), Fix: fix}
	case noRef:
		return &allocfile.FileError{File: file, Line: hdr.Line,
			Problem: "the file has no uniqueReferenceNumber column, so rows have no reference that keeps them from being paid twice",
			Fix:     "add a uniqueReferenceNumber column with a unique value per row, or run with --batch-id (for example --batch-id 2026-11) to derive stable references"}
	}
	return nil
}

// lineWord is what a position counts: lines of a CSV file, rows of a
// sheet.
func (v *Validator) lineWord() string {
	if v.sheet != "" {
		return "row"
	}
	return "line"
}

// Check validates one row. Rows must be given in file order.
func (v *Validator) Check(row *allocfile.Row) *reward.Item {
	c := rowCheck{v: v, row: row, it: &reward.Item{Line: row.Line, Values: row.Values}}
	c.run()
	it := c.it
	it.Valid = true
	for i := range it.Issues {
		is := &it.Issues[i]
		if is.Severity == reward.SevWarning && v.opts.Strict {
			makeStrict(is)
		}
		switch is.Severity {
		case reward.SevError:
			it.Valid = false
			v.plan.Errors++
		case reward.SevWarning:
			v.plan.Warnings++
			if len(v.plan.WarningList) < maxListedWarnings {
				v.plan.WarningList = append(v.plan.WarningList, *is)
			}
		case reward.SevNote:
			v.plan.Notes++
		}
	}
	v.plan.RowsRead++
	if !it.Valid {
		v.plan.Invalid++
		return it
	}
	v.plan.Valid++
	a := it.Allocation
	t := v.plan.Ops[a.Operation]
	if t == nil {
		t = &OpTotal{}
		v.plan.Ops[a.Operation] = t
	}
	t.Rows++
	t.Total = t.Total.Add(a.Amount)
	v.hashRow(&a, &row.Record)
	return it
}

// hashRow adds a valid row to the plan hash: its normalised values, with
// the company and account the row itself gives (empty: the run's
// configured ones, which the run's scope binds), so that the hash does not
// depend on the configuration; v1 took the configured ones.
func (v *Validator) hashRow(a *reward.Allocation, rec *allocfile.Record) {
	company, account := a.CompanyID, a.CardAccountID
	if !v.opts.PlanV1 {
		company, account = strings.TrimSpace(rec.CompanyID), strings.TrimSpace(rec.CardAccountID)
	}
	b := v.line[:0]
	for i, f := range [...]string{string(a.Operation), a.Reference, company, account, a.EnkashCardID,
		a.FirstName, a.Title, a.Gender, a.Email, a.Mobile} {
		if i > 0 {
			b = append(b, '|')
		}
		b = append(b, f...)
	}
	b = append(b, '|')
	b = strconv.AppendInt(b, a.Amount.Hundredths(), 10)
	b = append(b, '/', byte('0'+a.Amount.Scale()), '\n')
	v.line = b
	_, _ = v.sum.Write(b)
}

// makeStrict turns a warning into an error, as --strict asks.
func makeStrict(is *reward.Issue) {
	is.Severity = reward.SevError
	const why = "--strict refuses every warning: resolve it, or run without --strict to accept it"
	if is.Fix == "" {
		is.Fix = why
	} else {
		is.Fix += "; " + why
	}
}

// Plan returns the totals so far; call it after the last row.
func (v *Validator) Plan() *Plan {
	p := v.plan
	p.Hash = fmt.Sprintf("%x", v.sum.Sum(nil))
	return &p
}

var refEncoding = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// DeriveReference returns the reference of a row without one: the batch id
// and a hash of the operation, the person, the amount in hundredths and the
// occurrence of that same combination in the file. Rerunning the same
// file, or a corrected copy, gives every unchanged row the same reference.
func DeriveReference(batchID string, op reward.Operation, person string, amount money.Amount, occurrence int) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{
		batchID, string(op), person, strconv.FormatInt(amount.Hundredths(), 10), strconv.Itoa(occurrence),
	}, "\x1f")))
	return "RB-" + batchID + "-" + refEncoding.EncodeToString(sum[:10])
}
