package console

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// slowSandbox answers each call after 10 ms, so that a 200-row run with two
// workers lasts long enough to be watched.
func slowSandbox() *sandbox.Options {
	return &sandbox.Options{Cards: sandbox.DemoCards(), Faults: sandbox.Faults{Latency: 10 * time.Millisecond}}
}

// firstProgress opens the event stream, returns the first event that shows
// a run under way, and closes the stream as a closed browser tab would.
func (b *browser) firstProgress(id string) snapshot {
	b.e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.e.ts.URL+"/batches/"+id+"/events", nil)
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		b.e.t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var s snapshot
		if err := json.Unmarshal([]byte(data), &s); err != nil {
			b.e.t.Fatal(err)
		}
		if s.Processed > 0 && !s.Finished {
			return s
		}
		if s.Finished {
			b.e.t.Fatal("the run finished before any progress was seen")
		}
	}
	b.e.t.Fatal("the stream ended without progress")
	return snapshot{}
}

// TestLiveProgress watches a run through the event stream, closes the
// stream half-way (the browser is closed), and checks that the run still
// finishes and the page shows its counts after a reload.
func TestLiveProgress(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Engine.Workers = 2 }, slowSandbox())
	b := e.pending(e.login("uploader"))
	ap := e.login("approver")
	ap.action("/batches/"+b.ID+"/decide", approve(b, "approve", ""))
	s := ap.firstProgress(b.ID)
	if s.Total != 200 || s.Processed >= 200 || s.Done+s.Failed+s.Unknown != s.Processed || s.Phase != "sending" {
		t.Fatalf("progress %+v", s)
	}
	_, page := ap.get("/batches/" + b.ID + "/progress") // a reload during the run
	if !strings.Contains(page, "Sending to EnKash") && !strings.Contains(page, "Finished.") {
		t.Fatal("the progress page does not show the run after a reload")
	}
	got := e.login("viewer").waitFinished(b.ID)
	if got.State != store.StateFinished || got.ExitCode != 0 {
		t.Fatalf("run: %s %d %s", got.State, got.ExitCode, got.RunError)
	}
	final := e.srv.runner.progressOf(b.ID).snapshot()
	if final.Done != 200 || final.Processed != 200 || !final.Finished || final.Rate <= 0 {
		t.Fatalf("final progress %+v", final)
	}
}

// newEnvOver starts a second server over e's store, folders and sandbox,
// as a restart would.
func newEnvOver(t *testing.T, e *env) *env {
	t.Helper()
	srv, err := New(context.Background(), e.srv.cfg, e.st)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		_ = srv.Shutdown(context.Background())
	})
	return &env{t: t, srv: srv, st: e.st, ts: ts, sb: e.sb, dir: e.dir}
}

// TestShutdownDuringRun stops the server mid-run: the run stops sending,
// writes its reports, and says it is incomplete. After a restart, an
// approver sends it again; the ledger skips what was done, and a sandbox
// that would apply a repeated reference again shows every row applied
// exactly once.
func TestShutdownDuringRun(t *testing.T) {
	opts := slowSandbox()
	opts.Duplicates = sandbox.DuplicateApplyAgain
	e := newEnv(t, func(c *Config) { c.Engine.Workers = 2 }, opts)
	b := e.pending(e.login("uploader"))
	ap := e.login("approver")
	ap.action("/batches/"+b.ID+"/decide", approve(b, "approve", ""))
	ap.firstProgress(b.ID)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := e.st.Batch(ctx, b.ID)
	if got.State != store.StateFinished || got.ExitCode != exitcode.Incomplete {
		t.Fatalf("after shutdown: %s, exit %d", got.State, got.ExitCode)
	}
	if sum, err := e.srv.summary(got); err != nil || sum.Rows != 200 || sum.Statuses["NOT_SENT"] == 0 {
		t.Fatalf("summary %+v, %v", sum, err)
	}
	if s := e.srv.runner.progressOf(b.ID).snapshot(); s.Processed != 200 || s.Failed == 0 || !s.Finished {
		t.Fatalf("the progress of the stopped run does not count its NOT_SENT rows: %+v", s)
	}

	e2 := newEnvOver(t, e)
	up2, ap2 := e2.login("uploader"), e2.login("approver")
	if _, page := ap2.get("/batches/" + b.ID + "/progress"); !strings.Contains(page, `id="total">200<`) || strings.Contains(page, `id="processed">0<`) {
		t.Fatal("after a restart the progress page does not show the run's counts")
	}
	if res, _ := up2.action("/batches/"+b.ID+"/resume", url.Values{"plan_hash": {b.PlanHash}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("the uploader sends again: %d", res.StatusCode)
	}
	if _, page := ap2.get("/batches/" + b.ID); !strings.Contains(page, `id="resume"`) {
		t.Fatal("the approver is not offered to send the incomplete run again")
	}
	if res, _ := ap2.action("/batches/"+b.ID+"/resume", url.Values{"plan_hash": {b.PlanHash}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send again: %d", res.StatusCode)
	}
	if got := ap2.waitFinished(b.ID); got.State != store.StateFinished || got.ExitCode != 0 {
		t.Fatalf("second run: %s %d %s", got.State, got.ExitCode, got.RunError)
	}
	refs := map[string]int{}
	for _, tx := range e.sb.Transactions() {
		refs[tx.PGReferenceNumber]++
	}
	for ref, n := range refs {
		if n != 1 {
			t.Errorf("%s applied %d times", ref, n)
		}
	}
	if len(refs) != 200 {
		t.Fatalf("%d references applied, want 200", len(refs))
	}
}
