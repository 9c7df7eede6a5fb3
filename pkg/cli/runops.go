package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/metrics"
	"github.com/rewardbatch/rewardbatch/pkg/notify"
	"github.com/rewardbatch/rewardbatch/pkg/report"
)

// opsFlags are what operations set around a run: who hears of its end,
// where its metrics go, how long it waits for the ledger.
type opsFlags struct {
	notify       []string
	notifyFormat string
	notifyOn     string
	mailTo       []string
	metricsFile  string
}

func (f *opsFlags) AddFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.notify, "notify", nil, "post the run's summary to this webhook URL when it ends (repeatable); "+
		"retried with backoff for at most 30 s; a failed delivery is logged and never changes the exit code")
	fs.StringVar(&f.notifyFormat, "notify-format", string(notify.JSON), "body of --notify: json (summary.json with schemaVersion), slack or teams")
	fs.StringVar(&f.notifyOn, "notify-on", string(notify.Always), "which runs are notified: always, or failure (exit code not 0)")
	fs.StringArrayVar(&f.mailTo, "mail-to", nil, "e-mail the summary (with summary.html when there is one) to this address (repeatable); "+
		"the server is "+notify.EnvSMTPURL+", for example smtp://user:pass@host:587?from=payroll@example.com")
	fs.StringVar(&f.metricsFile, "metrics-file", "", "write the run's counters to this file in Prometheus text format "+
		"(for node_exporter's textfile collector, e.g. /var/lib/node_exporter/textfile/rewardbatch.prom)")
}

// notifier builds the notifier of the flags, or nil when nobody is to be
// told. Its errors name the flag or variable, with URLs masked.
func (f *opsFlags) notifier(g *globals) (*notify.Notifier, error) {
	if len(f.notify) == 0 && len(f.mailTo) == 0 {
		return nil, nil
	}
	format, err := notify.ParseFormat(f.notifyFormat)
	if err != nil {
		return nil, fmt.Errorf("--notify-format: %w", err)
	}
	when, err := notify.ParseWhen(f.notifyOn)
	if err != nil {
		return nil, fmt.Errorf("--notify-on: %w", err)
	}
	n := &notify.Notifier{When: when}
	for _, u := range f.notify {
		w, err := notify.NewWebhook(u, format)
		if err != nil {
			return nil, fmt.Errorf("--notify: %w", err)
		}
		n.Webhooks = append(n.Webhooks, w)
	}
	if len(f.mailTo) > 0 {
		raw, ok := g.lookupEnv(notify.EnvSMTPURL)
		if !ok || raw == "" {
			return nil, fmt.Errorf("--mail-to needs the mail server in %s, for example smtps://user:pass@mail.example.com:465?from=payroll@example.com", notify.EnvSMTPURL)
		}
		srv, err := notify.ParseSMTPURL(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", notify.EnvSMTPURL, err)
		}
		if n.Mail, err = notify.NewMail(srv, f.mailTo); err != nil {
			return nil, fmt.Errorf("--mail-to: %w", err)
		}
	}
	return n, nil
}

// after writes the metrics file and sends the notifications of a run that
// left a folder. Their failures are logged at warn: they never change the
// run's exit code.
func (f *opsFlags) after(ctx context.Context, g *globals, n *notify.Notifier, res job.Result) {
	if res.Dir == "" || res.Summary == nil {
		return
	}
	if f.metricsFile != "" {
		if err := writeMetrics(f.metricsFile, res.Dir); err != nil {
			g.log.Warn("metrics file not written", zap.String("path", f.metricsFile), zap.Error(err))
		}
	}
	if n == nil {
		return
	}
	ev, err := notify.FromRunFolder(res.Dir)
	if err != nil {
		g.log.Warn("notification not sent", zap.Error(err))
		return
	}
	rep := n.Notify(ctx, ev)
	for _, d := range rep.Deliveries {
		if d.Err != nil {
			g.log.Warn("notification not delivered", zap.String("target", d.Target), zap.Int("attempts", d.Attempts), zap.Error(d.Err))
		} else {
			g.log.Info("notification delivered", zap.String("target", d.Target), zap.Int("attempts", d.Attempts))
		}
	}
}

func writeMetrics(path, dir string) error {
	raw, err := os.ReadFile(filepath.Join(dir, report.SummaryFile))
	if err != nil {
		return err
	}
	r, err := metrics.FromSummary(raw)
	if err != nil {
		return err
	}
	return metrics.Write(path, r)
}

// openLedger opens the run's ledger (waiting for another run as
// --wait-lock says) and names the stop reason of a failure.
func (f *opsFlags) openLedger(ctx context.Context, g *globals, lf *ledgerFlags, sandboxRun bool) (*ledger.Ledger, func() error, error) {
	if lf.waitLock > 0 {
		// The ledger (SQLite) or the account's lock (PostgreSQL) is
		// waited for inside the ledger, for at most this long.
		g.log.Info("waiting for the ledger while another run holds it", zap.Duration("waitLock", lf.waitLock))
	}
	l, closeLedger, err := lf.open(ctx, g, sandboxRun)
	return l, closeLedger, ledgerStop(err)
}

// ledgerStop marks a failure of the ledger with the stop reason
// LEDGER_ERROR, except a lock held by another run (LEDGER_LOCKED) and an
// interruption (INTERRUPTED), which the error tells by itself. On
// PostgreSQL the lock is taken when the scope is bound, so binding needs
// this as much as opening.
func ledgerStop(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, ledger.ErrLocked) {
		return err
	}
	return job.WithReason(job.ReasonLedger, err)
}
