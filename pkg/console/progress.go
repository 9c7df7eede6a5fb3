package console

import (
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// progress counts the outcomes of one run as the engine reports them.
type progress struct {
	mu       sync.Mutex
	total    int
	started  time.Time
	counts   map[reward.Status]int
	phase    string // waiting, checking, sending, finished
	finished bool
	message  string
	done     chan struct{} // closed when the run has ended
}

func newProgress(total int) *progress {
	return &progress{total: total, counts: map[reward.Status]int{}, phase: "waiting", done: make(chan struct{})}
}

func (p *progress) add(st reward.Status) {
	p.mu.Lock()
	p.counts[st]++
	p.mu.Unlock()
}

// settle replaces the counts with a finished run's own, which also count
// the rows a stop left NOT_SENT.
func (p *progress) settle(counts map[reward.Status]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[reward.Status]int{}
	p.total = 0
	for st, n := range counts {
		p.counts[st] = n
		p.total += n
	}
}

func (p *progress) setPhase(phase string) {
	p.mu.Lock()
	p.phase = phase
	if phase == "sending" {
		p.started = time.Now()
	}
	p.mu.Unlock()
}

func (p *progress) finish(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.phase, p.finished, p.message = "finished", true, msg
	close(p.done)
}

// snapshot is what the progress page shows; the events stream sends it as
// JSON.
type snapshot struct {
	Phase       string  `json:"phase"`
	PhaseLabel  string  `json:"phaseLabel"`
	Total       int     `json:"total"`
	Processed   int     `json:"processed"`
	Done        int     `json:"done"`    // MATCHED or SKIPPED
	Failed      int     `json:"failed"`  // FAILED, MISMATCH, INVALID, NOT_SENT
	Unknown     int     `json:"unknown"` // UNKNOWN
	Percent     int     `json:"percent"`
	Rate        float64 `json:"rate"`        // rows per second
	SecondsLeft int     `json:"secondsLeft"` // -1 when not known
	Finished    bool    `json:"finished"`
	Message     string  `json:"message"`
}

// phaseLabels say what a run is doing.
var phaseLabels = map[string]string{
	"waiting":  "Waiting for the run before it to finish…",
	"checking": "Checking the file again against the approved plan…",
	"sending":  "Sending to EnKash…",
	"finished": "Finished.",
}

// count adds n rows of status st.
func (s *snapshot) count(st reward.Status, n int) {
	s.Processed += n
	switch {
	case st.Done():
		s.Done += n
	case st == reward.StatusUnknown:
		s.Unknown += n
	default:
		s.Failed += n
	}
}

func (p *progress) snapshot() snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := snapshot{Phase: p.phase, Total: p.total, Finished: p.finished, Message: p.message, SecondsLeft: -1}
	s.PhaseLabel = phaseLabels[p.phase]
	for st, n := range p.counts {
		s.count(st, n)
	}
	if p.total > 0 {
		s.Percent = min(100, s.Processed*100/p.total)
	}
	if el := time.Since(p.started).Seconds(); !p.started.IsZero() && el > 0 && s.Processed > 0 {
		s.Rate = float64(s.Processed) / el
		if !p.finished {
			s.SecondsLeft = int(float64(max(p.total-s.Processed, 0)) / s.Rate)
		}
	}
	return s
}

// progressLogger returns a logger that writes to base and also counts the
// engine's per-row outcome entries ("row", at debug level, with a status
// field) into p, whatever base's level.
func progressLogger(base *zap.Logger, p *progress) *zap.Logger {
	return zap.New(&progressCore{Core: base.Core(), p: p})
}

type progressCore struct {
	zapcore.Core
	p *progress
}

func (c *progressCore) Enabled(zapcore.Level) bool { return true }

func (c *progressCore) With(fs []zapcore.Field) zapcore.Core {
	return &progressCore{Core: c.Core.With(fs), p: c.p}
}

func (c *progressCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if e.Message == "row" && e.Level == zapcore.DebugLevel {
		ce = ce.AddCore(e, c)
	}
	return c.Core.Check(e, ce)
}

// Write counts a row entry; the base core writes its own copy.
func (c *progressCore) Write(_ zapcore.Entry, fs []zapcore.Field) error {
	for _, f := range fs {
		if f.Key == "status" && f.Type == zapcore.StringType {
			c.p.add(reward.Status(f.String))
		}
	}
	return nil
}
