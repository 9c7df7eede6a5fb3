package console

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sheet"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

type opRow struct {
	Op     string
	Rows   int
	Points string
}

type problem struct {
	Line, Column, Value, Severity, Problem, Fix, Original string
}

type batchData struct {
	Batch      store.Batch
	Plan       *validate.Plan
	Ops        []opRow
	Credits    string
	Decisions  []store.Decision
	Need       int
	Approvals  int
	CanSubmit  bool
	CanDecide  bool
	Mine       bool // the viewer uploaded it
	CanResume  bool
	HasResults bool
	CanRecheck bool
	Balance    string
	Problems   []problem
	Table      *table
	Query      string
	Severity   string
	Severities []string
}

func (s *Server) batchPage(w http.ResponseWriter, r *http.Request) {
	b, ok := s.loadBatch(w, r)
	if !ok {
		return
	}
	d, err := s.batchView(r, b)
	if err != nil {
		s.cfg.Log.Error("console: batch page", zap.Error(err))
		s.fail(w, r, http.StatusInternalServerError, "The batch could not be shown.")
		return
	}
	s.render(w, r, "batch", b.Name, d)
}

func (s *Server) batchView(r *http.Request, b store.Batch) (*batchData, error) {
	u := sessionOf(r).User
	d := &batchData{Batch: b, Plan: plan(b), Need: s.approvalsNeeded(b), Mine: b.Uploader == u.Name,
		Query: r.URL.Query().Get("q"), Severity: r.URL.Query().Get("severity"),
		Severities: []string{string(reward.SevError), string(reward.SevWarning), string(reward.SevNote)}}
	if d.Plan != nil {
		for _, op := range reward.Operations {
			t := d.Plan.Op(op)
			d.Ops = append(d.Ops, opRow{Op: string(op), Rows: t.Rows, Points: grouped(t.Total.Fixed2())})
		}
		d.Credits = grouped(d.Plan.Credits().Fixed2())
	}
	var err error
	if d.Decisions, err = s.store.Decisions(r.Context(), b.ID); err != nil {
		return nil, err
	}
	d.Approvals = approvals(d.Decisions, b.PlanHash)
	_, serr := s.summary(b)
	d.HasResults = serr == nil
	d.CanResume = resumable(b) && !d.Mine && u.Role.Can(store.RoleApprover) && d.Approvals >= d.Need
	d.CanSubmit = b.State == store.StateChecked && (d.Mine || u.Role == store.RoleAdmin)
	d.CanRecheck = slices.Contains(store.Checkable, b.State) && (d.Mine || u.Role == store.RoleAdmin)
	d.CanDecide = b.State == store.StatePending && u.Role.Can(store.RoleApprover) && !d.Mine && !decided(d.Decisions, u.Name, b.PlanHash)
	if d.CanDecide {
		d.Balance = s.balance(r)
	}
	f := filter{col: 3, want: d.Severity, text: d.Query}
	if d.Table, err = readTable(filepath.Join(s.checkDir(b.ID), report.ValidationFile), f, pageNumber(r.URL.Query().Get("page"))); err != nil {
		return nil, err
	}
	d.Problems = s.problems(b, d.Table)
	return d, nil
}

func decided(ds []store.Decision, user, hash string) bool {
	for _, d := range ds {
		if d.User == user && d.PlanHash == hash {
			return true
		}
	}
	return false
}

// balance is the reward account's available balance, in words.
func (s *Server) balance(r *http.Request) string {
	acc, err := s.cfg.API.Account(r.Context())
	if err != nil {
		s.cfg.Log.Warn("console: reading the balance", zap.Error(err))
		return "unavailable (EnKash did not answer; the run checks it again before sending)"
	}
	bal, err := acc.Balance()
	if err != nil {
		return "unavailable"
	}
	return grouped(bal.Fixed2()) + " points"
}

// problems pairs each finding of the page with its original row.
func (s *Server) problems(b store.Batch, t *table) []problem {
	lines := map[int]string{}
	for _, row := range t.Rows {
		if n, err := strconv.Atoi(cell(row, 0)); err == nil {
			lines[n] = ""
		}
	}
	if len(lines) > 0 {
		s.originalRows(s.uploadPath(b.ID), lines)
	}
	out := make([]problem, 0, len(t.Rows))
	for i, row := range t.Rows {
		n, _ := strconv.Atoi(cell(row, 0))
		p := problem{Line: cell(row, 0), Column: cell(row, 1), Value: cell(row, 2), Severity: cell(row, 3),
			Problem: cell(row, 4), Fix: cell(row, 5)}
		if i+1 == len(t.Rows) || cell(t.Rows[i+1], 0) != p.Line { // once, under the line's last finding
			p.Original = lines[n]
		}
		out = append(out, p)
	}
	return out
}

func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

// originalRows fills lines with the rows of the file that start on those
// lines, as "column: value" pairs.
func (s *Server) originalRows(path string, lines map[int]string) {
	var src io.ReadCloser
	var err error
	if strings.HasSuffix(path, ".xlsx") {
		src, _, err = sheet.Open(path, "", "") // a line is the sheet's row
	} else {
		src, err = os.Open(path)
	}
	if err != nil {
		return
	}
	defer src.Close()
	rd, err := allocfile.NewReader(filepath.Base(path), src)
	if err != nil {
		return
	}
	names := rd.Header().OutNames()
	for left := len(lines); left > 0; {
		row, err := rd.Read()
		if errors.Is(err, io.EOF) || (err != nil && row == nil) {
			return
		}
		if _, want := lines[row.Line]; !want {
			continue
		}
		var b strings.Builder
		for i, v := range row.Values {
			if i > 0 {
				b.WriteString(" · ")
			}
			if i < len(names) {
				b.WriteString(names[i] + ": ")
			}
			b.WriteString(v)
		}
		lines[row.Line] = b.String()
		left--
	}
}
