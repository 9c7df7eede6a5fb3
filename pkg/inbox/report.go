package inbox

import (
	"fmt"
	"io"
)

// State is what Process did with one file.
type State string

// The states of a file in a [Report].
const (
	StateDone     State = "done"     // ran, moved to done/
	StateFailed   State = "failed"   // ran, moved to failed/
	StateRetry    State = "retry"    // ran or could not run; stays in processing/ for the next Process
	StateWaiting  State = "waiting"  // needs FILE.approved, or waits behind a file of its name in processing/
	StateRefused  State = "refused"  // FILE.approved holds another plan hash: the file changed since its approval
	StateSettling State = "settling" // still being written (changed within the settle time)
)

// Entry is one file's line in a [Report].
type Entry struct {
	Name     string
	State    State
	Resumed  bool   // found in processing/ at start
	Folder   string // the run folder, when it ran
	ExitCode int    // the run's exit code, when it ran
	Reason   string // why it waits, was refused, or stays
	Err      error  // the run could not run, or the file could not be read or moved
}

// Report lists what one Process did, in order.
type Report struct {
	Entries []Entry
}

// Ran reports whether the entry's run finished with an exit code.
func (e Entry) Ran() bool {
	return e.Err == nil && (e.State == StateDone || e.State == StateFailed || (e.State == StateRetry && e.Folder != ""))
}

// ExitCode sums the report up as one exit code for cron: 0 when every run
// that happened exited 0 and nothing was refused, else the most serious
// code seen, in the order 1 (fatal, or a file that could not run or move),
// 4, 3, 2 (a refused approval counts as invalid input). Files that wait
// or settle do not count.
func (r Report) ExitCode() int {
	rank := map[int]int{0: 0, 2: 1, 3: 2, 4: 3, 1: 4}
	worst := 0
	for _, e := range r.Entries {
		code := 0
		switch {
		case e.Err != nil:
			code = 1
		case e.State == StateRefused:
			code = 2
		case e.Ran():
			code = e.ExitCode
		}
		if _, known := rank[code]; !known {
			code = 1
		}
		if rank[code] > rank[worst] {
			worst = code
		}
	}
	return worst
}

// Print writes one line per file.
func (r Report) Print(w io.Writer) error {
	for _, e := range r.Entries {
		line := fmt.Sprintf("%-8s %s", e.State, e.Name)
		if e.Resumed {
			line += " (resumed)"
		}
		if e.Ran() {
			line += fmt.Sprintf(": exit %d, %s", e.ExitCode, e.Folder)
		}
		if e.Reason != "" {
			line += ": " + e.Reason
		}
		if e.Err != nil {
			line += ": " + e.Err.Error()
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}
