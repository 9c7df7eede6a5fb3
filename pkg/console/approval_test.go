package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

func approve(b store.Batch, verdict, comment string) url.Values {
	return url.Values{"plan_hash": {b.PlanHash}, "decision": {verdict}, "comment": {comment}}
}

// TestTwoApprovers: above the threshold, one approval is not enough, the
// same approver cannot count twice, and the second approver starts the run.
func TestTwoApprovers(t *testing.T) {
	limit := mustPoints(t, "100000")
	e := newEnv(t, func(c *Config) { c.ApprovalThreshold = &limit }, nil)
	b := e.pending(e.login("uploader"))
	ap, ap2 := e.login("approver"), e.login("approver2")
	if res, _ := ap.action("/batches/"+b.ID+"/decide", approve(b, "approve", "")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first approval: %d", res.StatusCode)
	}
	if got, _ := e.st.Batch(context.Background(), b.ID); got.State != store.StatePending {
		t.Fatalf("after one of two approvals: %s", got.State)
	}
	if _, page := ap.get("/batches/" + b.ID); !strings.Contains(page, "Approved so far: 1 of 2") || strings.Contains(page, `id="approve"`) {
		t.Fatal("the page does not show 1 of 2, or offers the same approver a second vote")
	}
	if res, _ := ap.action("/batches/"+b.ID+"/decide", approve(b, "approve", "")); res.StatusCode != http.StatusConflict {
		t.Fatalf("the same approver twice: %d", res.StatusCode)
	}
	if res, _ := ap2.action("/batches/"+b.ID+"/decide", approve(b, "approve", "")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second approval: %d", res.StatusCode)
	}
	if got := ap2.waitFinished(b.ID); got.State != store.StateFinished || got.ExitCode != 0 {
		t.Fatalf("run: %s %d %s", got.State, got.ExitCode, got.RunError)
	}
}

// TestReject: a rejection needs a comment, ends the batch, and shows the
// comment to the uploader.
func TestReject(t *testing.T) {
	e := newEnv(t, nil, nil)
	up := e.login("uploader")
	b := e.pending(up)
	ap := e.login("approver")
	if res, _ := ap.action("/batches/"+b.ID+"/decide", approve(b, "reject", "Diwali bonus <missing>")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", res.StatusCode)
	}
	_, page := up.get("/batches/" + b.ID)
	if !strings.Contains(page, "Rejected") || !strings.Contains(page, "Diwali bonus &lt;missing&gt;") {
		t.Fatal("the uploader does not see the rejection and its (escaped) comment")
	}
	if res, _ := e.login("approver2").action("/batches/"+b.ID+"/decide", approve(b, "approve", "")); res.StatusCode != http.StatusConflict {
		t.Fatalf("approving a rejected batch: %d", res.StatusCode)
	}
}

// TestPlanChangedBeforeRun: when the server's options change between the
// approval and the run, the plan hash differs and nothing is sent.
func TestPlanChangedBeforeRun(t *testing.T) {
	e := newEnv(t, nil, nil)
	b := e.pending(e.login("uploader"))
	e.srv.cfg.Validate.MaxAmount = mustPoints(t, "5000") // as if restarted with another --max-amount
	ap := e.login("approver")
	if res, _ := ap.action("/batches/"+b.ID+"/decide", approve(b, "approve", "")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", res.StatusCode)
	}
	got := ap.waitFinished(b.ID)
	if got.State != store.StateStopped || !strings.Contains(got.RunError, "plan changed") {
		t.Fatalf("state %s, error %q", got.State, got.RunError)
	}
	if n := len(e.sb.Transactions()); n != 0 {
		t.Fatalf("the sandbox got %d transactions", n)
	}
	// Sending again is refused the same way: the approval is for the old plan.
	if res, _ := ap.action("/batches/"+b.ID+"/resume", url.Values{"plan_hash": {b.PlanHash}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("resume: %d", res.StatusCode)
	}
	if got := ap.waitFinished(b.ID); got.State != store.StateStopped {
		t.Fatalf("after resume: %s", got.State)
	}
}

// TestResendFailed: rows EnKash refused are offered for resending as a new
// batch, which is checked and needs a new approval by someone else.
func TestResendFailed(t *testing.T) {
	// 429s are provably not applied, so after one attempt those rows are
	// FAILED (a 503 would leave them UNKNOWN: it may have been applied).
	opts := sandbox.Options{Cards: sandbox.DemoCards(), Faults: sandbox.Faults{Seed: 3, FailBefore: 0.2, FailBeforeStatus: 429}}
	e := newEnv(t, func(c *Config) { c.Engine.MaxAttempts, c.Engine.Default429 = 1, time.Millisecond }, &opts)
	up := e.login("uploader")
	b := e.pending(up)
	ap := e.login("approver")
	ap.action("/batches/"+b.ID+"/decide", approve(b, "approve", ""))
	got := ap.waitFinished(b.ID)
	if got.State != store.StateFinished || got.ExitCode == 0 {
		t.Fatalf("run: %s %d", got.State, got.ExitCode)
	}
	_, page := up.get("/batches/" + b.ID + "/results?status=FAILED")
	if !strings.Contains(page, `id="resend"`) || !strings.Contains(page, "FAILED") {
		t.Fatal("no resend button or no FAILED rows")
	}
	res, _ := up.action("/batches/"+b.ID+"/resend", nil)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/batches/") || loc == "/batches/"+b.ID {
		t.Fatalf("resend: %d %s", res.StatusCode, loc)
	}
	nb, err := e.st.Batch(context.Background(), strings.TrimPrefix(loc, "/batches/"))
	if err != nil {
		t.Fatal(err)
	}
	if nb.State != store.StateChecked || nb.Parent != b.ID || nb.Uploader != "uploader" {
		t.Fatalf("new batch: %+v", nb)
	}
	if p := plan(nb); p == nil || p.RowsRead == 0 || p.RowsRead >= 200 {
		t.Fatalf("the new batch's plan: %+v", p)
	}
}

