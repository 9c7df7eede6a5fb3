package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fastBackoff keeps the retry tests quick.
var fastBackoff = Backoff{Attempts: 4, Initial: time.Millisecond, Max: 5 * time.Millisecond}

func sampleEvent() Event {
	return Event{RunID: "20261126T134100Z-alloc", Input: "alloc.csv", Folder: "reports/20261126T134100Z-alloc",
		ExitCode: 3, ExitMeaning: "finished, but some rows are FAILED", Rows: 120,
		Statuses: map[string]int{"MATCHED": 118, "FAILED": 2, "UNKNOWN": 0},
		Summary:  json.RawMessage(`{"runId":"20261126T134100Z-alloc","exitCode":3}`)}
}

// receiver records the bodies it gets and answers with the scripted
// statuses in turn (then 200).
type receiver struct {
	srv      *httptest.Server
	statuses []int
	calls    atomic.Int32
	bodies   chan []byte
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	t.Helper()
	r := &receiver{statuses: statuses, bodies: make(chan []byte, 16)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := int(r.calls.Add(1))
		b, _ := io.ReadAll(req.Body)
		r.bodies <- b
		if req.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnsupportedMediaType)
			return
		}
		if n <= len(r.statuses) {
			if r.statuses[n-1] == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(r.statuses[n-1])
			_, _ = io.WriteString(w, "refused\n  for a test")
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func TestWebhookShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format Format
		check  func(t *testing.T, body map[string]any)
	}{
		{JSON, func(t *testing.T, b map[string]any) {
			if b["schemaVersion"] != 1.0 || b["event"] != "run.finished" || b["exitCode"] != 3.0 || b["runId"] != "20261126T134100Z-alloc" {
				t.Errorf("json body: %v", b)
			}
			if s, _ := b["summary"].(map[string]any); s["exitCode"] != 3.0 {
				t.Errorf("summary not embedded: %v", b["summary"])
			}
		}},
		{Slack, func(t *testing.T, b map[string]any) {
			text, _ := b["text"].(string)
			if !strings.HasPrefix(text, "*rewardbatch run 20261126T134100Z-alloc ended with exit code 3") ||
				!strings.Contains(text, "*Rows:* 120 (FAILED 2, MATCHED 118)") || len(b) != 1 {
				t.Errorf("slack body: %v", b)
			}
		}},
		{Teams, func(t *testing.T, b map[string]any) {
			att := b["attachments"].([]any)[0].(map[string]any)
			card := att["content"].(map[string]any)
			body := card["body"].([]any)
			title := body[0].(map[string]any)
			facts := body[1].(map[string]any)["facts"].([]any)
			if b["type"] != "message" || att["contentType"] != "application/vnd.microsoft.card.adaptive" ||
				card["type"] != "AdaptiveCard" || title["color"] != "Attention" || len(facts) != 3 {
				t.Errorf("teams body: %v", b)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			t.Parallel()
			r := newReceiver(t)
			n := &Notifier{Webhooks: []Webhook{{URL: r.srv.URL + "/hook", Format: tt.format}}, Backoff: fastBackoff}
			rep := n.Notify(context.Background(), sampleEvent())
			if rep.Err() != nil || len(rep.Deliveries) != 1 || rep.Deliveries[0].Attempts != 1 {
				t.Fatalf("report: %+v", rep)
			}
			var body map[string]any
			if err := json.Unmarshal(<-r.bodies, &body); err != nil {
				t.Fatal(err)
			}
			tt.check(t, body)
		})
	}
}

func TestWebhookRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		statuses []int
		attempts int
		ok       bool
	}{
		{"server error then success", []int{500, 502}, 3, true},
		{"too many requests obeys Retry-After up to the cap", []int{429}, 2, true},
		{"a refusal is not retried", []int{400}, 1, false},
		{"always failing gives up after the attempts", []int{500, 500, 500, 500, 500}, 4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newReceiver(t, tt.statuses...)
			secretURL := r.srv.URL + "/services/T0/B0/secret-token?sig=secret-sig"
			n := &Notifier{Webhooks: []Webhook{{URL: secretURL, Format: JSON}}, Backoff: fastBackoff}
			rep := n.Notify(context.Background(), sampleEvent())
			d := rep.Deliveries[0]
			if d.Attempts != tt.attempts || (d.Err == nil) != tt.ok {
				t.Fatalf("delivery %+v, want %d attempts, ok %v", d, tt.attempts, tt.ok)
			}
			if !tt.ok {
				msg := d.Err.Error()
				if !errors.Is(d.Err, ErrDelivery) || strings.Contains(msg, "secret") || !strings.Contains(msg, "HTTP ") ||
					!strings.Contains(msg, "refused for a test") {
					t.Errorf("error %q", msg)
				}
			}
			if strings.Contains(d.Target, "secret") {
				t.Errorf("target %q shows the secret", d.Target)
			}
		})
	}
}

