// Package notify tells people that a run ended: it posts the run's summary
// to webhooks (plain JSON, Slack- or Teams-compatible) and sends it by
// e-mail with summary.html attached. Delivery is retried with a capped
// backoff and never takes more than the notifier's budget (30 s by
// default), even when the run itself was interrupted. A failed delivery is
// a value in the [Report], never a reason to change the run's exit code.
// Secrets in URLs are masked (see [mask.URL]) in every message this package
// returns.
package notify
