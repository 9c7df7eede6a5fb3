package console

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
)

// pending uploads the sample as who and submits it.
func (e *env) pending(who *browser) store.Batch {
	e.t.Helper()
	b := who.uploadFile("allocations-2026-11.csv", readSample(e.t))
	if res, body := who.action("/batches/"+b.ID+"/submit", url.Values{"plan_hash": {b.PlanHash}}); res.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("submit: %d\n%s", res.StatusCode, body)
	}
	b.State = store.StatePending
	return b
}

// TestRefusals asks for every action a user must not get, and checks the
// answer and that the batch did not move.
func TestRefusals(t *testing.T) {
	e := newEnv(t, nil, nil)
	up, ap, viewer, admin := e.login("uploader"), e.login("approver"), e.login("viewer"), e.login("admin")
	b := e.pending(up)
	own := e.pending(admin) // an admin may upload; then it may not approve
	decide := func(id, hash string) url.Values {
		return url.Values{"plan_hash": {hash}, "decision": {"approve"}, "comment": {"fine"}}
	}
	cases := []struct {
		name   string
		do     func() (*http.Response, string)
		status int
		says   string
	}{
		{"wrong role: the uploader approves", func() (*http.Response, string) {
			return up.action("/batches/"+b.ID+"/decide", decide(b.ID, b.PlanHash))
		}, http.StatusForbidden, "needs the approver role"},
		{"wrong role: a viewer approves", func() (*http.Response, string) {
			return viewer.action("/batches/"+b.ID+"/decide", decide(b.ID, b.PlanHash))
		}, http.StatusForbidden, "needs the approver role"},
		{"wrong role: a viewer uploads", func() (*http.Response, string) {
			return viewer.upload("a.csv", readSample(t), viewer.csrf)
		}, http.StatusForbidden, "needs the uploader role"},
		{"wrong role: an approver opens the users page", func() (*http.Response, string) { return ap.get("/users") },
			http.StatusForbidden, "needs the admin role"},
		{"self-approval", func() (*http.Response, string) {
			return admin.action("/batches/"+own.ID+"/decide", decide(own.ID, own.PlanHash))
		}, http.StatusForbidden, "you cannot approve it"},
		{"stale plan hash", func() (*http.Response, string) {
			return ap.action("/batches/"+b.ID+"/decide", decide(b.ID, strings.Repeat("0", 64)))
		}, http.StatusConflict, "changed since you opened the page"},
		{"missing CSRF token", func() (*http.Response, string) {
			return ap.post("/batches/"+b.ID+"/decide", decide(b.ID, b.PlanHash))
		}, http.StatusForbidden, "did not come from this console"},
		{"wrong CSRF token", func() (*http.Response, string) {
			f := decide(b.ID, b.PlanHash)
			f.Set("csrf", up.csrf) // another session's
			return ap.post("/batches/"+b.ID+"/decide", f)
		}, http.StatusForbidden, "did not come from this console"},
		{"upload without CSRF token", func() (*http.Response, string) { return up.upload("a.csv", readSample(t), "") },
			http.StatusForbidden, "did not come from this console"},
		{"cross-origin form", func() (*http.Response, string) {
			f := decide(b.ID, b.PlanHash)
			f.Set("csrf", ap.csrf)
			req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/batches/"+b.ID+"/decide", strings.NewReader(f.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			return ap.do(req)
		}, http.StatusForbidden, ""},
		{"reject without a comment", func() (*http.Response, string) {
			return ap.action("/batches/"+b.ID+"/decide", url.Values{"plan_hash": {b.PlanHash}, "decision": {"reject"}})
		}, http.StatusBadRequest, "Say why"},
		{"an unknown decision", func() (*http.Response, string) {
			return ap.action("/batches/"+b.ID+"/decide", url.Values{"plan_hash": {b.PlanHash}, "decision": {"maybe"}})
		}, http.StatusBadRequest, "Choose approve or reject"},
		{"submit twice", func() (*http.Response, string) {
			return up.action("/batches/"+b.ID+"/submit", url.Values{"plan_hash": {b.PlanHash}})
		}, http.StatusConflict, "changed since you opened the page"},
		{"someone else submits", func() (*http.Response, string) {
			return up.action("/batches/"+own.ID+"/submit", url.Values{"plan_hash": {own.PlanHash}})
		}, http.StatusForbidden, "Only the person who uploaded"},
		{"results before the run", func() (*http.Response, string) { return viewer.get("/batches/" + b.ID + "/results") },
			http.StatusNotFound, "no results yet"},
		{"resend before the run", func() (*http.Response, string) { return up.action("/batches/"+b.ID+"/resend", nil) },
			http.StatusConflict, "Only a batch that was sent"},
		{"an unknown batch", func() (*http.Response, string) { return viewer.get("/batches/20261126-000000-000000000000") },
			http.StatusNotFound, "no such batch"},
		{"a batch id that is a path", func() (*http.Response, string) { return viewer.get("/batches/..%2F..%2Fetc") },
			http.StatusNotFound, ""},
		{"a file that is not offered", func() (*http.Response, string) {
			return viewer.get("/batches/" + b.ID + "/files/upload.csv")
		}, http.StatusNotFound, "no such file"},
		{"a file name that is a path", func() (*http.Response, string) {
			return viewer.get("/batches/" + b.ID + "/files/..%2F..%2Fconsole.db")
		}, http.StatusNotFound, ""},
		{"a run file before the run", func() (*http.Response, string) {
			return viewer.get("/batches/" + b.ID + "/files/results.csv")
		}, http.StatusNotFound, "not been sent"},
		{"no session", func() (*http.Response, string) { return e.anonymous().get("/batches/" + b.ID) },
			http.StatusSeeOther, ""},
		{"no session, a form", func() (*http.Response, string) {
			return e.anonymous().post("/batches/"+b.ID+"/decide", decide(b.ID, b.PlanHash))
		}, http.StatusUnauthorized, "session has ended"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, body := c.do()
			if res.StatusCode != c.status || !strings.Contains(body, c.says) {
				t.Fatalf("got %d, want %d with %q\n%.600s", res.StatusCode, c.status, c.says, body)
			}
		})
	}
	for _, id := range []string{b.ID, own.ID} {
		if got, _ := e.st.Batch(context.Background(), id); got.State != store.StatePending {
			t.Errorf("batch %s moved to %s", id, got.State)
		}
		if ds, _ := e.st.Decisions(context.Background(), id); len(ds) != 0 {
			t.Errorf("batch %s has decisions %+v", id, ds)
		}
	}
}

