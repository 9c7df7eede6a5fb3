package console

import (
	"context"
	"encoding/csv"
	"flag"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

var artefacts = flag.String("artefacts", "", "folder for the browser test's screenshots (default: a new folder under $TMPDIR, logged)")

// findBrowser returns Debian's chromium, or another Chrome on PATH.
func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// shooter saves a full-page screenshot per step.
type shooter struct {
	t   *testing.T
	dir string
	n   int
}

func (s *shooter) shot(name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var png []byte
		if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
			return err
		}
		s.n++
		return os.WriteFile(filepath.Join(s.dir, strings.ReplaceAll(
			filepath.Base(name), " ", "-")+".png"), png, 0o644)
	})
}

// TestBrowserFlow drives headless Chromium through the month's flow: the
// uploader uploads the sample and submits it, cannot approve it, the
// approver approves, the run finishes, and results.csv is all MATCHED.
func TestBrowserFlow(t *testing.T) {
	exe := findBrowser()
	if exe == "" {
		t.Skip("browser test skipped: no chromium on PATH (apt-get install chromium)")
	}
	// A sandbox answering after 20 ms makes the run last a second or two, so
	// that the page's script, not the first render, shows it finishing.
	e := newEnv(t, func(c *Config) { c.SecureCookies, c.Engine.Workers = true, 4 },
		&sandbox.Options{Cards: sandbox.DemoCards(), Faults: sandbox.Faults{Latency: 20 * time.Millisecond}})
	sh := &shooter{t: t, dir: artefactsDir(t)}
	ctx := startChrome(t, exe)

	abs, err := filepath.Abs(sample)
	if err != nil {
		t.Fatal(err)
	}
	broken, _ := filepath.Abs(filepath.Join("..", "..", "samples", "allocations-broken.csv"))
	u := e.ts.URL
	var credits, batchURL string
	run := func(what string, as ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, as...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	signIn := func(name string) chromedp.Tasks {
		return chromedp.Tasks{
			chromedp.Navigate(u + "/login"), chromedp.WaitVisible("#login-form"),
			chromedp.SendKeys("#name", name), chromedp.SendKeys("#password", testPassword),
			chromedp.Submit("#login-form"), chromedp.WaitVisible(`header .who strong`),
		}
	}
	run("login page", chromedp.Navigate(u+"/login"), chromedp.WaitVisible("#login-form"), sh.shot("01-login"))
	run("uploader signs in", signIn("uploader"))
	run("broken file", chromedp.Navigate(u+"/upload"), chromedp.WaitVisible("#upload-form"), sh.shot("02-upload"),
		chromedp.SetUploadFiles("#file", []string{broken}, chromedp.ByID), chromedp.Click("#upload-submit"),
		chromedp.WaitVisible("#problem-table"), sh.shot("03-problems"))
	run("upload the sample", chromedp.Navigate(u+"/upload"), chromedp.WaitVisible("#upload-form"),
		chromedp.SetUploadFiles("#file", []string{abs}, chromedp.ByID), chromedp.Click("#upload-submit"),
		chromedp.WaitVisible("#plan"), chromedp.Text("#credits", &credits), chromedp.Location(&batchURL), sh.shot("04-plan"))
	if strings.TrimSpace(credits) == "" {
		t.Fatal("the plan shows no credits")
	}
	var approveButtons, forged int
	var hash string
	run("submit", chromedp.Value(`input[name="plan_hash"]`, &hash), chromedp.Click("#submit"), chromedp.WaitVisible("#own-file"),
		chromedp.Evaluate(`document.querySelectorAll("#approve").length`, &approveButtons), sh.shot("05-submitted"))
	if approveButtons != 0 {
		t.Fatal("the uploader is offered the approve button")
	}
	// The uploader forges the approval form from the page, with a valid token.
	run("the uploader tries to approve", chromedp.Evaluate(`fetch(location.pathname + "/decide", {method: "POST",
		body: new URLSearchParams({csrf: document.querySelector('input[name="csrf"]').value, plan_hash: "`+hash+`",
		decision: "approve", comment: "mine"})}).then(r => r.status)`, &forged, awaitPromise))
	if forged != http.StatusForbidden {
		t.Fatalf("the uploader's own approval answered %d, want 403", forged)
	}
	run("sign out", chromedp.Click(`header .who button`), chromedp.WaitVisible("#login-form"))
	run("approver signs in", signIn("approver"))
	run("approve", chromedp.Navigate(batchURL), chromedp.WaitVisible("#decide-form"), chromedp.WaitVisible("#balance"),
		sh.shot("06-approve"), chromedp.SendKeys("#comment", "Checked against the HR sheet"), chromedp.Click("#approve"),
		chromedp.WaitVisible("#progress"), chromedp.Poll(
			`Number(document.getElementById("processed").textContent) > 0`, nil), sh.shot("07-progress"))
	run("the run finishes", chromedp.WaitVisible("#results-link"), sh.shot("08-progress-finished"))
	run("results", chromedp.Click("#results-link"), chromedp.WaitVisible("#result-table"), sh.shot("09-results"))

	checkAllMatched(t, download(t, ctx, "#dl-results"))
	run("print, history, audit", chromedp.Click("#print-link"), chromedp.WaitVisible("#summary"), sh.shot("10-print"),
		chromedp.Navigate(u+"/history"), chromedp.WaitVisible("main table"), sh.shot("11-history"),
		chromedp.Navigate(u+"/audit"), chromedp.WaitVisible("#audit-table"), sh.shot("12-audit"),
		chromedp.Navigate(u+"/"), chromedp.WaitVisible("main table"), sh.shot("13-batches"))
	t.Logf("%d screenshots in %s", sh.n, sh.dir)
}

func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// artefactsDir is -artefacts, or a new folder under $TMPDIR that outlives
// the test so that a reviewer can look at the screenshots.
func artefactsDir(t *testing.T) string {
	t.Helper()
	dir := *artefacts
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "rewardbatch-console-screens-"); err != nil {
			t.Fatal(err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// startChrome starts headless Chromium at a laptop's window size and
// returns a context for it with a deadline for the whole flow.
func startChrome(t *testing.T, exe string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(1366, 900), chromedp.Flag("disable-gpu", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Run(ctx); err != nil { // starts the browser, on a context without a deadline
		t.Fatalf("starting %s: %v", exe, err)
	}
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelT)
	return ctx
}

// download clicks the link sel and returns the path of the file the
// browser saved, once it has completed.
func download(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	dir := t.TempDir()
	done := make(chan string, 1)
	chromedp.ListenTarget(ctx, func(ev any) {
		if p, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && p.State == cdpbrowser.DownloadProgressStateCompleted {
			select {
			case done <- p.GUID:
			default:
			}
		}
	})
	err := chromedp.Run(ctx, cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName).
		WithDownloadPath(dir).WithEventsEnabled(true), chromedp.Click(sel))
	if err != nil {
		t.Fatalf("download %s: %v", sel, err)
	}
	select {
	case guid := <-done:
		return filepath.Join(dir, guid)
	case <-ctx.Done():
		t.Fatalf("%s was not downloaded", sel)
		return ""
	}
}

func checkAllMatched(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 201 {
		t.Fatalf("results.csv has %d lines, want 201", len(rows))
	}
	col := -1
	for i, h := range rows[0] {
		if h == "status" {
			col = i
		}
	}
	for i, r := range rows[1:] {
		if r[col] != "MATCHED" {
			t.Fatalf("row %d is %s, want MATCHED", i+1, r[col])
		}
	}
}
