package console

import (
	"context"
	"encoding/csv"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
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
	sh := &shooter{t: t, dir: dir}
	downloads := t.TempDir()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(1366, 900), chromedp.Flag("disable-gpu", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Run(ctx); err != nil { // starts the browser, on a context without a deadline
		t.Fatalf("starting %s: %v", exe, err)
	}
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()

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
	var approveButtons int
	run("submit", chromedp.Click("#submit"), chromedp.WaitVisible("#own-file"),
		chromedp.Evaluate(`document.querySelectorAll("#approve").length`, &approveButtons), sh.shot("05-submitted"))
	if approveButtons != 0 {
		t.Fatal("the uploader is offered the approve button")
	}
	run("sign out", chromedp.Click(`header .who button`), chromedp.WaitVisible("#login-form"))
	run("approver signs in", signIn("approver"))
	run("approve", chromedp.Navigate(batchURL), chromedp.WaitVisible("#decide-form"), chromedp.WaitVisible("#balance"),
		sh.shot("06-approve"), chromedp.SendKeys("#comment", "Checked against the HR sheet"), chromedp.Click("#approve"),
		chromedp.WaitVisible("#progress"), chromedp.Poll(
			`Number(document.getElementById("processed").textContent) > 0`, nil), sh.shot("07-progress"))
	run("the run finishes", chromedp.WaitVisible("#results-link"), sh.shot("08-progress-finished"))
	run("results", chromedp.Click("#results-link"), chromedp.WaitVisible("#result-table"), sh.shot("09-results"))

	done := make(chan string, 1)
	chromedp.ListenTarget(ctx, func(ev any) {
		if p, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && p.State == cdpbrowser.DownloadProgressStateCompleted {
			select {
			case done <- p.GUID:
			default:
			}
		}
	})
	run("download results.csv", cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName).
		WithDownloadPath(downloads).WithEventsEnabled(true), chromedp.Click("#dl-results"))
	var guid string
	select {
	case guid = <-done:
	case <-ctx.Done():
		t.Fatal("results.csv was not downloaded")
	}
	checkAllMatched(t, filepath.Join(downloads, guid))
	run("print, history, audit", chromedp.Click("#print-link"), chromedp.WaitVisible("#summary"), sh.shot("10-print"),
		chromedp.Navigate(u+"/history"), chromedp.WaitVisible("main table"), sh.shot("11-history"),
		chromedp.Navigate(u+"/audit"), chromedp.WaitVisible("#audit-table"), sh.shot("12-audit"),
		chromedp.Navigate(u+"/"), chromedp.WaitVisible("main table"), sh.shot("13-batches"))
	t.Logf("%d screenshots in %s", sh.n, dir)
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