func mustPoints(t *testing.T, s string) money.Amount {
	t.Helper()
	a, err := money.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestBalanceTooLow: the run refuses to start when the reward account
// cannot fund the plan, says why, sends nothing, and an approver may send
// it again once the account is funded.
func TestBalanceTooLow(t *testing.T) {
	opts := sandbox.Options{Cards: sandbox.DemoCards(), Balance: mustPoints(t, "1000")}
	e := newEnv(t, nil, &opts)
	b := e.pending(e.login("uploader"))
	ap := e.login("approver")
	if _, page := ap.get("/batches/" + b.ID); !strings.Contains(page, "1,000.00 points") {
		t.Fatal("the approver does not see the balance")
	}
	ap.action("/batches/"+b.ID+"/decide", approve(b, "approve", ""))
	got := ap.waitFinished(b.ID)
	if got.State != store.StateFinished || got.ExitCode != 1 || !strings.Contains(got.RunError, "fund the account") {
		t.Fatalf("state %s, exit %d, error %q", got.State, got.ExitCode, got.RunError)
	}
	if n := len(e.sb.Transactions()); n != 0 {
		t.Fatalf("%d transactions", n)
	}
	if _, page := ap.get("/batches/" + b.ID); !strings.Contains(page, `id="resume"`) || !strings.Contains(page, "fund the account") || strings.Contains(page, `id="results-link"`) {
		t.Fatal("the page does not say why, or offers no way to send again")
	}
}

// TestRecheckVoidsApprovals: checking the file again under other options
// gives a new plan hash; the approvals of the old plan no longer count, a
// form showing the old plan is refused, and the new plan needs its own.
func TestRecheckVoidsApprovals(t *testing.T) {
	limit := mustPoints(t, "100000")
	e := newEnv(t, func(c *Config) { c.ApprovalThreshold = &limit }, nil)
	up := e.login("uploader")
	b := e.pending(up)
	ap, ap2 := e.login("approver"), e.login("approver2")
	ap.action("/batches/"+b.ID+"/decide", approve(b, "approve", "first plan"))
	e.srv.cfg.Validate.MaxAmount = mustPoints(t, "100001") // as if restarted with other options (the configuration no longer enters the plan hash)
	if res, _ := ap.action("/batches/"+b.ID+"/recheck", nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("an approver rechecks: %d", res.StatusCode)
	}
	if res, _ := up.action("/batches/"+b.ID+"/recheck", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("recheck: %d", res.StatusCode)
	}
	nb, _ := e.st.Batch(context.Background(), b.ID)
	if nb.State != store.StateChecked || nb.PlanHash == b.PlanHash {
		t.Fatalf("after recheck: %s, plan %s", nb.State, nb.PlanHash)
	}
	if res, _ := ap2.action("/batches/"+b.ID+"/decide", approve(b, "approve", "")); res.StatusCode != http.StatusConflict {
		t.Fatalf("approving the old plan: %d", res.StatusCode)
	}
	if _, page := up.get("/batches/" + b.ID); !strings.Contains(page, "(an earlier plan)") || strings.Contains(page, "Approved so far") {
		t.Fatal("the old approval still counts on the page")
	}
	up.action("/batches/"+b.ID+"/submit", url.Values{"plan_hash": {nb.PlanHash}})
	ap2.action("/batches/"+b.ID+"/decide", approve(nb, "approve", ""))
	if got, _ := e.st.Batch(context.Background(), b.ID); got.State != store.StatePending {
		t.Fatalf("one approval of the new plan: %s", got.State)
	}
	ap.action("/batches/"+b.ID+"/decide", approve(nb, "approve", "new plan"))
	if got := ap.waitFinished(b.ID); got.State != store.StateFinished || got.ExitCode != 0 {
		t.Fatalf("run: %s %d %s", got.State, got.ExitCode, got.RunError)
	}
	if res, _ := up.action("/batches/"+b.ID+"/recheck", nil); res.StatusCode != http.StatusConflict {
		t.Fatalf("rechecking a sent batch: %d", res.StatusCode)
	}
}
