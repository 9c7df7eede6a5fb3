package sandbox

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The endpoints a throttle may hit ([Faults.ThrottleEndpoints]).
const (
	EndpointToken    = "token"
	EndpointAccount  = "account"
	EndpointLookup   = "lookup" // transaction/all
	EndpointSearch   = "search"
	EndpointAllocate = "allocate"
	EndpointBulk     = "bulk"
)

// endpointOf names the endpoint of an API path.
var endpointOf = map[string]string{
	PathToken: EndpointToken, PathAccount: EndpointAccount, PathTransactions: EndpointLookup,
	PathSearch: EndpointSearch, PathCreateAllocate: EndpointAllocate, PathBulkAllocate: EndpointBulk,
}

// DefaultThrottleEndpoints are the endpoints throttled when
// Faults.ThrottleEndpoints is empty: the allocation calls.
var DefaultThrottleEndpoints = []string{EndpointAllocate, EndpointBulk}

// ParseThrottleEndpoints checks a list of endpoint names.
func ParseThrottleEndpoints(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if !slices.Contains([]string{EndpointToken, EndpointAccount, EndpointLookup, EndpointSearch, EndpointAllocate, EndpointBulk}, n) {
			return nil, fmt.Errorf("throttle endpoint %q: want token, account, lookup, search, allocate or bulk", n)
		}
		out = append(out, n)
	}
	return out, nil
}

// The styles of a Retry-After header ([Faults.RetryAfterStyle]).
const (
	RetryAfterSeconds = "seconds" // delta-seconds, rounded up (default)
	RetryAfterDate    = "date"    // an HTTP date, RetryAfter after Now
)

// ParseRetryAfterStyle checks a Retry-After style's name.
func ParseRetryAfterStyle(s string) (string, error) {
	if s != RetryAfterSeconds && s != RetryAfterDate {
		return "", fmt.Errorf("retry-after style %q: want %s or %s", s, RetryAfterSeconds, RetryAfterDate)
	}
	return s, nil
}

// throttled decides a throttle for one call of an endpoint that has no
// reference: each call is its own key, numbered per endpoint, so that the
// same seed throttles the same calls of a sequential client.
func (s *Server) throttled(endpoint string) bool {
	f := s.faults()
	if f.Throttle <= 0 || !slices.Contains(f.ThrottleEndpoints, endpoint) {
		return false
	}
	n := s.attempt("endpoint " + endpoint)
	if !f.hit(faultThrottle, f.Throttle, fmt.Sprintf("%s#%d", endpoint, n), 1) {
		return false
	}
	s.counters.add("faults "+faultThrottle, 1)
	return true
}

// retryAfter renders the Retry-After header of a 429.
func (s *Server) retryAfter() string {
	f := s.faults()
	secs := math.Ceil(f.RetryAfter.Seconds())
	if f.RetryAfterStyle == RetryAfterDate {
		at := s.opts.Now().Add(time.Duration(secs) * time.Second)
		return at.UTC().Format(http.TimeFormat)
	}
	return fmt.Sprint(int(secs))
}

// throttleToken answers a throttled token call, and reports whether it did.
func (s *Server) throttleToken(w http.ResponseWriter) bool {
	if !s.throttled(EndpointToken) {
		return false
	}
	s.refuseTokenCall(w)
	return true
}

// throttleAPI answers an API call with 429 and a Retry-After.
func (s *Server) throttleAPI(c *call) {
	c.w.Header().Set("Retry-After", s.retryAfter())
	s.reply(c, http.StatusTooManyRequests, codeEnvelope{Code: 1, Message: "Too many requests", Payload: "Too many requests"})
}
