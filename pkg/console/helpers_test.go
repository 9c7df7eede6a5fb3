package console

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// testPassword is every test user's password.
const testPassword = "correct horse battery"

// sample is the 200-row file of the demo.
var sample = filepath.Join("..", "..", "samples", "allocations-2026-11.csv")

// env is a console on an in-process sandbox, served by httptest.
type env struct {
	t   *testing.T
	srv *Server
	st  *store.Store
	ts  *httptest.Server
	sb  *sandboxtest.Env
	dir string
}

// newEnv starts a console with the users uploader, approver, approver2,
// viewer and admin. edit may change the configuration and sbOpts the
// sandbox.
func newEnv(t *testing.T, edit func(*Config), sbOpts *sandbox.Options) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	st.SetCost(bcrypt.MinCost)
	for name, role := range map[string]store.Role{"uploader": store.RoleUploader, "approver": store.RoleApprover,
		"approver2": store.RoleApprover, "viewer": store.RoleViewer, "admin": store.RoleAdmin} {
		if err := st.AddUser(ctx, name, role, testPassword, false); err != nil {
			t.Fatal(err)
		}
	}
	so := sandbox.Options{Cards: sandbox.DemoCards()}
	if sbOpts != nil {
		so = *sbOpts
	}
	sb := sandboxtest.Start(t, so)
	cfg := Config{
		Folder: filepath.Join(dir, "console"), LedgerPath: filepath.Join(dir, ledger.FileName),
		Scope: ledger.Scope(sb.Config.BaseURL, sb.Config.CompanyID, sb.Config.CardAccountID), API: sb.Client(t, nil),
		Validate: validate.Options{MaxAmount: validate.DefaultMaxAmount, CompanyID: sb.Config.CompanyID,
			CardAccountID: sb.Config.CardAccountID},
		Engine:  engine.Config{Workers: 8, Rate: 2000, LookupGrace: 10 * time.Millisecond, BackoffBase: time.Millisecond},
		Sandbox: true, Version: "test",
	}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := New(ctx, cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &env{t: t, srv: srv, st: st, ts: ts, sb: sb, dir: dir}
}

// browser is one person's HTTP client, with its cookies.
type browser struct {
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) anonymous() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// login signs name in and keeps the session's CSRF token.
func (e *env) login(name string) *browser {
	e.t.Helper()
	b := e.anonymous()
	res, body := b.get("/login")
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("login page: %d", res.StatusCode)
	}
	res, _ = b.post("/login", url.Values{"csrf": {csrfOf(body)}, "name": {name}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		e.t.Fatalf("login of %s: %d %s", name, res.StatusCode, res.Header.Get("Location"))
	}
	_, home := b.get("/")
	b.csrf = csrfOf(home)
	return b
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func csrfOf(body string) string {
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.e.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return res, string(raw)
}

func (b *browser) get(path string) (*http.Response, string) {
	req, _ := http.NewRequest(http.MethodGet, b.e.ts.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	req, _ := http.NewRequest(http.MethodPost, b.e.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// action posts a form with the session's CSRF token.
func (b *browser) action(path string, form url.Values) (*http.Response, string) {
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf)
	return b.post(path, form)
}

// upload posts a file as the upload form does; csrf "" leaves it out.
// fields are more form fields, as name, value pairs.
func (b *browser) upload(name string, content []byte, csrf string, fields ...string) (*http.Response, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if csrf != "" {
		_ = mw.WriteField("csrf", csrf)
	}
	_ = mw.WriteField("batch_id", "")
	for i := 0; i+1 < len(fields); i += 2 {
		_ = mw.WriteField(fields[i], fields[i+1])
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.e.ts.URL+"/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// uploadSample uploads the sample and returns the new batch.
func (b *browser) uploadFile(name string, content []byte, fields ...string) store.Batch {
	b.e.t.Helper()
	res, body := b.upload(name, content, b.csrf, fields...)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/batches/") {
		b.e.t.Fatalf("upload: %d %s\n%s", res.StatusCode, loc, body)
	}
	bt, err := b.e.st.Batch(context.Background(), strings.TrimPrefix(loc, "/batches/"))
	if err != nil {
		b.e.t.Fatal(err)
	}
	return bt
}

func readSample(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// waitFinished reads the batch's event stream until the run has finished
// and returns the batch as it ended.
func (b *browser) waitFinished(id string) store.Batch {
	b.e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.e.ts.URL+"/batches/"+id+"/events", nil)
		req.Header.Set("Accept", "text/event-stream")
		res, err := b.c.Do(req)
		if err != nil {
			b.e.t.Fatal(err)
		}
		sc := bufio.NewScanner(res.Body)
		finished := false
		for sc.Scan() {
			if sc.Text() == "event: finished" {
				finished = true
			}
		}
		res.Body.Close()
		if finished {
			bt, err := b.e.st.Batch(context.Background(), id)
			if err != nil {
				b.e.t.Fatal(err)
			}
			return bt
		}
	}
	b.e.t.Fatal("the run did not finish in time")
	return store.Batch{}
}
