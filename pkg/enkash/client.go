package enkash

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// maxBody bounds every answer the client reads.
const maxBody = 4 << 20

// maxRetryAfter caps what a Retry-After header can ask for.
const maxRetryAfter = 10 * time.Minute

// Client calls the EnKash Rewards API. It is safe for concurrent use; share
// one per process so that connections and the token are reused.
type Client struct {
	cfg             Config
	key             Key
	hc              *http.Client
	tokens          *tokenSource
	log             *zap.Logger
	accountRetryFor time.Duration
}

// Option configures a [Client].
type Option func(*Client)

// WithLogger sets the logger; the default discards. The client logs calls
// at debug level, a wait of the pre-flight [Client.Account] at warn, and
// never bodies, tokens or credentials.
func WithLogger(l *zap.Logger) Option { return func(c *Client) { c.log = l } }

// WithClock replaces time.Now for token expiry, for tests.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.tokens.now = now } }

// WithLoginRetry sets how a failing token endpoint is retried (default
// [DefaultLoginRetry]); zero fields keep their defaults.
func WithLoginRetry(r LoginRetry) Option {
	return func(c *Client) {
		d := DefaultLoginRetry
		c.tokens.retry = LoginRetry{Base: cmp.Or(r.Base, d.Base), Max: cmp.Or(r.Max, d.Max), GiveUpAfter: cmp.Or(r.GiveUpAfter, d.GiveUpAfter)}
	}
}

// WithAccountRetryFor bounds how long [Client.Account] keeps retrying a
// throttled or unavailable answer (default [DefaultAccountRetryFor]).
func WithAccountRetryFor(d time.Duration) Option { return func(c *Client) { c.accountRetryFor = d } }

