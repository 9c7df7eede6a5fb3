package enkash

import (
	"errors"
	"fmt"
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

// NotAppliedError means the request provably did not take effect: a 429 or
// 503 answer, or a connection that failed before the request was written.
// It is safe to send the same request again, after RetryAfter when set.
type NotAppliedError struct {
	Endpoint   string
	HTTPStatus int           // 0 when no answer arrived
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

// AmbiguousError means the request was written but its outcome is unknown: a
// timeout or a reset after the request left, a 500, 502 or 504, or an answer
// that could not be read. EnKash may have applied it. Settle it with a
// transaction lookup by reference; never resend it blindly.
type AmbiguousError struct {
	Endpoint   string
	HTTPStatus int // 0 when no answer arrived
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

// LoginError means the token request failed. When Rejected is true EnKash
// refused the credentials; the client then refuses every further login,
// because three failed logins lock the EnKash account. A batch must stop.
type LoginError struct {
	HTTPStatus int
	Rejected   bool // EnKash refused the credentials
	GaveUp     bool // logins failed repeatedly; the client will not try again
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
// with a freshly issued token. The request did not take effect, so it is
// classified as not applied: a token that expired again in between heals on
// the next attempt, and a permanent refusal trips the caller's failure
// threshold.
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
	SafetyRejected                 // refused: never resend
	SafetyNotApplied               // did not happen: safe to resend
	SafetyAmbiguous                // may have happened: look up before resending
	SafetyFatal                    // the batch must stop: the login was refused
)

// Classify maps an error returned by a [Client] call to what is safe to do.
// Errors the client did not produce (for example a cancelled context before
// the request left) are NotApplied when they wrap context errors, else
// Ambiguous, the safe default.
func Classify(err error) Safety {
	var (
		rej   *RejectedError
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
		return SafetyNotApplied
	case errors.As(err, &rej):
		return SafetyRejected
	case errors.As(err, &na):
		return SafetyNotApplied
	case errors.As(err, &amb):
		return SafetyAmbiguous
	}
	return SafetyAmbiguous
}
