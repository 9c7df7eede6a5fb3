package enkash

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// RejectedError means EnKash answered and refused the request: HTTP 200 with
// a non-zero code, or a 4xx such as 400, 404 or 422. The request did not take
// effect and sending it again would be refused again: never resend it.
type RejectedError struct {
	Endpoint   string // API path, for example "/api/v0/partner/enKashCard/create-allocate-points"
	HTTPStatus int    // 200 for a business failure
	Code       int    // EnKash's code or response_code; 0 when the body had none
	Message    string // EnKash's message, as sent
}

// Error names the endpoint and EnKash's code or status and message.
func (e *RejectedError) Error() string {
	if e.HTTPStatus == 200 {
		return fmt.Sprintf("EnKash refused %s: code %d: %s", e.Endpoint, e.Code, e.Message)
	}
	return fmt.Sprintf("EnKash refused %s: HTTP %d: %s", e.Endpoint, e.HTTPStatus, e.Message)
}

// NotAppliedError means the request provably did not reach EnKash: the
// connection was never established, the request was provably not written,
// or EnKash answered 429 (throttled). It is safe to send the same request
// again, after RetryAfter when set.
type NotAppliedError struct {
	Endpoint   string
	HTTPStatus int           // 429, or 0 when no answer arrived
	RetryAfter time.Duration // from the Retry-After header; 0 when absent
	Err        error
}

// Error names the endpoint, the status if any, and the cause.
func (e *NotAppliedError) Error() string {
	if e.HTTPStatus != 0 {
		return fmt.Sprintf("%s not applied: HTTP %d: %v", e.Endpoint, e.HTTPStatus, e.Err)
	}
	return fmt.Sprintf("%s not applied: %v", e.Endpoint, e.Err)
}

// Unwrap returns the underlying cause.
func (e *NotAppliedError) Unwrap() error { return e.Err }

// AmbiguousError means the request may have reached EnKash and its outcome
// is unknown: every 5xx (a gateway's 502, 503 or 504 often follows a request
// the back end applied), a 403, 408 or 499, a timeout or a reset after the
// request was written, or an answer that could not be read. EnKash may have
// applied it. Settle it with a transaction lookup by reference; never resend
// it blindly.
type AmbiguousError struct {
	Endpoint   string
	HTTPStatus int           // 0 when no answer arrived
	RetryAfter time.Duration // from the Retry-After header of a 503; 0 when absent
	Err        error
}

// Error names the endpoint, the status if any, and the cause.
func (e *AmbiguousError) Error() string {
	if e.HTTPStatus != 0 {
		return fmt.Sprintf("%s outcome unknown: HTTP %d: %v", e.Endpoint, e.HTTPStatus, e.Err)
	}
	return fmt.Sprintf("%s outcome unknown: %v", e.Endpoint, e.Err)
}

// Unwrap returns the underlying cause.
func (e *AmbiguousError) Unwrap() error { return e.Err }

// DuplicateError means EnKash refused the request because its reference
// was already used: HTTP 409 ("Transaction ID already exists"), or a refusal
// whose message says duplicate or already exists ("Duplicate reference
// number", code 1). It is evidence that an earlier request with the same
// reference reached EnKash: look the reference up; never resend it, and
// never report it as a plain refusal that a person may correct and send
// again.
type DuplicateError struct {
	Endpoint   string
	HTTPStatus int    // 409, or 200 for a business failure
	Code       int    // EnKash's code; 0 when the body had none
	Message    string // EnKash's message, as sent
}

// Error names the endpoint and EnKash's message.
func (e *DuplicateError) Error() string {
	return fmt.Sprintf("EnKash refused %s as a duplicate (HTTP %d, code %d): %s", e.Endpoint, e.HTTPStatus, e.Code, e.Message)
}

// duplicateMarks are the phrases of a duplicate refusal, in lower case.
var duplicateMarks = []string{"duplicate", "already exist", "already used", "already been used", "already processed", "already present"}

// isDuplicateText reports whether a refusal's message says that the
// reference was used before. It errs on the side of duplicate: a duplicate
// read as a plain refusal could be corrected and paid again.
func isDuplicateText(msg string) bool {
	m := strings.ToLower(msg)
	for _, d := range duplicateMarks {
		if strings.Contains(m, d) {
			return true
		}
	}
	return false
}

