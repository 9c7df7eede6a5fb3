package job

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/report"
)

// person is what finds an allocation's card: the row's e-mail and mobile.
type person struct{ email, mobile string }

// people reads the e-mail and mobile of every reference from a run's
// results.csv, so that reconcile can find an allocation's card and look
// it up on it (the ledger keeps only masked ones). A run without
// results.csv gives none: those lookups go without the card.
func people(dir string) map[string]person {
	out := map[string]person{}
	f, err := os.Open(filepath.Join(dir, report.ResultsFile))
	if err != nil {
		return out
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return out
	}
	refAt, emailAt, mobileAt := -1, -1, -1
	for i := 0; i < len(header)-len(report.ResultColumns); i++ {
		switch allocfile.Canonical(header[i]) {
		case allocfile.ColReference:
			refAt = i
		case allocfile.ColEmail:
			emailAt = i
		case allocfile.ColMobile:
			mobileAt = i
		}
	}
	if refAt < 0 {
		return out
	}
	cell := func(row []string, i int) string {
		if i < 0 || i >= len(row) {
			return ""
		}
		return row[i]
	}
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) || (err != nil && !errors.As(err, new(*csv.ParseError))) {
			return out
		}
		if err == nil && refAt < len(row) {
			out[row[refAt]] = person{email: cell(row, emailAt), mobile: cell(row, mobileAt)}
		}
	}
}
