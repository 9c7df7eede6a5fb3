// Package metrics writes a run's counters in the Prometheus text format, for
// node_exporter's textfile collector: rows by status, points by operation,
// the run's duration and exit code, and the time of the last successful
// run. The file is replaced atomically, so the collector never reads half
// of it.
package metrics

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// Points are the points of one operation in one state (planned, sent,
// confirmed, already_done).
type Points struct {
	Operation string
	Kind      string
	Amount    money.Amount
}

// Run is what one run counted.
type Run struct {
	Statuses map[string]int // rows per status
	Points   []Points
	Duration time.Duration
	Finished time.Time
	ExitCode int
	Sandbox  bool
}

// The metric names.
const (
	RowsName        = "rewardbatch_rows"
	PointsName      = "rewardbatch_points"
	DurationName    = "rewardbatch_run_duration_seconds"
	ExitCodeName    = "rewardbatch_run_exit_code"
	FinishedName    = "rewardbatch_run_finished_timestamp_seconds"
	SandboxName     = "rewardbatch_run_sandbox"
	LastSuccessName = "rewardbatch_last_success_timestamp_seconds"
)

// Write replaces the file at path with the run's metrics. The time of the
// last successful run (exit code 0, not in the sandbox) is this run's end
// when it succeeded,
// else carried over from the file being replaced, so an alert on its age
// keeps working across failed runs.
func Write(path string, r Run) error {
	lastSuccess, err := previousSuccess(path)
	if err != nil {
		return err
	}
	if r.ExitCode == 0 && !r.Sandbox {
		lastSuccess = float64(r.Finished.UnixMilli()) / 1000
	}
	reg := prometheus.NewPedanticRegistry()
	if err := register(reg, r, lastSuccess); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if err := prometheus.WriteToTextfile(path, reg); err != nil {
		return fmt.Errorf("metrics: write %s: %w", path, err)
	}
	return nil
}

// register adds the run's gauges to reg.
func register(reg *prometheus.Registry, r Run, lastSuccess float64) error {
	rows := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: RowsName,
		Help: "Rows of the last run, by final status."}, []string{"status"})
	for st, n := range r.Statuses {
		rows.WithLabelValues(st).Set(float64(n))
	}
	points := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: PointsName,
		Help: "Points of the last run, by operation and state (planned, sent, confirmed, already_done)."}, []string{"operation", "kind"})
	for _, p := range r.Points {
		// Exact to the hundredth for any amount below 2^53 hundredths.
		points.WithLabelValues(p.Operation, p.Kind).Set(float64(p.Amount.Hundredths()) / 100)
	}
	gauge := func(name, help string, v float64) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
		g.Set(v)
		return g
	}
	cs := []prometheus.Collector{rows, points,
		gauge(DurationName, "Duration of the last run in seconds.", r.Duration.Seconds()),
		gauge(ExitCodeName, "Exit code of the last run (0 all done, 1 fatal, 2 invalid input, 3 some rows failed, 4 incomplete).", float64(r.ExitCode)),
		gauge(FinishedName, "Unix time at which the last run ended.", float64(r.Finished.UnixMilli())/1000),
		gauge(SandboxName, "1 when the last run used the sandbox (no real points), else 0.", b2f(r.Sandbox)),
	}
	if lastSuccess > 0 {
		cs = append(cs, gauge(LastSuccessName, "Unix time at which the last run with exit code 0 ended.", lastSuccess))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// previousSuccess reads the last-success time from the file a previous
// run wrote; 0 when there is none.
func previousSuccess(path string) (float64, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	defer f.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(f)
	if err != nil {
		return 0, fmt.Errorf("metrics: %s is not a metrics file this tool wrote (%w); remove it or choose another --metrics-file", path, err)
	}
	mf := families[LastSuccessName]
	if mf == nil || len(mf.GetMetric()) == 0 {
		return 0, nil
	}
	return mf.GetMetric()[0].GetGauge().GetValue(), nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
