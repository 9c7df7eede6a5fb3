package console

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
)

// TestFlow is the month's flow through the handlers: upload, check,
// submit, approve, run, results, downloads, history and the audit log.
func TestFlow(t *testing.T) {
	e := newEnv(t, nil, nil)
	up := e.login("uploader")
	b := up.uploadFile("allocations-2026-11.csv", readSample(t))
	if b.State != store.StateChecked || b.PlanHash == "" {
		t.Fatalf("after upload: state %s, plan %q, error %q", b.State, b.PlanHash, b.CheckError)
	}
	res, page := up.get("/batches/" + b.ID)
	for _, want := range []string{"347,510.00", "Submit for approval", "No problems"} {
		if res.StatusCode != http.StatusOK || !strings.Contains(page, want) {
			t.Fatalf("check page lacks %q (%d)", want, res.StatusCode)
		}
	}
	if res, _ := up.action("/batches/"+b.ID+"/submit", url.Values{"plan_hash": {b.PlanHash}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d", res.StatusCode)
	}
	if _, page := up.get("/batches/" + b.ID); !strings.Contains(page, "you cannot approve it") || strings.Contains(page, `id="approve"`) {
		t.Fatal("the uploader is offered approval")
	}
	ap := e.login("approver")
	if _, page := ap.get("/"); !strings.Contains(page, "1 file waits for your approval") {
		t.Fatal("the approver's list does not say a file waits")
	}
	if _, page := up.get("/"); strings.Contains(page, "waits for your approval") {
		t.Fatal("the uploader is told to approve their own file")
	}
	if res, _ := ap.get("/static/"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("/static/ lists its folder: %d", res.StatusCode)
	}
	if _, page := ap.get("/batches/" + b.ID); !strings.Contains(page, `id="approve"`) || !strings.Contains(page, "points") {
		t.Fatal("the approver is not offered approval")
	}
	res, _ = ap.action("/batches/"+b.ID+"/decide", url.Values{"plan_hash": {b.PlanHash}, "decision": {"approve"}, "comment": {"ok"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/batches/"+b.ID+"/progress" {
		t.Fatalf("approve: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	b = ap.waitFinished(b.ID)
	if b.State != store.StateFinished || b.ExitCode != 0 {
		t.Fatalf("run: state %s, exit %d, %s", b.State, b.ExitCode, b.RunError)
	}
	v := e.login("viewer")
	for path, want := range map[string]string{
		"/batches/" + b.ID + "/results":                       "Every row done: all 200 rows confirmed",
		"/batches/" + b.ID + "/results?status=MATCHED&page=2": "Page 2 of 2",
		"/batches/" + b.ID + "/print":                         "Reward points: allocations-2026-11.csv",
		"/batches/" + b.ID + "/progress":                      "Finished.",
		"/history":                                            "347,510.00",
		"/audit":                                              "run-finished",
		"/":                                                   "allocations-2026-11.csv",
	} {
		res, page := v.get(path)
		if res.StatusCode != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("%s: %d, lacks %q", path, res.StatusCode, want)
		}
	}
	res, body := v.get("/batches/" + b.ID + "/files/results.csv")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if res.StatusCode != http.StatusOK || err != nil || len(rows) != 201 {
		t.Fatalf("results.csv: %d, %v, %d lines", res.StatusCode, err, len(rows))
	}
	events, err := e.st.Events(context.Background(), b.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range events {
		actions = append([]string{ev.Action}, actions...)
		if ev.FileSHA256 != b.FileSHA256 || ev.PlanHash != b.PlanHash {
			t.Errorf("audit %s: file %s plan %s", ev.Action, ev.FileSHA256, ev.PlanHash)
		}
	}
	if got := strings.Join(actions, ","); got != "upload,submit,approve,run-start,run-finished,download" {
		t.Errorf("audit log: %s", got)
	}
}

// TestHistoryPageSaysWhyTheLedgerCannotBeRead: no ledger yet is "no runs
// recorded"; a ledger that cannot be read is never shown as an empty
// history, which would tell someone that nothing was paid.
func TestHistoryPageSaysWhyTheLedgerCannotBeRead(t *testing.T) {
	tests := []struct {
		name   string
		ledger []byte // nil: none
		want   string
	}{
		{"no ledger yet", nil, "No runs recorded yet."},
		{"not a ledger", []byte("this is not an SQLite database, but it is not empty either"), "The ledger could not be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var path string
			e := newEnv(t, func(c *Config) { path = c.LedgerPath }, nil)
			if tt.ledger != nil {
				if err := os.WriteFile(path, tt.ledger, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			res, page := e.login("viewer").get("/history")
			if res.StatusCode != http.StatusOK || !strings.Contains(page, tt.want) {
				t.Fatalf("/history: %d, lacks %q", res.StatusCode, tt.want)
			}
		})
	}
}
