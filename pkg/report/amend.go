package report

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// Change is the settled outcome of a row that a run left UNKNOWN.
type Change struct {
	Status            reward.Status
	PGReferenceNumber string
	EnKashCardID      string
	EnkashCardTxnID   string
	ErrorCode         string
	ErrorMessage      string
	Operation         reward.Operation
	Amount            money.Amount
}

// ErrNoResults means the run folder has no results.csv: the run did not
// finish.
var ErrNoResults = errors.New("the run folder has no results.csv (the run did not finish)")

// Amend rewrites results.csv, failed.csv and summary.json of the run in
// dir: every UNKNOWN row whose reference is in changes takes its settled
// outcome. It returns the amended summary and how many rows changed.
func Amend(dir string, changes map[string]Change) (*Summary, int, error) {
	in, err := os.Open(filepath.Join(dir, ResultsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, ErrNoResults
	}
	if err != nil {
		return nil, 0, err
	}
	defer in.Close()
	var s Summary
	if b, err := os.ReadFile(filepath.Join(dir, SummaryFile)); err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", SummaryFile, err)
	} else if err := json.Unmarshal(b, &s); err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", SummaryFile, err)
	}
	r := csv.NewReader(in)
	header, err := r.Read()
	if err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", ResultsFile, err)
	}
	style := Style{NoBOM: !strings.HasPrefix(header[0], BOM)}
	header[0] = strings.TrimPrefix(header[0], BOM)
	cols, err := resultColumnsOf(header)
	if err != nil {
		return nil, 0, err
	}
	changed, err := amendRows(dir, r, header, cols, changes, &s, style)
	if err != nil {
		return nil, 0, err
	}
	s.ExitCode = exitcode.FromStatuses(s.Statuses, s.Stopped != "")
	s.ExitMeaning = exitcode.Meaning(s.ExitCode)
	if err := WriteJSON(filepath.Join(dir, SummaryFile), &s); err != nil {
		return nil, 0, err
	}
	return &s, changed, nil
}

// resultCols are the positions of the columns Amend reads and changes in
// a results.csv row.
type resultCols struct {
	nIn, ref, status, pg, card, txn, code, msg int
}

// resultColumnsOf finds them in the header of a results.csv, as written
// now or before the sent... columns (legacyResultColumns).
func resultColumnsOf(header []string) (resultCols, error) {
	layout, card := ResultColumns, "enkashCardId"
	if n := len(header) - len(legacyResultColumns); n >= 0 && slices.Equal(header[n:], legacyResultColumns) {
		layout, card = legacyResultColumns, "enKashCardId"
	}
	c := resultCols{nIn: len(header) - len(layout), ref: -1}
	if c.nIn < 0 || !slices.Equal(header[c.nIn:], layout) {
		return c, fmt.Errorf("%s does not end with the result columns of this tool", ResultsFile)
	}
	for i := 0; i < c.nIn && c.ref < 0; i++ {
		if allocfile.Canonical(header[i]) == allocfile.ColReference {
			c.ref = i
		}
	}
	if c.ref < 0 {
		return c, fmt.Errorf("%s has no reference column", ResultsFile)
	}
	at := func(name string) int { return c.nIn + slices.Index(layout, name) }
	c.status, c.pg, c.card, c.txn, c.code, c.msg = at("status"), at("pgReferenceNumber"), at(card),
		at("enkashCardTxnId"), at("errorCode"), at("errorMessage")
	return c, nil
}

// amendRows copies the rows of r into a new results.csv and failed.csv,
// applying changes, and keeps s's counts in step.
func amendRows(dir string, r *csv.Reader, header []string, c resultCols, changes map[string]Change, s *Summary, style Style) (int, error) {
	results, err := CreateCSV(filepath.Join(dir, ResultsFile), header, style)
	if err != nil {
		return 0, err
	}
	failed, err := CreateCSV(filepath.Join(dir, FailedFile), append(append([]string(nil), header[:c.nIn]...), "status", "reason"), style)
	if err != nil {
		results.Abort()
		return 0, err
	}
	abort := func(err error) (int, error) {
		results.Abort()
		failed.Abort()
		return 0, err
	}
	changed := 0
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return abort(fmt.Errorf("reading %s: %w", ResultsFile, err))
		}
		for i := range row { // Write guards them again
			row[i] = allocfile.Unguard(row[i])
		}
		if ch, ok := changes[row[c.ref]]; ok && row[c.status] == string(reward.StatusUnknown) {
			row[c.status], row[c.pg], row[c.card], row[c.txn], row[c.code], row[c.msg] = string(ch.Status), ch.PGReferenceNumber,
				ch.EnKashCardID, ch.EnkashCardTxnID, ch.ErrorCode, ch.ErrorMessage
			s.settle(ch)
			changed++
		}
		if err := results.Write(row); err != nil {
			return abort(err)
		}
		if !reward.Status(row[c.status]).Done() {
			if err := failed.Write(append(append([]string(nil), row[:c.nIn]...), row[c.status], failureReason(row[c.code], row[c.msg]))); err != nil {
				return abort(err)
			}
		}
	}
	return changed, commitPair(results, failed)
}

// settle moves one row's count from UNKNOWN to its settled status.
func (s *Summary) settle(ch Change) {
	s.Statuses[reward.StatusUnknown]--
	s.Statuses[ch.Status]++
	if t := s.Ops[ch.Operation]; t != nil && ch.Status == reward.StatusMatched {
		t.ConfirmedRows++
		t.ConfirmedPoints = t.ConfirmedPoints.Add(ch.Amount)
	}
}

// failureReason is the reason column of failed.csv.
func failureReason(code, message string) string {
	if code != "" && code != reward.CodeInvalid {
		return code + ": " + message
	}
	return message
}
