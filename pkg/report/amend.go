package report

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
	nIn := len(header) - len(ResultColumns)
	refIdx := -1
	for i := 0; i < nIn && refIdx < 0; i++ {
		if allocfile.Canonical(header[i]) == allocfile.ColReference {
			refIdx = i
		}
	}
	if nIn < 0 || refIdx < 0 {
		return nil, 0, fmt.Errorf("%s has no reference column", ResultsFile)
	}
	col := func(name string) int {
		for i, c := range ResultColumns {
			if c == name {
				return nIn + i
			}
		}
		panic("unknown result column " + name)
	}
	status, pg, card, txn, code, msg := col("status"), col("pgReferenceNumber"), col("enKashCardId"),
		col("enkashCardTxnId"), col("errorCode"), col("errorMessage")

	results, err := CreateCSV(filepath.Join(dir, ResultsFile), header)
	if err != nil {
		return nil, 0, err
	}
	failed, err := CreateCSV(filepath.Join(dir, FailedFile), append(append([]string(nil), header[:nIn]...), "status", "reason"))
	if err != nil {
		results.Abort()
		return nil, 0, err
	}
	abort := func(err error) (*Summary, int, error) {
		results.Abort()
		failed.Abort()
		return nil, 0, err
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
		if ch, ok := changes[row[refIdx]]; ok && row[status] == string(reward.StatusUnknown) {
			row[status], row[pg], row[card], row[txn], row[code], row[msg] = string(ch.Status), ch.PGReferenceNumber,
				ch.EnKashCardID, ch.EnkashCardTxnID, ch.ErrorCode, ch.ErrorMessage
			s.Statuses[reward.StatusUnknown]--
			s.Statuses[ch.Status]++
			if t := s.Ops[ch.Operation]; t != nil && ch.Status == reward.StatusMatched {
				t.ConfirmedRows++
				t.ConfirmedPoints = t.ConfirmedPoints.Add(ch.Amount)
			}
			changed++
		}
		if err := results.Write(row); err != nil {
			return abort(err)
		}
		if !reward.Status(row[status]).Done() {
			fr := append(append([]string(nil), row[:nIn]...), row[status], failureReason(row[code], row[msg]))
			if err := failed.Write(fr); err != nil {
				return abort(err)
			}
		}
	}
	s.ExitCode = exitcode.FromStatuses(s.Statuses, s.Stopped != "")
	s.ExitMeaning = exitcode.Meaning(s.ExitCode)
	if err := commitPair(results, failed); err != nil {
		return nil, 0, err
	}
	if err := WriteJSON(filepath.Join(dir, SummaryFile), &s); err != nil {
		return nil, 0, err
	}
	return &s, changed, nil
}

// failureReason is the reason column of failed.csv.
func failureReason(code, message string) string {
	if code != "" && code != reward.CodeInvalid {
		return code + ": " + message
	}
	return message
}
