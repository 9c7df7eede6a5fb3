package report

import (
	"path/filepath"
	"strconv"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// The names of a run's files in its folder.
const (
	ResultsFile = "results.csv"
	FailedFile  = "failed.csv"
	SummaryFile = "summary.json"
)

// ResultColumns follow the input's own columns in results.csv: the row's
// line, its status, what EnKash answered, and last the normalised values
// sent (sent...) to set beside the input's own. The input's card column,
// if any, is named [InputCardColumn] there, so that each name has one
// meaning. The first six keep their places: the ledger's rebuild reads
// them by position.
var ResultColumns = []string{"row", "status", "pgReferenceNumber", "enkashCardId", "enkashCardTxnId", "otbBalance",
	"attempts", "errorCode", "errorMessage", "latencyMs", "sentMobile", "sentTitle", "sentGender", "sentEmail"}

// legacyResultColumns are the result columns before the sent... columns
// and the renamed card columns: Amend still reads a run folder written
// then.
var legacyResultColumns = []string{"row", "status", "pgReferenceNumber", "enKashCardId", "enkashCardTxnId", "otbBalance",
	"attempts", "errorCode", "errorMessage", "latencyMs"}

// InputCardColumn names the input's card column in results.csv and
// failed.csv; the reader takes it as the card column when fed back.
const InputCardColumn = allocfile.ColInputCardID

// Results writes results.csv (every row) and failed.csv (every row that is
// not MATCHED or SKIPPED, in the input's own columns plus status and
// reason, ready to be corrected and fed back), and keeps the totals of the
// summary. It is not safe for concurrent use.
type Results struct {
	results, failed *CSVFile
	addRef          bool // the input has no reference column: append the one used
	tally           Tally
	row             []string
	lastFlush       time.Time
	noLatency       bool
}

// Tally counts outcomes per status and operation.
type Tally struct {
	Rows     int                           `json:"rows"`
	Statuses map[reward.Status]int         `json:"statuses"`
	Ops      map[reward.Operation]*OpTally `json:"operations"`
}

// OpTally are the rows and points of one operation: all valid rows, the
// ones sent in this run, the ones confirmed in this run, and the ones an
// earlier run had already done.
type OpTally struct {
	Rows            int          `json:"rows"`
	Points          money.Amount `json:"points"`
	SentRows        int          `json:"sentRows"`
	SentPoints      money.Amount `json:"sentPoints"`
	ConfirmedRows   int          `json:"confirmedRows"`
	ConfirmedPoints money.Amount `json:"confirmedPoints"`
	SkippedRows     int          `json:"alreadyDoneRows"`
	SkippedPoints   money.Amount `json:"alreadyDonePoints"`
}

// NewTally returns an empty tally with every status and operation present.
func NewTally() Tally {
	t := Tally{Statuses: map[reward.Status]int{}, Ops: map[reward.Operation]*OpTally{}}
	for _, s := range reward.Statuses {
		t.Statuses[s] = 0
	}
	for _, op := range reward.Operations {
		t.Ops[op] = &OpTally{Points: money.FromHundredths(0), SentPoints: money.FromHundredths(0),
			ConfirmedPoints: money.FromHundredths(0), SkippedPoints: money.FromHundredths(0)}
	}
	return t
}

// Add counts one outcome.
func (t *Tally) Add(o *reward.Outcome) {
	t.Rows++
	t.Statuses[o.Status]++
	if !o.Item.Valid {
		return
	}
	a := o.Item.Allocation
	op := t.Ops[a.Operation]
	if op == nil {
		return
	}
	op.Rows++
	op.Points = op.Points.Add(a.Amount)
	if o.Sent() {
		op.SentRows++
		op.SentPoints = op.SentPoints.Add(a.Amount)
	}
	switch o.Status {
	case reward.StatusMatched:
		op.ConfirmedRows++
		op.ConfirmedPoints = op.ConfirmedPoints.Add(a.Amount)
	case reward.StatusSkipped:
		op.SkippedRows++
		op.SkippedPoints = op.SkippedPoints.Add(a.Amount)
	}
}

// CreateResults starts results.csv and failed.csv in dir for an input with
// header hdr.
func CreateResults(dir string, hdr *allocfile.Header, style Style) (*Results, error) {
	in, addRef := inputColumns(hdr)
	for i, n := range in {
		if allocfile.Canonical(n) == allocfile.ColCardID {
			in[i] = InputCardColumn
		}
	}
	results, err := CreateCSV(filepath.Join(dir, ResultsFile), append(append([]string(nil), in...), ResultColumns...), style)
	if err != nil {
		return nil, err
	}
	failed, err := CreateCSV(filepath.Join(dir, FailedFile), append(append([]string(nil), in...), "status", "reason"), style)
	if err != nil {
		results.Abort()
		return nil, err
	}
	return &Results{results: results, failed: failed, addRef: addRef, tally: NewTally(), lastFlush: time.Now()}, nil
}

// Add writes one outcome. Outcomes come in input order, except rows the
// engine parked to settle a lost answer, which come when settled.
func (r *Results) Add(o *reward.Outcome) error {
	r.tally.Add(o)
	r.row = append(r.row[:0], o.Item.Values...)
	if r.addRef {
		r.row = append(r.row, o.Item.Allocation.Reference)
	}
	in := len(r.row)
	attempts, latency := strconv.Itoa(o.Attempts), strconv.FormatInt(o.Latency.Milliseconds(), 10)
	if r.noLatency {
		latency = ""
	}
	r.row = append(r.row, strconv.Itoa(o.Item.Line), string(o.Status), o.PGReferenceNumber, o.EnKashCardID,
		o.EnkashCardTxnID, o.OTBBalance, attempts, o.ErrorCode, o.ErrorMessage, latency)
	if a := &o.Item.Allocation; o.Item.Valid {
		r.row = append(r.row, a.Mobile, a.Title, a.Gender, a.Email)
	} else {
		r.row = append(r.row, "", "", "", "")
	}
	if err := r.results.Write(r.row); err != nil {
		return err
	}
	if !o.Status.Done() {
		r.row = append(r.row[:in], string(o.Status), failureReason(o.ErrorCode, o.ErrorMessage))
		if err := r.failed.Write(r.row); err != nil {
			return err
		}
	}
	if time.Since(r.lastFlush) > time.Second {
		r.lastFlush = time.Now()
		if err := r.results.Flush(); err != nil {
			return err
		}
		return r.failed.Flush()
	}
	return nil
}

// OmitLatency leaves latencyMs empty: a report rebuilt from the ledger does
// not know it.
func (r *Results) OmitLatency() { r.noLatency = true }

// Tally returns the totals so far.
func (r *Results) Tally() Tally { return r.tally }

// Commit puts both files in place.
func (r *Results) Commit() error { return commitPair(r.results, r.failed) }

// Abort drops both files.
func (r *Results) Abort() {
	r.results.Abort()
	r.failed.Abort()
}

// inputColumns are the input's own columns that reports carry, plus a
// uniqueReferenceNumber column when the input has none (its references were
// derived from --batch-id); addRef reports the latter.
func inputColumns(hdr *allocfile.Header) (cols []string, addRef bool) {
	cols = hdr.OutNames()
	if !hdr.Has(allocfile.ColReference) {
		return append(cols, allocfile.ColReference), true
	}
	return cols, false
}
