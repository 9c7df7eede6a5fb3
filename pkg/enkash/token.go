package enkash

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"
)

// DefaultTokenTTL is assumed when a token answer carries no expires_in: the
// portal says bearer tokens live five minutes.
const DefaultTokenTTL = 5 * time.Minute

// maxLoginFailures is how many consecutive unsuccessful logins (of any kind)
// the client accepts before refusing to try again. EnKash locks an account
// after three failed logins; two keeps one in hand for a person.
const maxLoginFailures = 2

// tokenSource caches the bearer token, renews it before it expires, and lets
// one login run at a time however many workers need a token.
type tokenSource struct {
	login   func(context.Context) (string, time.Duration, error)
	now     func() time.Time
	timeout time.Duration

	mu       sync.Mutex
	token    string
	renewAt  time.Time
	failures int
	fatal    error
	logins   int
	flight   singleflight.Group
}

// get returns a valid token, logging in when there is none or it is about to
// expire.
func (ts *tokenSource) get(ctx context.Context) (string, error) {
	ts.mu.Lock()
	if ts.fatal != nil {
		err := ts.fatal
		ts.mu.Unlock()
		return "", err
	}
	if ts.token != "" && ts.now().Before(ts.renewAt) {
		tok := ts.token
		ts.mu.Unlock()
		return tok, nil
	}
	ts.mu.Unlock()
	ch := ts.flight.DoChan("login", func() (any, error) { return ts.refresh() })
	select {
	case <-ctx.Done():
		return "", &NotAppliedError{Endpoint: PathToken, Err: ctx.Err()}
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	}
}

// refresh logs in unless a concurrent flight has just done so. It runs on a
// context of its own, because it serves every waiting worker.
func (ts *tokenSource) refresh() (string, error) {
	ts.mu.Lock()
	if ts.fatal != nil {
		defer ts.mu.Unlock()
		return "", ts.fatal
	}
	if ts.token != "" && ts.now().Before(ts.renewAt) {
		defer ts.mu.Unlock()
		return ts.token, nil
	}
	ts.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), ts.timeout)
	defer cancel()
	tok, ttl, err := ts.login(ctx)

	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.logins++
	if err != nil {
		ts.failures++
		var le *LoginError
		if !errors.As(err, &le) {
			le = &LoginError{Err: err}
		}
		if !le.Rejected && ts.failures >= maxLoginFailures {
			le.GaveUp = true
		}
		if le.Fatal() {
			ts.fatal = le
		}
		return "", le
	}
	ts.failures = 0
	ts.token = tok
	ts.renewAt = ts.now().Add(ttl - renewSkew(ttl))
	return tok, nil
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

func (a tokenAnswer) token() string { return firstNonEmpty(a.AccessToken, a.AccessToken2) }

func (a tokenAnswer) ttl() time.Duration {
	for _, raw := range []json.RawMessage{a.ExpiresIn, a.ExpiresIn2} {
		s := strings.Trim(string(raw), `" `)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return DefaultTokenTTL
}

func (a tokenAnswer) message() string {
	return firstNonEmpty(a.ErrorDesc, a.Error, a.Message, "no message")
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
		return "", 0, &LoginError{HTTPStatus: resp.StatusCode, Message: http.StatusText(resp.StatusCode)}
	case perr != nil:
		return "", 0, &LoginError{HTTPStatus: resp.StatusCode, Message: "the token answer is not JSON"}
	case ans.token() == "":
		return "", 0, &LoginError{HTTPStatus: resp.StatusCode, Rejected: ans.Error != "", Message: "the answer has no access_token: " + ans.message()}
	}
	c.log.Debug("logged in", zap.Duration("ttl", ans.ttl()))
	return ans.token(), ans.ttl(), nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
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
