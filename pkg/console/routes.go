package console

import (
	"bytes"
	"io"
	"net/http"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/filetemplate"
)

// routes is every route of the console, in one place.
func (s *Server) routes() http.Handler {
	m := http.NewServeMux()
	m.Handle("GET /static/", staticHandler())
	m.HandleFunc("GET /template.csv", templateAction(filetemplate.WriteCSV, "text/csv; charset=utf-8", "allocations-template.csv"))
	m.HandleFunc("GET /template.xlsx", templateAction(filetemplate.WriteXLSX,
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "allocations-template.xlsx"))
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.loginAction)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })

	// page needs a signed-in user with role; action also a CSRF token. The
	// upload reads its token from the first part of its multipart body.
	page := func(role store.Role, h http.HandlerFunc) http.Handler { return s.authenticated(s.requireRole(role, h)) }
	action := func(role store.Role, h http.HandlerFunc) http.Handler {
		return s.authenticated(s.requireRole(role, s.checkCSRF(h)))
	}
	m.Handle("POST /logout", action(store.RoleViewer, s.logoutAction))
	m.Handle("GET /{$}", page(store.RoleViewer, s.batchesPage))
	m.Handle("GET /upload", page(store.RoleUploader, s.uploadPage))
	m.Handle("POST /upload", page(store.RoleUploader, s.uploadAction))
	m.Handle("GET /batches/{id}", page(store.RoleViewer, s.batchPage))
	m.Handle("GET /batches/{id}/files/{name}", page(store.RoleViewer, s.downloadAction))
	m.Handle("POST /batches/{id}/submit", action(store.RoleUploader, s.submitAction))
	m.Handle("POST /batches/{id}/recheck", action(store.RoleUploader, s.recheckAction))
	m.Handle("POST /batches/{id}/decide", action(store.RoleApprover, s.decideAction))
	m.Handle("POST /batches/{id}/resume", action(store.RoleApprover, s.resumeAction))
	m.Handle("POST /batches/{id}/resend", action(store.RoleUploader, s.resendAction))
	m.Handle("GET /batches/{id}/progress", page(store.RoleViewer, s.progressPage))
	m.Handle("GET /batches/{id}/events", page(store.RoleViewer, s.eventsAction))
	m.Handle("GET /batches/{id}/results", page(store.RoleViewer, s.resultsPage))
	m.Handle("GET /batches/{id}/print", page(store.RoleViewer, s.printPage))
	m.Handle("GET /history", page(store.RoleViewer, s.historyPage))
	m.Handle("GET /audit", page(store.RoleViewer, s.auditPage))
	m.Handle("GET /users", page(store.RoleAdmin, s.usersPage))
	m.Handle("POST /users", action(store.RoleAdmin, s.addUserAction))

	var h http.Handler = m
	h = http.NewCrossOriginProtection().Handler(h)
	h = securityHeaders(h)
	h = s.recoverer(h)
	return h
}

// templateAction serves the allocation template that `rewardbatch
// template` writes, as a download: the same file from the same code.
func templateAction(write func(io.Writer) error, contentType, name string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			http.Error(w, "the template cannot be made", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		_, _ = w.Write(b.Bytes())
	}
}
