package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// maxFailedLogins is the portal's lockout: three consecutive failed logins
// lock the user.
const maxFailedLogins = 3

// authState is the token store and the lockout counters. The Server's mutex
// guards it.
type authState struct {
	tokens   map[string]time.Time // token -> expiry
	failures map[string]int       // username -> consecutive failed logins
	locked   map[string]bool
	issued   []string // every access token ever issued
	// logins counts the successful token calls and tokenFaults the token
	// calls failed on purpose, for TokenFailAfter and TokenFailCount.
	logins, tokenFaults int
}

type tokenError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// handleToken serves POST /oauth/token: the OAuth2 password grant with the
// client id and secret in a Basic header.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.counters.add("requests "+r.URL.Path, 1)
	if !s.admit(s.opts.Now()) {
		s.refuseTokenCall(w)
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, tokenError{"invalid_request", "use POST"})
		return
	}
	// The form is read first, even when the call is to fail: a server
	// notices that the client went away only once the body is read.
	err := r.ParseForm()
	if s.throttleToken(w) || s.tokenFault(w, r) {
		return
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, tokenError{"invalid_request", "unreadable form"})
		return
	}
	c := s.opts.Credentials
	id, secret, hasBasic := r.BasicAuth()
	user := r.PostForm.Get("username")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.auth.locked[user] {
		s.counters.add("login failures", 1)
		writeJSON(w, http.StatusUnauthorized, tokenError{"invalid_grant", "User account is locked"})
		return
	}
	fail := func(status int, code, desc string) {
		s.counters.add("login failures", 1)
		s.auth.failures[user]++
		if s.auth.failures[user] >= maxFailedLogins {
			s.auth.locked[user] = true
		}
		writeJSON(w, status, tokenError{code, desc})
	}
	switch {
	case !hasBasic || id != c.ClientID || secret != c.ClientSecret.Reveal() || r.PostForm.Get("clientId") != c.ClientID:
		fail(http.StatusUnauthorized, "invalid_client", "Bad client credentials")
		return
	case r.PostForm.Get("grant_type") != "password":
		writeJSON(w, http.StatusBadRequest, tokenError{"unsupported_grant_type", "grant_type must be password"})
		return
	case user != c.Username || r.PostForm.Get("password") != c.Password.Reveal():
		fail(http.StatusBadRequest, "invalid_grant", "Bad credentials")
		return
	}
	s.auth.failures[user] = 0
	s.auth.logins++
	tok := newToken()
	s.auth.tokens[tok] = s.opts.Now().Add(s.opts.TokenTTL)
	s.auth.issued = append(s.auth.issued, tok)
	s.counters.add("logins", 1)
	ttl := int64(s.opts.TokenTTL / time.Second)
	if s.opts.TokenStyle == "camel" {
		writeJSON(w, http.StatusOK, map[string]any{"accessToken": tok, "tokenType": "bearer", "refreshToken": newToken(), "expiresIn": ttl})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "bearer", "refresh_token": newToken(), "expires_in": ttl, "scope": "read write trust",
	})
}

// authorised checks the bearer token of an API call.
func (s *Server) authorised(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.auth.tokens[tok]
	if !ok {
		return false
	}
	if !s.opts.Now().Before(exp) {
		delete(s.auth.tokens, tok)
		return false
	}
	return true
}

// Tokens returns every access token issued so far, so that tests can
// search outputs for them.
func (s *Server) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auth.issued...)
}

// expireTokens forgets every token, as if they had all run out.
func (s *Server) expireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.auth.tokens)
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