// TestUnreachableReceiver: a network error is retried, and its message
// does not carry the URL's secret.
func TestUnreachableReceiver(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hook/secret-token"
	srv.Close()
	rep := (&Notifier{Webhooks: []Webhook{{URL: url}}, Backoff: fastBackoff}).Notify(context.Background(), sampleEvent())
	d := rep.Deliveries[0]
	if d.Err == nil || d.Attempts != fastBackoff.Attempts || strings.Contains(d.Err.Error(), "secret-token") {
		t.Errorf("delivery %+v", d)
	}
}

// TestBudget: a receiver that never answers holds Notify no longer than the
// budget, and a cancelled run context does not stop the notification.
func TestBudget(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the run was interrupted
	start := time.Now()
	n := &Notifier{Webhooks: []Webhook{{URL: srv.URL}}, Budget: 300 * time.Millisecond, Backoff: DefaultBackoff}
	rep := n.Notify(ctx, sampleEvent())
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Notify took %v, budget 300ms", took)
	}
	if d := rep.Deliveries[0]; d.Attempts != 1 || !errors.Is(d.Err, context.DeadlineExceeded) {
		t.Errorf("delivery %+v: want one attempt cut by the budget", d)
	}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	n := &Notifier{Webhooks: []Webhook{{URL: r.srv.URL}}, When: OnFailure, Backoff: fastBackoff}
	ok := sampleEvent()
	ok.ExitCode = 0
	if rep := n.Notify(context.Background(), ok); !rep.Skipped || len(rep.Deliveries) != 0 || r.calls.Load() != 0 {
		t.Errorf("a successful run was notified under --notify-on failure: %+v", rep)
	}
	if rep := n.Notify(context.Background(), sampleEvent()); rep.Skipped || rep.Err() != nil || r.calls.Load() != 1 {
		t.Errorf("a failed run was not notified: %+v", rep)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Format{"json": JSON, " Slack ": Slack, "TEAMS": Teams, "xml": ""} {
		got, err := ParseFormat(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	for in, want := range map[string]When{"always": Always, "failure": OnFailure, "never": ""} {
		got, err := ParseWhen(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("ParseWhen(%q) = %q, %v", in, got, err)
		}
	}
}

func TestFromRunFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	summary := `{"runId":"r1","input":"a.csv","exitCode":1,"exitMeaning":"fatal","stopReason":"LOGIN_REFUSED",
		"message":"EnKash refused the login","rows":0,"statuses":{"MATCHED":0},"folder":"` + dir + `"}`
	if err := os.WriteFile(filepath.Join(dir, SummaryJSON), []byte(summary), 0o600); err != nil {
		t.Fatal(err)
	}
	ev, err := FromRunFolder(dir)
	if err != nil || ev.RunID != "r1" || ev.StopReason != "LOGIN_REFUSED" || ev.ExitCode != 1 || ev.HTMLReport != "" ||
		string(ev.Summary) != summary {
		t.Fatalf("FromRunFolder = %+v, %v", ev, err)
	}
	if !strings.Contains(ev.Text(), "Stopped: LOGIN_REFUSED EnKash refused the login\n") {
		t.Errorf("text: %q", ev.Text())
	}
	if err := os.WriteFile(filepath.Join(dir, SummaryHTML), []byte("<p>hi</p>"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ev, _ := FromRunFolder(dir); ev.HTMLReport != filepath.Join(dir, SummaryHTML) {
		t.Errorf("HTMLReport = %q", ev.HTMLReport)
	}
	if _, err := FromRunFolder(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no summary: %v", err)
	}
}

func TestNewWebhook(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url    string
		format Format
		ok     bool
	}{
		{"https://hooks.slack.com/services/T0/B0/secret", Slack, true},
		{"http://127.0.0.1:8080/hook", JSON, true},
		{"ftp://files.example.com/secret-token-1", JSON, false},
		{"hooks.slack.com/services/T0/B0/secret", Slack, false},
		{"https://hooks.slack.com/services/T0/B0/secret", "xml", false},
	}
	for _, tt := range tests {
		w, err := NewWebhook(tt.url, tt.format)
		if (err == nil) != tt.ok || (tt.ok && w.URL != tt.url) {
			t.Errorf("NewWebhook(%q, %q) = %+v, %v", tt.url, tt.format, w, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error shows the secret: %v", err)
		}
	}
}
