package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/mask"
)

// Webhook is one URL to post to, and the shape of the body.
type Webhook struct {
	URL    string
	Format Format
}

// NewWebhook checks a --notify URL: http or https, with a host. Its error
// shows the URL masked.
func NewWebhook(rawURL string, f Format) (Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Webhook{}, fmt.Errorf("notify URL %s: give an http or https URL with a host (for example https://hooks.slack.com/services/T000/B000/XXXX)", mask.URL(rawURL))
	}
	if _, err := ParseFormat(string(f)); err != nil {
		return Webhook{}, err
	}
	return Webhook{URL: rawURL, Format: f}, nil
}

// ErrDelivery is wrapped by every failed delivery of a [Report].
var ErrDelivery = errors.New("notification not delivered")

// post sends the body to the webhook, retried by b. Errors carry the URL
// masked, never the URL itself.
func (w Webhook) post(ctx context.Context, client *http.Client, b Backoff, body []byte) (int, error) {
	return b.retry(ctx, func(ctx context.Context) attemptErr {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
		if err != nil {
			return attemptErr{err: fmt.Errorf("%w to %s: %w", ErrDelivery, mask.URL(w.URL), stripURL(err))}
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "rewardbatch-notify")
		resp, err := client.Do(req)
		if err != nil {
			return attemptErr{err: fmt.Errorf("%w to %s: %w", ErrDelivery, mask.URL(w.URL), stripURL(err)), retry: true}
		}
		defer resp.Body.Close()
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return attemptErr{}
		}
		return attemptErr{
			err: fmt.Errorf("%w to %s: HTTP %d %s", ErrDelivery, mask.URL(w.URL), resp.StatusCode,
				strings.Join(strings.Fields(string(snippet)), " ")),
			retry: retryable(resp.StatusCode),
			wait:  retryAfter(resp.Header.Get("Retry-After")),
		}
	})
}

// retryable: a timeout, too early, too many requests or a server error may
// pass on a later try; any other refusal will not.
func retryable(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return status >= 500
}

// retryAfter reads a Retry-After header in seconds; 0 when absent.
func retryAfter(h string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// stripURL removes the URL net/http puts in its errors, which may hold a
// token.
func stripURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}
