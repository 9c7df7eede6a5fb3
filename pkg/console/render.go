package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages are the templates, parsed once: each page is the layout plus its
// own file.
type pages struct{ byName map[string]*template.Template }

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2 Jan 2006 15:04 UTC")
	},
	"short": func(h string) string {
		if len(h) > 12 {
			return h[:12]
		}
		return h
	},
	"stateLabel": stateLabel,
	"statusTone": statusTone,
	"can":        func(u store.User, role string) bool { return u.Role.Can(store.Role(role)) },
	"planOf":     plan,
	"add":        func(a, b int) int { return a + b },
	"sub":        func(a, b int) int { return a - b },
	"pager":      pagerOf,
	"label":      columnLabel,
}

// columnLabels are friendlier headings for the columns of results.csv.
var columnLabels = map[string]string{
	"row": "Row", "status": "Status", "uniqueReferenceNumber": "Reference", "firstName": "Name",
	"operation": "Operation", "loadAmount": "Points", "pgReferenceNumber": "EnKash reference",
	"errorCode": "Error", "errorMessage": "Details",
}

func columnLabel(name string) string {
	if l, ok := columnLabels[name]; ok {
		return l
	}
	return name
}

// pagerData is what the pager template needs: the table, and the query
// string (the filters) each page link keeps.
type pagerData struct {
	T *table
	Q template.URL
}

// pagerOf builds the pager of t; kv are query names and values.
func pagerOf(t *table, kv ...string) pagerData {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	q := v.Encode()
	if q != "" {
		q += "&"
	}
	return pagerData{T: t, Q: template.URL(q)} //nolint:gosec // url.Values.Encode escapes every value
}

func parsePages() (*pages, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("console: parsing the layout: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return nil, fmt.Errorf("console: parsing %s: %w", f, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// view is what every page gets: the signed-in user, the CSRF token of its
// forms, and the page's own data.
type view struct {
	Title   string
	Nav     string
	User    store.User
	CSRF    string
	Sandbox bool
	Version string
	Data    any
}

// render writes a page with status 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, page, title string, data any) {
	s.renderStatus(w, r, http.StatusOK, page, title, data)
}

func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, page, title string, data any) {
	t := s.pages.byName[page]
	if t == nil {
		panic("console: no template " + page)
	}
	ss := sessionOf(r)
	v := view{Title: title, Nav: page, User: ss.User, CSRF: ss.CSRF, Sandbox: s.cfg.Sandbox, Version: s.cfg.Version, Data: data}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		s.cfg.Log.Error("console: rendering", zap.String("page", page), zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = b.WriteTo(w)
}

// fail shows a page that says what went wrong and what to do.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.renderStatus(w, r, status, "error", http.StatusText(status), msg)
}

func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // no folder listings
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// stateLabel is a batch state in words.
func stateLabel(st store.State) string {
	switch st {
	case store.StateInvalid:
		return "Needs fixing"
	case store.StateChecked:
		return "Checked, not submitted"
	case store.StatePending:
		return "Waiting for approval"
	case store.StateRejected:
		return "Rejected"
	case store.StateApproved:
		return "Approved, queued"
	case store.StateRunning:
		return "Sending"
	case store.StateFinished:
		return "Sent"
	case store.StateStopped:
		return "Stopped"
	}
	return string(st)
}

// statusTone maps a state or row status to a colour class; the label is
// always written out too, so colour is never the only signal.
func statusTone(s string) string {
	switch s {
	case string(reward.StatusMatched), string(reward.StatusSkipped), string(store.StateFinished), string(store.StateApproved), string(store.StateChecked), "ok":
		return "good"
	case string(reward.StatusFailed), string(reward.StatusMismatch), string(reward.StatusInvalid), string(store.StateInvalid),
		string(store.StateRejected), string(store.StateStopped), "error", "bad":
		return "bad"
	case string(reward.StatusUnknown), string(reward.StatusNotSent), string(store.StatePending), "warning":
		return "warn"
	}
	return "info"
}

// grouped puts thousands separators into a decimal string for reading:
// 347510.00 becomes 347,510.00. Display only; files keep the plain form.
func grouped(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		return sign + b.String() + "." + frac
	}
	return sign + b.String()
}
