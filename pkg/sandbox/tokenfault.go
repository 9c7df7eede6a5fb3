package sandbox

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// The ways the token endpoint fails ([Faults.TokenFailMode]).
const (
	TokenFail500  = "500"  // HTTP 500 with a Spring error body
	TokenFail503  = "503"  // HTTP 503 with Envoy's gateway body
	TokenFailHang = "hang" // no answer until the client gives up (or HangFor, then 504)
)

// ParseTokenFailMode checks a token failure mode's name; "" is off.
func ParseTokenFailMode(s string) (string, error) {
	switch s {
	case "", TokenFail500, TokenFail503, TokenFailHang:
		return s, nil
	}
	return "", fmt.Errorf("token fail mode %q: want %s, %s or %s", s, TokenFail500, TokenFail503, TokenFailHang)
}

const faultToken = "token"

// tokenFault fails a token call when the token faults say so, and reports
// whether it did. The failure comes before the credentials are read, as a
// gateway's or an overloaded server's would, and counts as no login
// failure.
func (s *Server) tokenFault(w http.ResponseWriter, r *http.Request) bool {
	f := s.faults()
	if f.TokenFailMode == "" {
		return false
	}
	s.mu.Lock()
	fail := s.auth.logins >= f.TokenFailAfter && (f.TokenFailCount == 0 || s.auth.tokenFaults < f.TokenFailCount)
	if fail {
		s.auth.tokenFaults++
	}
	s.mu.Unlock()
	if !fail {
		return false
	}
	s.counters.add("faults "+faultToken, 1)
	switch f.TokenFailMode {
	case TokenFail500:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"timestamp": s.opts.Now().UTC().Format(time.RFC3339),
			"status": 500, "error": "Internal Server Error", "path": PathToken})
	case TokenFailHang:
		// Drain what the form left, so that the server notices when
		// the client gives up.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		t := time.NewTimer(f.HangFor)
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-t.C:
		}
		gatewayAnswer(w, http.StatusGatewayTimeout)
	default:
		gatewayAnswer(w, http.StatusServiceUnavailable)
	}
	return true
}
