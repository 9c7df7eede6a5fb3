// Package engine submits validated rows to EnKash through a bounded worker
// pool, and turns every row into exactly one [reward.Outcome], in input order.
//
// It follows the errgroup pipeline shape: a reader goroutine feeds rows
// into an unbuffered channel, N workers send them, and a reconciler
// goroutine puts the outcomes back in input order with bounded memory.
// One rate limiter is shared by every worker; a 429 pauses them all. An
// error that may have been applied is never resent blindly: the engine
// looks the reference up first. A row EnKash refuses is an outcome, not an
// error; only batch-fatal conditions (a rejected login, an unwritable
// ledger or report) stop the run.
package engine
