// Package enkash is a client for the EnKash Rewards API: the OAuth password
// token flow, the AES envelope that wraps request and response bodies, both
// response envelopes the portal documents, and the endpoints a bulk reward
// allocation needs.
//
// Every error a call returns says what is safe to do next, checked with
// errors.As: a [*RejectedError] was refused by EnKash and must never be
// resent; a [*NotAppliedError] provably did not take effect and may be
// retried; an [*AmbiguousError] may or may not have taken effect and must be
// settled by a transaction lookup before anything is resent. A [*LoginError]
// or an [*AuthError] stops a batch.
//
// A [Client] is safe for concurrent use by many goroutines.
package enkash
