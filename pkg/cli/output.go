package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/inbox"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// OutputSchemaVersion is the version of what --output json and history
// --json print. It changes only when a field is removed or changes
// meaning; new fields may be added at any time.
const OutputSchemaVersion = 1

// Document is what `validate`, `run` and `reconcile` print on stdout with
// --output json: one JSON object, whatever the exit code.
type Document struct {
	SchemaVersion int    `json:"schemaVersion"`
	Command       string `json:"command"`
	ExitCode      int    `json:"exitCode"`
	ExitMeaning   string `json:"exitMeaning"`
	// StopReason is summary.json's stable code (runs only).
	StopReason string `json:"stopReason,omitempty"`
	// Error is why the command failed, when it did for a reason other
	// than the rows.
	Error  string `json:"error,omitempty"`
	Folder string `json:"folder,omitempty"`
	// Plan is the validation's plan (validate).
	Plan *validate.Plan `json:"plan,omitempty"`
	// Summary is the run's summary.json (run, reconcile).
	Summary *report.Summary `json:"summary,omitempty"`
	// Files is what `run --inbox` did with each file it saw, in order
	// ([] when it saw none); absent for the other commands.
	Files *[]InboxFile `json:"files,omitempty"`
}

// InboxFile is one file of `run --inbox --output json`.
type InboxFile struct {
	Name string `json:"name"`
	// State is done, failed, retry, waiting, refused or settling.
	State   string `json:"state"`
	Resumed bool   `json:"resumed,omitempty"`
	// Reason is why the file waits, was refused, or stays in processing/.
	Reason string `json:"reason,omitempty"`
	// Error is why the file could not run, or could not be read or moved.
	Error string `json:"error,omitempty"`
	// Folder, ExitCode and Summary are its run's, when it ran.
	Folder   string          `json:"folder,omitempty"`
	ExitCode *int            `json:"exitCode,omitempty"`
	Summary  *report.Summary `json:"summary,omitempty"`
}

// inboxFiles are the report's entries as --output json prints them.
func inboxFiles(rep inbox.Report) *[]InboxFile {
	files := []InboxFile{}
	for _, e := range rep.Entries {
		f := InboxFile{Name: e.Name, State: string(e.State), Resumed: e.Resumed, Reason: e.Reason}
		if e.Err != nil {
			f.Error = e.Err.Error()
		}
		if e.Ran() {
			code := e.ExitCode
			f.Folder, f.ExitCode, f.Summary = e.Folder, &code, readSummary(e.Folder)
		}
		files = append(files, f)
	}
	return &files
}

// HistoryDocument is what `history --json` prints.
type HistoryDocument struct {
	SchemaVersion int          `json:"schemaVersion"`
	Runs          []HistoryRun `json:"runs"`
}

// HistoryRun is one run of history --json.
type HistoryRun struct {
	ID         string     `json:"id"`
	State      string     `json:"state"` // finished, running or "did not finish"
	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	Input      string     `json:"input"`
	Folder     string     `json:"folder"`
	Sandbox    bool       `json:"sandbox"`
	PlanHash   string     `json:"planHash"`
	ExitCode   *int       `json:"exitCode,omitempty"`
	// Summary is the run's summary.json, once it finished.
	Summary json.RawMessage `json:"summary,omitempty"`
}

// outputFlag is --output.
type outputFlag struct{ format string }

func (f *outputFlag) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.format, "output", "text", "text, or json: print one JSON document on stdout "+
		"(schemaVersion "+fmt.Sprint(OutputSchemaVersion)+", see the README) and the human text on stderr")
}

// check refuses an unknown format.
func (f *outputFlag) check() error {
	if f.format != "text" && f.format != "json" {
		return fmt.Errorf("--output %q: want text or json", f.format)
	}
	return nil
}

// human returns the globals to run the command with: in JSON mode, its
// human text goes to stderr, leaving stdout to the document.
func (f *outputFlag) human(g *globals) *globals {
	if f.format != "json" {
		return g
	}
	h := *g
	h.stdout = g.stderr
	return &h
}

// print writes the document when --output json, filling in the exit
// meaning and the error.
func (f *outputFlag) print(g *globals, d Document, err error) error {
	if f.format != "json" {
		return nil
	}
	d.SchemaVersion, d.ExitMeaning = OutputSchemaVersion, exitcode.Meaning(d.ExitCode)
	if err != nil {
		d.Error = err.Error()
	}
	if d.Summary != nil && d.StopReason == "" {
		d.StopReason = d.Summary.StopReason
	}
	return writeJSON(g, d)
}

func writeJSON(g *globals, v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// readSummary reads a run folder's summary.json, or nil.
func readSummary(dir string) *report.Summary {
	raw, err := os.ReadFile(filepath.Join(dir, report.SummaryFile))
	if err != nil {
		return nil
	}
	var s report.Summary
	if json.Unmarshal(raw, &s) != nil {
		return nil
	}
	return &s
}

// historyRuns are the runs as history --json prints them; running says
// whether a run still holds the ledger.
func historyRuns(runs []ledger.RunRecord, running func(ledger.RunRecord) bool) HistoryDocument {
	doc := HistoryDocument{SchemaVersion: OutputSchemaVersion, Runs: []HistoryRun{}}
	for _, r := range runs {
		h := HistoryRun{ID: r.ID, State: runState(r, running), StartedAt: r.StartedAt.UTC(), Input: r.Input, Folder: r.Folder,
			Sandbox: r.Sandbox, PlanHash: r.PlanHash}
		if !r.FinishedAt.IsZero() {
			at := r.FinishedAt.UTC()
			h.FinishedAt = &at
		}
		if r.ExitCode >= 0 {
			code := r.ExitCode
			h.ExitCode = &code
		}
		if r.Summary != "" && json.Valid([]byte(r.Summary)) {
			h.Summary = json.RawMessage(r.Summary)
		}
		doc.Runs = append(doc.Runs, h)
	}
	return doc
}

// The states of a run in history.
const (
	stateFinished    = "finished"
	stateRunning     = "running"
	stateDidNotFinis = "did not finish"
)

func runState(r ledger.RunRecord, running func(ledger.RunRecord) bool) string {
	switch {
	case r.ExitCode >= 0:
		return stateFinished
	case running(r):
		return stateRunning
	}
	return stateDidNotFinis
}
