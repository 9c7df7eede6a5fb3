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
	tokens   map[string]issuedToken
	failures map[string]int // username -> consecutive failed logins
	locked   map[string]bool
	issued   []string // every access token ever issued
	// logins counts the successful token calls and tokenFaults the token
	// calls failed on purpose, for TokenFailAfter and TokenFailCount.
	logins, tokenFaults int
}

// issuedToken is a live access token: its expiry, and the API call count
// when it was issued (for Faults.ExpireTokensEvery).
type issuedToken struct {
	expires time.Time
	atCall  int64
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
	s.auth.tokens[tok] = issuedToken{expires: s.opts.Now().Add(s.opts.TokenTTL), atCall: s.apiCalls.Load()}
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

// authorised checks the bearer token of an API call. With
// Faults.ExpireTokensEvery N, a token runs out once N API calls have
// reached the server since it was issued: mid-run expiry, which a fresh
// token always survives for a while, as a real time-to-live does.
func (s *Server) authorised(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return false
	}
	every := s.faults().ExpireTokensEvery
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.auth.tokens[tok]
	if !ok {
		return false
	}
	if every > 0 && s.apiCalls.Load()-t.atCall > every {
		s.counters.add("faults "+faultTokenExpiry, 1)
		delete(s.auth.tokens, tok)
		return false
	}
	if !s.opts.Now().Before(t.expires) {
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

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