// New returns a client for cfg. It fails when cfg does not validate.
func New(cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxConnsPerHost <= 0 {
		cfg.MaxConnsPerHost = DefaultMaxConnsPerHost
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          2 * cfg.MaxConnsPerHost,
		MaxIdleConnsPerHost:   cfg.MaxConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	c := &Client{
		cfg:             cfg,
		key:             DeriveKey(cfg.ClientSecret),
		hc:              &http.Client{Timeout: cfg.Timeout, Transport: tr, CheckRedirect: noRedirects},
		log:             zap.NewNop(),
		accountRetryFor: DefaultAccountRetryFor,
	}
	c.tokens = &tokenSource{now: time.Now, timeout: cfg.Timeout, login: c.login, retry: DefaultLoginRetry}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Logins returns how many logins the client has attempted.
func (c *Client) Logins() int {
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	return c.tokens.logins
}

// answer is a read HTTP response.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// maxUnauthorised is how many 401 answers one call accepts, each followed by
// a fresh login, before it fails with an [*AuthError]. More than one, because
// under many workers a token that a server expires often may expire again
// between a worker's login and its call.
const maxUnauthorised = 3

// post sends in as the JSON body of path and decodes a success payload into
// out (when out is not nil). It logs in when needed, and after a 401 logs in
// again and repeats the call, up to maxUnauthorised times: a 401 means the
// call did not happen.
func (c *Client) post(ctx context.Context, path string, query url.Values, in, out any) error {
	plain, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encoding %s request: %w", path, err)
	}
	body := plain
	if c.cfg.Encrypt {
		body = SealJSON(c.key, plain)
	}
	for attempt := 1; ; attempt++ {
		tok, err := c.tokens.get(ctx)
		if err != nil {
			return err
		}
		start := time.Now()
		ans, err := c.send(ctx, path, query, body, tok)
		if err != nil {
			c.log.Debug("api call failed", zap.String("path", path), zap.Error(err), zap.Duration("latency", time.Since(start)))
			return err
		}
		c.log.Debug("api call", zap.String("path", path), zap.Int("status", ans.status), zap.Duration("latency", time.Since(start)))
		if ans.status == http.StatusUnauthorized {
			c.tokens.invalidate(tok)
			if attempt < maxUnauthorised {
				continue
			}
			return &AuthError{Endpoint: path, Message: c.failureText(ans.body)}
		}
		return c.interpret(path, ans, out)
	}
}

// send performs one HTTP exchange. Its error is already classified: a
// failure before the request was completely written (httptrace's
// WroteRequest never reported success, so the server cannot hold a whole
// request) is NotApplied, after it Ambiguous.
func (c *Client) send(ctx context.Context, path string, query url.Values, body []byte, tok string) (answer, error) {
	u := strings.TrimRight(c.cfg.BaseURL, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			wrote.Store(true) // sticky: a retried write inside the transport never unsets it
		}
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return answer{}, &NotAppliedError{Endpoint: path, Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("partnerId", c.cfg.PartnerID)
	resp, err := c.hc.Do(req)
	if err != nil {
		if !wrote.Load() {
			return answer{}, &NotAppliedError{Endpoint: path, Err: err}
		}
		return answer{}, &AmbiguousError{Endpoint: path, Err: err}
	}
	b, err := readBody(resp)
	if err != nil {
		return answer{}, &AmbiguousError{Endpoint: path, HTTPStatus: resp.StatusCode, Err: err}
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// interpret turns an answer into a decoded payload or a classified error.
func (c *Client) interpret(path string, ans answer, out any) error {
	if err := c.statusError(path, ans); err != nil {
		return err
	}
	env, err := c.envelope(ans.body)
	if err != nil {
		return &AmbiguousError{Endpoint: path, HTTPStatus: ans.status, Err: err}
	}
	if env.Code != 0 {
		return keepBody(path, ans, refusal(path, ans.status, env.Code, env.FailureText()))
	}
	if raw, ok := out.(*json.RawMessage); ok && len(env.Payload) == 0 {
		*raw = nil // no payload at all: the caller decides what that means
		return nil
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Payload, out); err != nil {
		return &AmbiguousError{Endpoint: path, HTTPStatus: ans.status, Err: fmt.Errorf("unreadable payload: %w", err)}
	}
	return nil
}

// statusError classifies an answer by its HTTP status; nil for a 2xx. Only
// a 429 proves that EnKash did not act. Every 5xx may follow a request the
// back end applied (gateways answer 502, 503 and 504 after the back end
// took the request), and so may 403 (encryption failed for the response),
// 408 and 499 (timeouts): all are ambiguous.
func (c *Client) statusError(path string, ans answer) error {
	s := ans.status
	switch {
	case s == http.StatusTooManyRequests:
		return &NotAppliedError{Endpoint: path, HTTPStatus: s, RetryAfter: parseRetryAfter(ans.header.Get("Retry-After"), time.Now()),
			Err: errors.New(c.failureText(ans.body))}
	case s == http.StatusConflict:
		env, _ := c.envelope(ans.body)
		return &DuplicateError{Endpoint: path, HTTPStatus: s, Code: env.Code, Message: c.failureText(ans.body)}
	case s >= 500 || s == http.StatusForbidden || s == http.StatusRequestTimeout || s == 499:
		return &AmbiguousError{Endpoint: path, HTTPStatus: s, RetryAfter: parseRetryAfter(ans.header.Get("Retry-After"), time.Now()),
			Err: errors.New(c.failureText(ans.body))}
	case s >= 400:
		env, _ := c.envelope(ans.body)
		return keepBody(path, ans, refusal(path, s, env.Code, c.failureText(ans.body)))
	case s < 200 || s >= 300:
		return &AmbiguousError{Endpoint: path, HTTPStatus: s, Err: fmt.Errorf("unexpected HTTP status %d", s)}
	}
	return nil
}

// envelope decrypts body when it is an envelope and decodes the response
// envelope inside.
func (c *Client) envelope(body []byte) (Envelope, error) {
	plain, _, err := OpenJSON(c.key, body)
	if err != nil {
		return Envelope{}, fmt.Errorf("cannot decrypt the answer: %w", err)
	}
	return DecodeEnvelope(plain)
}

// failureText extracts a short human message from an error body.
func (c *Client) failureText(body []byte) string {
	if env, err := c.envelope(body); err == nil {
		return env.FailureText()
	}
	plain, _, _ := OpenJSON(c.key, body)
	var generic struct {
		Error   string `json:"error"`
		Desc    string `json:"error_description"`
		Message string `json:"message"`
	}
	if json.Unmarshal(plain, &generic) == nil {
		if m := cmp.Or(generic.Message, generic.Desc, generic.Error); m != "" {
			return m
		}
	}
	s := strings.TrimSpace(string(plain))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "empty answer"
	}
	return s
}

// parseRetryAfter reads a Retry-After header in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return min(time.Duration(n)*time.Second, maxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}

// Login makes sure the client holds a valid token, logging in if it has
// none. Call it before a batch so that bad credentials stop the batch
// before anything is sent.
func (c *Client) Login(ctx context.Context) error {
	_, err := c.tokens.get(ctx)
	return err
}

// noRedirects stops the client from following a redirect: a 307 or 308
// would send the allocation again inside one counted attempt. The 3xx
// answer itself is read, and classified as ambiguous.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
