package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/htmlreport"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

type statusCount struct {
	Status string
	Rows   int
}

type opResult struct {
	Op                                                 string
	Rows, SentRows, ConfirmedRows, SkippedRows         int
	Points, SentPoints, ConfirmedPoints, SkippedPoints string
}

type resultsData struct {
	Batch     store.Batch
	Summary   *report.Summary
	Statuses  []statusCount
	Ops       []opResult
	Table     *table
	Columns   []int // the columns of results.csv the table shows
	Status    string
	Query     string
	StatusSet []string
	Failed    int
	Verdict   string
	Decisions []store.Decision // the verdicts on the plan that was sent
}

// shownColumns are the results.csv columns the table shows, when present.
var shownColumns = []string{"row", "status", "uniqueReferenceNumber", "firstName", "operation", "loadAmount",
	"pgReferenceNumber", "errorCode", "errorMessage"}

func (s *Server) resultsPage(w http.ResponseWriter, r *http.Request) {
	b, ok := s.loadBatch(w, r)
	if !ok {
		return
	}
	d, err := s.resultsView(r, b)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, "This batch has no results yet.")
		return
	}
	s.render(w, r, "results", "Results of "+b.Name, d)
}

func (s *Server) resultsView(r *http.Request, b store.Batch) (*resultsData, error) {
	sum, err := s.summary(b)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	d := &resultsData{Batch: b, Summary: sum, Status: q.Get("status"), Query: q.Get("q")}
	for _, st := range reward.Statuses {
		d.StatusSet = append(d.StatusSet, string(st))
		if n := sum.Statuses[st]; n > 0 {
			d.Statuses = append(d.Statuses, statusCount{string(st), n})
			if !st.Done() {
				d.Failed += n
			}
		}
	}
	d.Verdict = verdict(sum, d.Failed)
	ds, err := s.store.Decisions(r.Context(), b.ID)
	if err != nil {
		return nil, err
	}
	for _, dc := range ds {
		if dc.PlanHash == b.PlanHash {
			d.Decisions = append(d.Decisions, dc)
		}
	}
	for _, op := range reward.Operations {
		if t := sum.Ops[op]; t != nil {
			d.Ops = append(d.Ops, opResult{Op: string(op), Rows: t.Rows, SentRows: t.SentRows, ConfirmedRows: t.ConfirmedRows,
				SkippedRows: t.SkippedRows, Points: grouped(t.Points.Fixed2()), SentPoints: grouped(t.SentPoints.Fixed2()),
				ConfirmedPoints: grouped(t.ConfirmedPoints.Fixed2()), SkippedPoints: grouped(t.SkippedPoints.Fixed2())})
		}
	}
	path := filepath.Join(s.batchDir(b.ID), b.RunID, report.ResultsFile)
	head, err := readTable(path, filter{col: -1}, 1)
	if err != nil {
		return nil, err
	}
	if d.Table, err = readTable(path, filter{col: head.column("status"), want: d.Status, text: d.Query}, pageNumber(q.Get("page"))); err != nil {
		return nil, err
	}
	for _, c := range shownColumns {
		if i := d.Table.column(c); i >= 0 {
			d.Columns = append(d.Columns, i)
		}
	}
	return d, nil
}

// summary reads the summary.json of b's run.
func (s *Server) summary(b store.Batch) (*report.Summary, error) {
	if b.RunID == "" || !validRunID(b.RunID) {
		return nil, os.ErrNotExist
	}
	raw, err := os.ReadFile(filepath.Join(s.batchDir(b.ID), b.RunID, report.SummaryFile))
	if err != nil {
		return nil, err
	}
	var sum report.Summary
	if err := json.Unmarshal(raw, &sum); err != nil {
		return nil, err
	}
	return &sum, nil
}

// validRunID accepts the run folder names the runner makes.
func validRunID(id string) bool { return len(id) > 4 && id[:4] == "run-" && validID(id[4:]) }

// printPage serves the run's summary.html page, headed with the batch and
// its approvals: what an approver or a manager prints or files.
func (s *Server) printPage(w http.ResponseWriter, r *http.Request) {
	b, ok := s.loadBatch(w, r)
	if !ok {
		return
	}
	sum, err := s.summary(b)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, "This batch has no results yet.")
		return
	}
	ds, err := s.store.Decisions(r.Context(), b.ID)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The approvals of this batch cannot be read.")
		return
	}
	pb := &htmlreport.Batch{Name: b.Name, Uploader: b.Uploader, UploadedAt: b.CreatedAt}
	for _, d := range ds {
		pb.Decisions = append(pb.Decisions, htmlreport.Decision{User: d.User, Approve: d.Approve, At: d.At, Comment: d.Comment})
	}
	var page bytes.Buffer
	if err := htmlreport.Render(&page, filepath.Join(s.batchDir(b.ID), b.RunID), sum, pb); err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The summary of this run cannot be shown.")
		return
	}
	w.Header().Set("Content-Security-Policy", printPolicy)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(page.Bytes())
}

// printPolicy is the print page's Content-Security-Policy: the console's,
// with the page's one inline style allowed by its hash.
var printPolicy = strings.Replace(contentSecurityPolicy, "style-src 'self'", "style-src "+htmlreport.StyleSource(), 1)

// verdict says in one sentence how a run ended.
func verdict(sum *report.Summary, notDone int) string {
	m := sum.ExitMeaning
	if m != "" {
		m = strings.ToUpper(m[:1]) + m[1:]
	}
	if notDone == 0 {
		return fmt.Sprintf("%s: all %d rows confirmed by EnKash (MATCHED) or done by an earlier run.", m, sum.Rows)
	}
	return fmt.Sprintf("%s: %d of %d rows are not done; see them below and resend them once fixed.", m, notDone, sum.Rows)
}
