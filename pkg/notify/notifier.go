package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/mask"
)

// When says which runs are notified.
type When string

// The notification policies.
const (
	Always    When = "always"
	OnFailure When = "failure" // every run whose exit code is not 0
)

// ParseWhen reads a --notify-on value.
func ParseWhen(s string) (When, error) {
	switch w := When(strings.ToLower(strings.TrimSpace(s))); w {
	case Always, OnFailure:
		return w, nil
	}
	return "", fmt.Errorf("notify-on %q: give always or failure", s)
}

// DefaultBudget is the longest a [Notifier.Notify] call takes.
const DefaultBudget = 30 * time.Second

// Notifier sends a run's event to its webhooks and mailbox. Its fields are
// read-only once Notify is called; Notify is safe for concurrent use.
type Notifier struct {
	Webhooks []Webhook
	Mail     *Mail // nil: no e-mail
	When     When  // "" means Always
	// Client posts the webhooks; nil uses one with a 10 s timeout per request.
	Client *http.Client
	// Budget bounds the whole of Notify; 0 means DefaultBudget.
	Budget time.Duration
	// Backoff is the retry policy; the zero value means DefaultBackoff.
	Backoff Backoff
}

// Delivery is the outcome of one target: a masked URL or "mail to ...".
type Delivery struct {
	Target   string
	Attempts int
	Err      error // nil when delivered
}

// Report is what Notify did: one delivery per target, in the notifier's
// order (webhooks, then mail). Skipped is set when the policy sent nothing.
type Report struct {
	Deliveries []Delivery
	Skipped    bool
}

// Err joins the errors of the failed deliveries, or is nil.
func (r Report) Err() error {
	var errs []error
	for _, d := range r.Deliveries {
		errs = append(errs, d.Err)
	}
	return errors.Join(errs...)
}

// Notify delivers the event to every target at once and returns when all
// are done or the budget is spent. It keeps going when ctx is cancelled
// (an interrupted run is worth a notification most), within the budget.
func (n *Notifier) Notify(ctx context.Context, ev Event) Report {
	if n.When == OnFailure && !ev.Failed() {
		return Report{Skipped: true}
	}
	budget := n.Budget
	if budget <= 0 {
		budget = DefaultBudget
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer cancel()
	backoff := n.Backoff
	if backoff.Attempts == 0 {
		backoff = DefaultBackoff
	}
	client := n.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	targets := len(n.Webhooks)
	if n.Mail != nil {
		targets++
	}
	report := Report{Deliveries: make([]Delivery, targets)}
	var wg sync.WaitGroup
	for i, w := range n.Webhooks {
		d := &report.Deliveries[i]
		d.Target = mask.URL(w.URL)
		wg.Go(func() {
			body, err := Body(w.Format, &ev)
			if err != nil {
				d.Err = fmt.Errorf("%w to %s: %w", ErrDelivery, d.Target, err)
				return
			}
			d.Attempts, d.Err = w.post(ctx, client, backoff, body)
		})
	}
	if n.Mail != nil {
		d := &report.Deliveries[targets-1]
		d.Target = "mail to " + n.Mail.maskedTo()
		wg.Go(func() { d.Attempts, d.Err = n.Mail.send(ctx, backoff, &ev) })
	}
	wg.Wait()
	return report
}