// refusal is the error of an answer that refused the request: a
// [*DuplicateError] when the message says duplicate, else a
// [*RejectedError].
func refusal(endpoint string, status, code int, msg string) error {
	if isDuplicateText(msg) {
		return &DuplicateError{Endpoint: endpoint, HTTPStatus: status, Code: code, Message: msg}
	}
	return &RejectedError{Endpoint: endpoint, HTTPStatus: status, Code: code, Message: msg}
}

// LoginError means the token request failed; the API call that needed the
// token was never sent. When Rejected is true EnKash refused the
// credentials; the client then refuses every further login, because three
// failed logins lock the EnKash account. When GaveUp is true the token
// endpoint kept failing (5xx, 429, timeouts) for longer than the client
// waits. Either way a batch must stop ([Classify] says SafetyFatal);
// otherwise the failure is SafetyNotApplied.
type LoginError struct {
	HTTPStatus int
	Rejected   bool          // EnKash refused the credentials
	GaveUp     bool          // logins failed repeatedly; the client will not try again
	RetryAfter time.Duration // from the Retry-After header of a 429 or 503
	Message    string
	Err        error
}

// Fatal reports whether the batch must stop: the credentials were refused,
// or the client gave up logging in to stay clear of the account lockout.
func (e *LoginError) Fatal() bool { return e.Rejected || e.GaveUp }

// Error explains the failed login and, when the client gave up, why.
func (e *LoginError) Error() string {
	if e.Rejected {
		return fmt.Sprintf("EnKash rejected the login (HTTP %d: %s); not retrying, because three failed logins lock the EnKash account: "+
			"check ENKASH_USERNAME, ENKASH_PASSWORD, ENKASH_CLIENT_ID and ENKASH_CLIENT_SECRET", e.HTTPStatus, e.Message)
	}
	var what string
	if e.HTTPStatus != 0 {
		what = fmt.Sprintf("EnKash login failed: HTTP %d: %s", e.HTTPStatus, e.Message)
	} else {
		what = fmt.Sprintf("EnKash login failed: %v", e.Err)
	}
	if e.GaveUp {
		what += "; not trying again, because three failed logins lock the EnKash account"
	}
	return what
}

// Unwrap returns the underlying cause.
func (e *LoginError) Unwrap() error { return e.Err }

// AuthError means an API call was refused as unauthorised (HTTP 401) even
// with a freshly issued token. The request did not take effect, but the
// credentials do not open this API: [Classify] says SafetyFatal.
type AuthError struct {
	Endpoint string
	Message  string
}

// Error names the endpoint that refused a fresh token.
func (e *AuthError) Error() string {
	return fmt.Sprintf("EnKash refused %s as unauthorised even after a fresh login: %s", e.Endpoint, e.Message)
}

// Safety is what a caller may do after an error.
type Safety int

// The classes of [Classify].
const (
	SafetyNone       Safety = iota // no error
	SafetyRejected                 // refused, provably not applied: never resend as is
	SafetyNotApplied               // provably never reached EnKash: safe to resend
	SafetyAmbiguous                // may have happened: look up before resending
	SafetyDuplicate                // refused as a duplicate reference: an earlier request reached EnKash; look up, never resend
	SafetyFatal                    // the batch must stop: the login was refused or keeps failing, or a persistent 401
)

// Classify maps an error returned by a [Client] call to what is safe to do.
// It trusts only evidence: an error the client did not produce and cannot
// explain is Ambiguous, the safe default.
func Classify(err error) Safety {
	var (
		rej   *RejectedError
		dup   *DuplicateError
		na    *NotAppliedError
		amb   *AmbiguousError
		login *LoginError
		auth  *AuthError
	)
	switch {
	case err == nil:
		return SafetyNone
	case errors.As(err, &login):
		if login.Fatal() {
			return SafetyFatal
		}
		return SafetyNotApplied
	case errors.As(err, &auth):
		return SafetyFatal
	case errors.As(err, &dup):
		return SafetyDuplicate
	case errors.As(err, &rej):
		return SafetyRejected
	case errors.As(err, &na):
		return SafetyNotApplied
	case errors.As(err, &amb):
		return SafetyAmbiguous
	}
	return SafetyAmbiguous
}
