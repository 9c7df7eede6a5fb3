package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Role is what a user may do.
type Role string

// The roles. An admin may do everything but approve a file it uploaded.
const (
	RoleViewer   Role = "viewer"   // sees batches, results and history
	RoleUploader Role = "uploader" // uploads, checks and submits files
	RoleApprover Role = "approver" // approves or rejects files others submitted
	RoleAdmin    Role = "admin"    // all of the above, and the users page
)

// Roles lists every role.
var Roles = []Role{RoleViewer, RoleUploader, RoleApprover, RoleAdmin}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("role %q: want viewer, uploader, approver or admin", s)
}

// Can reports whether the role includes what want grants.
func (r Role) Can(want Role) bool {
	return r == RoleAdmin || r == want || want == RoleViewer
}

// User is an account.
type User struct {
	Name      string
	Role      Role
	CreatedAt time.Time
}

// Login lock-out: after MaxFailures wrong passwords in a row, the account
// refuses every password for LockFor.
const (
	MaxFailures = 5
	LockFor     = 15 * time.Minute
	// DefaultCost is the bcrypt cost of new passwords.
	DefaultCost = 12
	minPassword = 12
)

var userName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// Errors of [Store.Authenticate].
var (
	ErrBadLogin = errors.New("wrong user name or password")
	ErrLocked   = errors.New("too many wrong passwords: the account is locked for a while")
)

// AddUser creates a user, or replaces the role and password of an
// existing one when replace is set.
func (s *Store) AddUser(ctx context.Context, name string, role Role, password string, replace bool) error {
	if !userName.MatchString(name) {
		return fmt.Errorf("user name %q: use letters, digits, '.', '_', '@' or '-' (at most 64)", name)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	if len(password) < minPassword {
		return fmt.Errorf("the password must have at least %d characters", minPassword)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return fmt.Errorf("hashing the password: %w", err)
	}
	q := `INSERT INTO users (name, role, password, created_at) VALUES (?, ?, ?, ?)`
	if replace {
		q += ` ON CONFLICT(name) DO UPDATE SET role=excluded.role, password=excluded.password, failures=0, locked_until=''`
	}
	if _, err := s.db.ExecContext(ctx, q, name, string(role), hash, s.stamp()); err != nil {
		return fmt.Errorf("adding user %s (it may exist already: use --replace): %w", name, err)
	}
	return nil
}

// User returns one user.
func (s *Store) User(ctx context.Context, name string) (User, error) {
	var u User
	var role, created string
	err := s.db.QueryRowContext(ctx, `SELECT name, role, created_at FROM users WHERE name = ?`, name).Scan(&u.Name, &role, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	u.Role, u.CreatedAt = Role(role), parseStamp(created)
	return u, err
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, role, created_at FROM users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var role, created string
		if err := rows.Scan(&u.Name, &role, &created); err != nil {
			return nil, err
		}
		u.Role, u.CreatedAt = Role(role), parseStamp(created)
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetCost sets the bcrypt cost of new passwords (tests use
// bcrypt.MinCost).
func (s *Store) SetCost(cost int) { s.cost = cost }

// dummyHash is compared against when the user does not exist, so that a
// wrong name costs the same time as a wrong password.
func (s *Store) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		s.dummy, _ = bcrypt.GenerateFromPassword([]byte("no such user, no such password"), s.cost)
	})
	return s.dummy
}

// Authenticate checks a password. Wrong passwords are counted; after
// [MaxFailures] in a row the account is locked for [LockFor].
func (s *Store) Authenticate(ctx context.Context, name, password string) (User, error) {
	var hash []byte
	var role, locked string
	var failures int
	err := s.db.QueryRowContext(ctx, `SELECT password, role, failures, locked_until FROM users WHERE name = ?`, name).
		Scan(&hash, &role, &failures, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
		return User{}, ErrBadLogin
	}
	if err != nil {
		return User{}, err
	}
	if until := parseStamp(locked); locked != "" && s.now().Before(until) {
		return User{}, ErrLocked
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil {
		failures++
		until := ""
		if failures >= MaxFailures {
			until, failures = s.now().Add(LockFor).UTC().Format(time.RFC3339Nano), 0
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE users SET failures = ?, locked_until = ? WHERE name = ?`, failures, until, name); err != nil {
			return User{}, err
		}
		if until != "" {
			return User{}, ErrLocked
		}
		return User{}, ErrBadLogin
	}
	_, err = s.db.ExecContext(ctx, `UPDATE users SET failures = 0, locked_until = '' WHERE name = ?`, name)
	return User{Name: name, Role: Role(role)}, err
}

// SameToken compares two secrets in constant time.
func SameToken(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