// TestUploadRefusals sends files the console must not accept, or must
// check and refuse.
func TestUploadRefusals(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxUpload = 4 << 10 }, nil)
	up := e.login("uploader")
	big := bytes.Repeat([]byte("x"), 5<<10)
	cases := []struct {
		name, file string
		content    []byte
		status     int
		says       string
	}{
		{"oversized", "big.csv", big, http.StatusRequestEntityTooLarge, "larger than"},
		{"empty", "empty.csv", nil, http.StatusBadRequest, "empty"},
		{"an old .xls workbook", "book.xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"), http.StatusUnsupportedMediaType, "Save it as Excel Workbook (.xlsx) or CSV UTF-8"},
		{"a zip named .xlsx", "book.xlsx", []byte("PK\x03\x04rest"), http.StatusUnsupportedMediaType, "not an .xlsx workbook"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, body := up.upload(c.file, c.content, up.csrf)
			if res.StatusCode != c.status || !strings.Contains(body, c.says) {
				t.Fatalf("got %d, want %d with %q\n%.600s", res.StatusCode, c.status, c.says, body)
			}
		})
	}
	if bs, _ := e.st.Batches(context.Background(), 10); len(bs) != 0 {
		t.Fatalf("refused uploads left batches: %+v", bs)
	}
	entries, _ := os.ReadDir(filepath.Join(e.dir, "console", batchesDir))
	if len(entries) != 0 {
		t.Fatalf("refused uploads left %d folders", len(entries))
	}

	// A file that is not an allocation file is stored, checked and refused
	// with the checker's words; it cannot be submitted.
	for name, content := range map[string][]byte{
		"picture.csv":                      []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"),
		"other.csv":                        []byte("a,b,c\n1,2,3\n"),
		`<img src=x onerror=alert(1)>.csv`: []byte("a,b\n<script>alert(1)</script>,2\n"),
	} {
		b := up.uploadFile(name, content)
		if b.State != store.StateInvalid || b.CheckError == "" {
			t.Errorf("%s: state %s, error %q", name, b.State, b.CheckError)
		}
		_, page := up.get("/batches/" + b.ID)
		if strings.Contains(page, "<img src=x") || strings.Contains(page, "<script>alert") {
			t.Errorf("%s: the page shows markup from the upload unescaped", name)
		}
		if !strings.Contains(page, `id="check-error"`) || strings.Contains(page, `id="submit"`) {
			t.Errorf("%s: the page does not say it was refused, or offers to submit it", name)
		}
		if res, _ := up.action("/batches/"+b.ID+"/submit", url.Values{"plan_hash": {b.PlanHash}}); res.StatusCode != http.StatusConflict {
			t.Errorf("%s: submitting an invalid file: %d", name, res.StatusCode)
		}
		info, err := os.Stat(e.srv.uploadPath(b.ID))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: stored file %v, %v", name, info, err)
		}
	}
}

// TestControlTotals: the totals the uploader states are checked with the
// file (the CLI's --expect-rows and --expect-total).
func TestControlTotals(t *testing.T) {
	e := newEnv(t, nil, nil)
	up := e.login("uploader")
	cases := []struct {
		name   string
		fields []string
		state  store.State
		says   string
	}{
		{"both match", []string{"expect_rows", "200", "expect_total", "349060"}, store.StateChecked, "the file matches"},
		{"rows differ", []string{"expect_rows", "199"}, store.StateInvalid, "199 was expected"},
		{"total differs", []string{"expect_total", "347510.01"}, store.StateInvalid, "347510.01 was expected"},
		{"none stated", nil, store.StateChecked, "No problems"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := up.uploadFile("allocations-2026-11.csv", readSample(t), c.fields...)
			_, page := up.get("/batches/" + b.ID)
			if b.State != c.state || !strings.Contains(page, c.says) {
				t.Fatalf("state %s (%s), page lacks %q", b.State, b.CheckError, c.says)
			}
		})
	}
	for _, f := range [][]string{{"expect_rows", "two hundred"}, {"expect_total", "3,47,510"}} {
		if res, body := up.upload("a.csv", readSample(t), up.csrf, f...); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not a") {
			t.Errorf("%v: %d", f, res.StatusCode)
		}
	}
}
