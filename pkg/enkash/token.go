package enkash

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"
)

// DefaultTokenTTL is assumed when a token answer carries no expires_in: the
// portal says bearer tokens live five minutes.
const DefaultTokenTTL = 5 * time.Minute

// maxLoginFailures is how many consecutive unsuccessful logins that may have
// reached EnKash's credential check (any failure but a 429) the client
// accepts before its credentials have ever worked. EnKash locks an account
// after three failed logins; two keeps one in hand for a person. Once a
// login has succeeded, a token endpoint that fails (5xx, 429, timeouts) is
// retried with a capped backoff for [LoginRetry.GiveUpAfter] instead.
const maxLoginFailures = 2

// LoginRetry bounds how the client retries a token endpoint that fails
// (5xx, 429, a timeout, a refused connection) rather than refuses. A
// refused login is never retried.
type LoginRetry struct {
	Base        time.Duration // first pause (default 500 ms)
	Max         time.Duration // longest pause (default 15 s)
	GiveUpAfter time.Duration // stop trying after failing for this long (default 2 min)
}

// DefaultLoginRetry is the client's default [LoginRetry].
var DefaultLoginRetry = LoginRetry{Base: 500 * time.Millisecond, Max: 15 * time.Second, GiveUpAfter: 2 * time.Minute}

// delay is the pause after the n-th consecutive failure (n from 1): a
// capped exponential, never shifted by a negative amount.
func (r LoginRetry) delay(n int) time.Duration {
	d := r.Base << min(max(n-1, 0), 20)
	if d > r.Max || d <= 0 {
		d = r.Max
	}
	return d
}

// tokenSource caches the bearer token, renews it before it expires, lets
// one login run at a time however many workers need a token, and retries a
// failing token endpoint.
type tokenSource struct {
	login   func(context.Context) (string, time.Duration, error)
	now     func() time.Time // for token expiry; tests may fake it
	timeout time.Duration
	retry   LoginRetry

	mu       sync.Mutex
	token    string
	renewAt  time.Time
	verified bool // a login has succeeded: the credentials are good
	failures int  // consecutive failed logins
	suspect  int  // of those, the ones that may have reached the credential check (not a 429)
	failFrom time.Time
	retryAt  time.Time   // no login before this (real time)
	lastErr  *LoginError // the last failure, while failures > 0
	fatal    error
	logins   int
	flight   singleflight.Group
}

// get returns a valid token, logging in when there is none or it is about to
// expire. While the token endpoint fails it waits and tries again, until
// the client gives up (a fatal [*LoginError]) or ctx ends (the last
// failure, which is not applied).
func (ts *tokenSource) get(ctx context.Context) (string, error) {
	for {
		ts.mu.Lock()
		tok, fatal, wait := ts.token, ts.fatal, time.Until(ts.retryAt)
		valid := tok != "" && ts.now().Before(ts.renewAt)
		last := ts.lastErr
		ts.mu.Unlock()
		switch {
		case fatal != nil:
			return "", fatal
		case valid:
			return tok, nil
		case wait > 0:
			if err := sleepCtx(ctx, wait); err != nil {
				return "", cmpErr(last, &NotAppliedError{Endpoint: PathToken, Err: err})
			}
			continue
		}
		ch := ts.flight.DoChan("login", func() (any, error) { return ts.refresh() })
		select {
		case <-ctx.Done():
			return "", &NotAppliedError{Endpoint: PathToken, Err: ctx.Err()}
		case r := <-ch:
			if r.Err == nil {
				return r.Val.(string), nil
			}
			var le *LoginError
			if !errors.As(r.Err, &le) || le.Fatal() {
				return "", r.Err
			}
		}
	}
}

// cmpErr returns le when it is set, else err.
func cmpErr(le *LoginError, err error) error {
	if le != nil {
		return le
	}
	return err
}

// refresh logs in unless a concurrent flight has just done so, or the
// backoff after a failure has not passed. It runs on a context of its own,
// because it serves every waiting worker.
func (ts *tokenSource) refresh() (string, error) {
	ts.mu.Lock()
	switch {
	case ts.fatal != nil:
		defer ts.mu.Unlock()
		return "", ts.fatal
	case ts.token != "" && ts.now().Before(ts.renewAt):
		defer ts.mu.Unlock()
		return ts.token, nil
	case time.Now().Before(ts.retryAt) && ts.lastErr != nil:
		defer ts.mu.Unlock()
		return "", ts.lastErr
	}
	ts.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), ts.timeout)
	defer cancel()
	tok, ttl, err := ts.login(ctx)

	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.logins++
	if err != nil {
		return "", ts.failed(err)
	}
	ts.failures, ts.suspect, ts.lastErr, ts.retryAt, ts.verified = 0, 0, nil, time.Time{}, true
	ts.token = tok
	ts.renewAt = ts.now().Add(ttl - renewSkew(ttl))
	return tok, nil
}

