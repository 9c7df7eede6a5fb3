package htmlreport

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// File is the page's name in a run folder.
const File = "summary.html"

// MaxListed bounds the rows needing attention that the page lists; the
// rest are in failed.csv.
const MaxListed = 500

//go:embed summary.html.tmpl
var pageText string

var page = template.Must(template.New(File).Parse(pageText))

// Write renders the run's summary and the rows of its failed.csv into
// summary.html in dir, atomically, mode 0600.
func Write(dir string, s *report.Summary) error {
	var b bytes.Buffer
	if err := Render(&b, dir, s, nil); err != nil {
		return err
	}
	return report.WriteFileAtomic(filepath.Join(dir, File), b.Bytes())
}

// Batch is what the web console knows of a run beyond its folder: the
// uploaded batch's name, who uploaded it, and the approvers' decisions.
type Batch struct {
	Name       string
	Uploader   string
	UploadedAt time.Time
	Decisions  []Decision
}

// Decision is one approver's decision on a batch.
type Decision struct {
	User    string
	Approve bool
	At      time.Time
	Comment string
}

// Render writes the page of the run in dir to w: summary.html itself, or,
// with a batch, the console's print page (the same page, headed with the
// batch and its approvals).
func Render(w io.Writer, dir string, s *report.Summary, b *Batch) error {
	d, err := build(dir, s)
	if err != nil {
		return err
	}
	d.Batch = b
	if err := page.Execute(w, d); err != nil {
		return fmt.Errorf("writing %s: %w", File, err)
	}
	return nil
}

// StyleSource is the Content-Security-Policy source that allows the page's
// one inline style and nothing else, for a server that serves the page.
func StyleSource() string { return styleSource }

var styleSource = func() string {
	_, rest, _ := strings.Cut(pageText, "<style>")
	css, _, _ := strings.Cut(rest, "</style>")
	sum := sha256.Sum256([]byte(css))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

// data is what the page shows.
type data struct {
	S        *report.Summary
	Batch    *Batch // the console's batch, on its print page
	Ops      []opRow
	Statuses []statusRow
	Failed   []failedRow
	More     int // rows needing attention beyond MaxListed
	Steps    []step
	Verdict  string
}

type opRow struct {
	Op                               string
	Rows, Confirmed, Skipped         int
	Points, ConfirmedPts, SkippedPts string
}

type statusRow struct {
	Status, Meaning, Class string
	Count                  int
}

type failedRow struct {
	Reference, Name, Amount, Status, Reason string
}

type step struct{ Status, Do string }

// meanings say each status in words; nextSteps say what to do about a row
// left in it. No step sends a row again by hand: a rerun or reconcile
// looks each one up first, so none is paid twice.
var meanings = map[reward.Status]string{
	reward.StatusMatched:  "credited, confirmed by EnKash",
	reward.StatusSkipped:  "already done by an earlier run: not sent again",
	reward.StatusFailed:   "refused by EnKash, or provably not applied",
	reward.StatusUnknown:  "sent, but whether EnKash applied it is not known yet",
	reward.StatusMismatch: "applied, but EnKash's reference or amount differs",
	reward.StatusInvalid:  "refused by the check: not sent",
	reward.StatusNotSent:  "the run stopped before sending it",
}

var nextSteps = map[reward.Status]string{
	reward.StatusFailed: "correct the rows in failed.csv as the reason says and run failed.csv; rows already credited are skipped, " +
		"so none is paid twice",
	reward.StatusUnknown: "do not send these again by hand: run rewardbatch reconcile on this run (or rerun the same file, " +
		"which looks each one up at EnKash before sending)",
	reward.StatusMismatch: "stop and investigate with EnKash before anything else is sent for these people",
	reward.StatusInvalid:  "fix the rows in failed.csv as the reason says and run failed.csv",
	reward.StatusNotSent:  "rerun the same file: it sends these rows, and skips the ones already done",
}

// build gathers the page's data.
func build(dir string, s *report.Summary) (*data, error) {
	d := &data{S: s, Verdict: s.ExitMeaning}
	for _, op := range reward.Operations {
		t := s.Ops[op]
		if t == nil {
			continue
		}
		d.Ops = append(d.Ops, opRow{Op: string(op), Rows: t.Rows, Points: t.Points.Fixed2(), Confirmed: t.ConfirmedRows,
			ConfirmedPts: t.ConfirmedPoints.Fixed2(), Skipped: t.SkippedRows, SkippedPts: t.SkippedPoints.Fixed2()})
	}
	for _, st := range reward.Statuses {
		n := s.Statuses[st]
		if n == 0 {
			continue
		}
		class := "bad"
		if st.Done() {
			class = "good"
		}
		d.Statuses = append(d.Statuses, statusRow{Status: string(st), Meaning: meanings[st], Class: class, Count: n})
		if next, ok := nextSteps[st]; ok {
			d.Steps = append(d.Steps, step{Status: string(st), Do: next})
		}
	}
	return d, d.readFailed(filepath.Join(dir, report.FailedFile))
}

// readFailed lists the first MaxListed rows of failed.csv; a run without
// one lists none.
func (d *data) readFailed(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", report.FailedFile, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("reading %s: %w", report.FailedFile, err)
	}
	header[0] = strings.TrimPrefix(header[0], report.BOM)
	col := columnsOf(header)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", report.FailedFile, err)
		}
		if len(d.Failed) >= MaxListed {
			d.More++
			continue
		}
		d.Failed = append(d.Failed, col.row(rec))
	}
}

// failedCols are the positions in failed.csv of what the page lists.
type failedCols struct{ ref, name, amount, status, reason int }

func columnsOf(header []string) failedCols {
	c := failedCols{-1, -1, -1, len(header) - 2, len(header) - 1}
	for i, h := range header[:max(0, len(header)-2)] {
		switch allocfile.Canonical(h) {
		case allocfile.ColReference:
			c.ref = i
		case allocfile.ColFirstName:
			c.name = i
		case allocfile.ColAmount:
			c.amount = i
		}
	}
	return c
}

func (c failedCols) row(rec []string) failedRow {
	cell := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return allocfile.Unguard(rec[i])
	}
	amt := cell(c.amount)
	if a, err := money.Parse(amt); err == nil {
		amt = a.Fixed2()
	}
	return failedRow{Reference: cell(c.ref), Name: cell(c.name), Amount: amt, Status: cell(c.status), Reason: cell(c.reason)}
}
