// Package enkash is a client for the EnKash Rewards API: the OAuth password
// token flow, the AES envelope that wraps request and response bodies, both
// response envelopes the portal documents, and the endpoints a bulk reward
// allocation needs.
//
// Every error a call returns says what is safe to do next, through
// [Classify], and it trusts only evidence. A [*NotAppliedError] provably
// never reached EnKash (no connection, a request provably not written, a
// 429) and may be retried. A [*RejectedError] was refused and must not be
// resent as is. A [*DuplicateError] was refused because the reference was
// used before: an earlier request reached EnKash. An [*AmbiguousError] (every
// 5xx, a timeout or reset after the request was written, an unreadable
// answer) may have taken effect and must be settled by
// [Client.FindTransactions] before anything is resent; an empty
// [Lookup] that is not Conclusive proves nothing. A [*LoginError] is not
// applied while the client retries the token endpoint, and stops a batch
// when the login is refused or the client gives up; an [*AuthError] stops a
// batch too.
//
// Numbers EnKash writes (balances, amounts, otbBalance) are read exactly in
// every JSON form through
// [github.com/rewardbatch/rewardbatch/pkg/money.ParseWire].
//
// A [Client] is safe for concurrent use by many goroutines.
package enkash
