package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Event is what a notification says about one finished run.
type Event struct {
	RunID       string
	Input       string
	Folder      string
	ExitCode    int
	ExitMeaning string
	StopReason  string // a stable code such as LOGIN_REFUSED; empty when the run finished
	Message     string // the stop reason in words
	Sandbox     bool
	Rows        int
	Statuses    map[string]int // rows per status
	// Summary is the run's summary.json, posted as is by the JSON format;
	// nil when the run wrote none.
	Summary json.RawMessage
	// HTMLReport is the path of summary.html, attached to e-mails when the
	// file exists.
	HTMLReport string
}

// Failed reports whether the run did not end with every row done (exit
// code other than 0).
func (e *Event) Failed() bool { return e.ExitCode != 0 }

// summaryFields are the fields of summary.json an [Event] needs.
type summaryFields struct {
	RunID       string         `json:"runId"`
	Input       string         `json:"input"`
	Folder      string         `json:"folder"`
	ExitCode    int            `json:"exitCode"`
	ExitMeaning string         `json:"exitMeaning"`
	StopReason  string         `json:"stopReason"`
	Message     string         `json:"message"`
	Stopped     string         `json:"stopped"`
	Sandbox     bool           `json:"sandbox"`
	Rows        int            `json:"rows"`
	Statuses    map[string]int `json:"statuses"`
}

// The files FromRunFolder reads.
const (
	SummaryJSON = "summary.json"
	SummaryHTML = "summary.html"
)

// FromRunFolder builds the event of a run from its folder's summary.json,
// and names summary.html for the e-mail when the folder has one.
func FromRunFolder(folder string) (Event, error) {
	raw, err := os.ReadFile(filepath.Join(folder, SummaryJSON))
	if err != nil {
		return Event{}, fmt.Errorf("notify: %w", err)
	}
	var s summaryFields
	if err := json.Unmarshal(raw, &s); err != nil {
		return Event{}, fmt.Errorf("notify: %s: %w", filepath.Join(folder, SummaryJSON), err)
	}
	ev := Event{RunID: s.RunID, Input: s.Input, Folder: s.Folder, ExitCode: s.ExitCode, ExitMeaning: s.ExitMeaning,
		StopReason: s.StopReason, Message: s.Message, Sandbox: s.Sandbox, Rows: s.Rows, Statuses: s.Statuses, Summary: raw}
	if ev.Message == "" {
		ev.Message = s.Stopped
	}
	if ev.Folder == "" {
		ev.Folder = folder
	}
	html := filepath.Join(folder, SummaryHTML)
	if _, err := os.Stat(html); err == nil {
		ev.HTMLReport = html
	} else if !errors.Is(err, os.ErrNotExist) {
		return ev, fmt.Errorf("notify: %w", err)
	}
	return ev, nil
}

// Title is the one-line headline of the event.
func (e *Event) Title() string {
	prefix := ""
	if e.Sandbox {
		prefix = "[SANDBOX, no real points] "
	}
	meaning := ""
	if e.ExitMeaning != "" {
		meaning = ": " + e.ExitMeaning
	}
	return fmt.Sprintf("%srewardbatch run %s ended with exit code %d%s", prefix, e.RunID, e.ExitCode, meaning)
}

// Facts are the event's details as label and value pairs, in a fixed
// order; empty ones are left out.
func (e *Event) Facts() [][2]string {
	var facts [][2]string
	add := func(k, v string) {
		if v != "" {
			facts = append(facts, [2]string{k, v})
		}
	}
	add("Input", e.Input)
	add("Rows", e.rows())
	if e.StopReason != "" || e.Message != "" {
		add("Stopped", strings.TrimSpace(e.StopReason+" "+e.Message))
	}
	add("Reports", e.Folder)
	return facts
}

// rows is "120 (MATCHED 118, FAILED 2)", statuses with rows only.
func (e *Event) rows() string {
	var parts []string
	for st, n := range e.Statuses {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", st, n))
		}
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return fmt.Sprint(e.Rows)
	}
	return fmt.Sprintf("%d (%s)", e.Rows, strings.Join(parts, ", "))
}

// Text is the event as plain text: the title and one line per fact.
func (e *Event) Text() string {
	var b strings.Builder
	b.WriteString(e.Title() + "\n")
	for _, f := range e.Facts() {
		fmt.Fprintf(&b, "%s: %s\n", f[0], f[1])
	}
	return b.String()
}