// failed records a failed login and decides whether to try again, and when.
// The caller holds ts.mu.
func (ts *tokenSource) failed(err error) *LoginError {
	var le *LoginError
	if !errors.As(err, &le) {
		le = &LoginError{Err: err}
	}
	ts.failures++
	if le.HTTPStatus != http.StatusTooManyRequests { // a throttled login was never checked
		ts.suspect++
	}
	if ts.failures == 1 {
		ts.failFrom = time.Now()
	}
	pause := max(ts.retry.delay(ts.failures), le.RetryAfter)
	switch {
	case le.Rejected:
	case !ts.verified && ts.suspect >= maxLoginFailures:
		le.GaveUp = true
	case time.Since(ts.failFrom)+pause > ts.retry.GiveUpAfter:
		le.GaveUp = true
	}
	if le.Fatal() {
		ts.fatal = le
	}
	ts.lastErr, ts.retryAt = le, time.Now().Add(pause)
	return le
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// invalidate forgets tok if it is still the cached token, so that the next
// get logs in again. A token already replaced by another worker is kept.
func (ts *tokenSource) invalidate(tok string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.token == tok {
		ts.token = ""
	}
}

// renewSkew is how long before expiry a token is renewed: a tenth of its
// life, at most 30 seconds.
func renewSkew(ttl time.Duration) time.Duration {
	return min(ttl/10, 30*time.Second)
}

// tokenAnswer accepts the snake_case (Spring OAuth2) and camelCase (Payouts)
// token answers, bare or inside a payload envelope.
type tokenAnswer struct {
	AccessToken  string          `json:"access_token"`
	AccessToken2 string          `json:"accessToken"`
	ExpiresIn    json.RawMessage `json:"expires_in"`
	ExpiresIn2   json.RawMessage `json:"expiresIn"`
	Payload      json.RawMessage `json:"payload"`
	Error        string          `json:"error"`
	ErrorDesc    string          `json:"error_description"`
	Message      string          `json:"message"`
}

func (a tokenAnswer) token() string { return cmp.Or(a.AccessToken, a.AccessToken2) }

func (a tokenAnswer) ttl() time.Duration {
	for _, raw := range []json.RawMessage{a.ExpiresIn, a.ExpiresIn2} {
		if n, ok := wholeNumber(raw); ok && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return DefaultTokenTTL
}

func (a tokenAnswer) message() string {
	return cmp.Or(a.ErrorDesc, a.Error, a.Message, "no message")
}

func parseTokenAnswer(body []byte) (tokenAnswer, error) {
	var a tokenAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return a, err
	}
	if a.token() == "" && len(a.Payload) > 0 && a.Payload[0] == '{' {
		var inner tokenAnswer
		if json.Unmarshal(a.Payload, &inner) == nil && inner.token() != "" {
			return inner, nil
		}
	}
	return a, nil
}

// login performs the OAuth password grant. Credentials go only in the form
// and the Basic header; no error carries them.
func (c *Client) login(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"username":   {c.cfg.Username},
		"password":   {c.cfg.Password.Reveal()},
		"grant_type": {"password"},
		"clientId":   {c.cfg.ClientID},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.tokenURL(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, &LoginError{Err: err}
	}
	req.SetBasicAuth(c.cfg.ClientID, c.cfg.ClientSecret.Reveal())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", 0, &LoginError{Err: err}
	}
	body, rerr := readBody(resp)
	if rerr != nil {
		return "", 0, &LoginError{HTTPStatus: resp.StatusCode, Err: rerr}
	}
	plain, _, _ := OpenJSON(c.key, body)
	ans, perr := parseTokenAnswer(plain)
	switch {
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized ||
		resp.StatusCode == http.StatusForbidden:
		return "", 0, &LoginError{HTTPStatus: resp.StatusCode, Rejected: true, Message: ans.message()}
	case resp.StatusCode != http.StatusOK:
		return "", 0, &LoginError{HTTPStatus: resp.StatusCode, Message: http.StatusText(resp.StatusCode),
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	case perr != nil:
		return "", 0, &LoginError{HTTPStatus: resp.StatusCode, Message: "the token answer is not JSON"}
	case ans.token() == "":
		return "", 0, &LoginError{HTTPStatus: resp.StatusCode, Rejected: ans.Error != "", Message: "the answer has no access_token: " + ans.message()}
	}
	c.log.Debug("logged in", zap.Duration("ttl", ans.ttl()))
	return ans.token(), ans.ttl(), nil
}

// readBody reads at most maxBody bytes of a response and closes it. A body
// that is larger is drained up to a limit and reported.
func readBody(resp *http.Response) ([]byte, error) {
	defer func() {
		_, _ = io.CopyN(io.Discard, resp.Body, maxBody)
		_ = resp.Body.Close()
	}()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("the answer is larger than %d bytes", maxBody)
	}
	return b, nil
}
