package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"
)

// Session is a signed-in browser.
type Session struct {
	User User
	CSRF string // the token every form of this session carries
}

// NewToken returns 32 random bytes, hex-encoded.
func NewToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CreateSession starts a session for user and returns its cookie token;
// the database keeps only the token's hash.
func (s *Store) CreateSession(ctx context.Context, user string) (string, error) {
	token, now := NewToken(), s.stamp()
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (token_hash, user, csrf, created_at, last_seen) VALUES (?, ?, ?, ?, ?)`,
		tokenHash(token), user, NewToken(), now, now)
	return token, err
}

// Session returns the session of a cookie token and marks it seen. A
// session idle for longer than idle is deleted and reported missing.
func (s *Store) Session(ctx context.Context, token string, idle time.Duration) (Session, error) {
	var ss Session
	var seen, role string
	h := tokenHash(token)
	err := s.db.QueryRowContext(ctx, `SELECT s.csrf, s.last_seen, u.name, u.role FROM sessions s JOIN users u ON u.name = s.user
		WHERE s.token_hash = ?`, h).Scan(&ss.CSRF, &seen, &ss.User.Name, &role)
	if errors.Is(err, sql.ErrNoRows) {
		return ss, ErrNotFound
	}
	if err != nil {
		return ss, err
	}
	ss.User.Role = Role(role)
	if s.now().Sub(parseStamp(seen)) > idle {
		_, _ = s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, h)
		return Session{}, ErrNotFound
	}
	_, err = s.db.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE token_hash = ?`, s.stamp(), h)
	return ss, err
}

// DeleteSession signs a session out.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash(token))
	return err
}

// PruneSessions deletes the sessions idle for longer than idle.
func (s *Store) PruneSessions(ctx context.Context, idle time.Duration) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen < ?`, s.now().Add(-idle).UTC().Format(time.RFC3339Nano))
	return err
}
