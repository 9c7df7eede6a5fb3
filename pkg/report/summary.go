package report

import (
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// Summary is summary.json: what a pipeline reads after a run.
type Summary struct {
	Tool        string `json:"tool"`
	Version     string `json:"version"`
	RunID       string `json:"runId"`
	Sandbox     bool   `json:"sandbox"`
	Note        string `json:"note,omitempty"`
	Input       string `json:"input"`
	InputSHA256 string `json:"inputSha256"`
	PlanHash    string `json:"planHash"`
	// RunBy is who ran it, user@host.
	RunBy string `json:"runBy,omitempty"`
	// BalanceBefore and BalanceAfter are the reward account's available
	// points around the run, when known.
	BalanceBefore   string    `json:"balanceBefore,omitempty"`
	BalanceAfter    string    `json:"balanceAfter,omitempty"`
	StartedAt       time.Time `json:"startedAt"`
	FinishedAt      time.Time `json:"finishedAt"`
	DurationSeconds float64   `json:"durationSeconds"`
	RowsPerSecond   float64   `json:"rowsPerSecond"`
	Tally
	Stopped string `json:"stopped,omitempty"`
	// StopReason is a stable code for why the run did not end with every
	// row done (see job's Reason constants); empty when it did. Message
	// says it in words.
	StopReason  string   `json:"stopReason,omitempty"`
	Message     string   `json:"message,omitempty"`
	ExitCode    int      `json:"exitCode"`
	ExitMeaning string   `json:"exitMeaning"`
	Folder      string   `json:"folder"`
	Files       []string `json:"files"`
}

// RunBy returns user@host of this process, for [Summary.RunBy]; a part
// that cannot be found is "unknown".
func RunBy() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return name + "@" + host
}

// Print writes the human summary: the same facts as summary.json.
func (s *Summary) Print(w io.Writer) error {
	var b strings.Builder
	if s.Note != "" {
		fmt.Fprintf(&b, "*** %s ***\n", s.Note)
	}
	fmt.Fprintf(&b, "Run %s: %d rows in %.1fs (%.0f rows/s)\n", s.RunID, s.Rows, s.DurationSeconds, s.RowsPerSecond)
	var parts []string
	for _, st := range reward.Statuses {
		if n := s.Statuses[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", st, n))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no rows")
	}
	fmt.Fprintf(&b, "  %s\n", strings.Join(parts, ", "))
	fmt.Fprintf(&b, "  %-10s %7s %16s %16s %16s\n", "operation", "rows", "points", "confirmed", "already done")
	for _, op := range reward.Operations {
		t := s.Ops[op]
		if t == nil || t.Rows == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %-10s %7d %16s %16s %16s\n", op, t.Rows, t.Points.Fixed2(), t.ConfirmedPoints.Fixed2(), t.SkippedPoints.Fixed2())
	}
	if s.Stopped != "" {
		fmt.Fprintf(&b, "  stopped early: %s\n", s.Stopped)
	}
	if s.StopReason != "" {
		fmt.Fprintf(&b, "  stop reason: %s\n", s.StopReason)
	}
	fmt.Fprintf(&b, "  exit code %d: %s\n", s.ExitCode, s.ExitMeaning)
	fmt.Fprintf(&b, "Reports: %s\n", s.Folder)
	_, err := io.WriteString(w, b.String())
	return err
}
