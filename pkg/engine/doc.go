// Package engine submits validated rows to EnKash through a bounded worker
// pool, and turns every row into exactly one [reward.Outcome].
//
// It follows the errgroup pipeline shape: a reader goroutine feeds rows
// (through a stage that records them with the journal first), N workers
// send them, and a reorder stage hands the outcomes on in input order with
// bounded memory. One rate limiter is shared by every request, lookups
// included; a 429 pauses them all, and a pause longer than MaxPause stops
// the run.
//
// Only an answer that proves a request was not applied permits another
// attempt. A row whose answer was lost is parked: it leaves its worker and
// its place in the report, and the [Settler] looks it up, on its card, with
// growing pauses over the settle window. Only a lookup that finds it
// settles it; otherwise it ends UNKNOWN and the run that sent it never
// sends it again. A later run resends it only when repeated lookups spread
// over ResendAfter did not find it ([Settler.MayResend]). reconcile settles
// with the same Settler. A row EnKash refuses is an outcome, not an error;
// only batch-fatal conditions (a refused login, an unwritable ledger, a
// bug) stop the run, and every row still gets its outcome.
package engine
