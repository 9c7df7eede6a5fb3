package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// Target is the EnKash account references belong to: the environment
// (named, or known by its normalised address), the company and the reward
// account. It never holds credentials.
type Target struct {
	// Environment is the name ENKASH_ENVIRONMENT gave (production, uat,
	// sandbox...), lower case; empty when the address identifies it.
	Environment string
	// Endpoint is the normalised base URL, without user info.
	Endpoint      string
	CompanyID     string
	CardAccountID string
}

// EmbeddedSandbox is the environment of `run --sandbox`: one fixed scope,
// whatever port the embedded sandbox listens on, so that reruns behave in
// a trial as they do in production.
const EmbeddedSandbox = "embedded-sandbox"

var envName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// NewTarget normalises the configuration into a Target: the base URL's
// scheme and host in lower case, the default port and trailing slashes
// dropped, user info, query and fragment removed; environment, when set,
// names the environment whatever the address.
func NewTarget(environment, baseURL, companyID, cardAccountID string) (Target, error) {
	t := Target{Environment: strings.ToLower(strings.TrimSpace(environment)), CompanyID: strings.TrimSpace(companyID),
		CardAccountID: strings.TrimSpace(cardAccountID)}
	if t.Environment != "" && !envName.MatchString(t.Environment) {
		return t, fmt.Errorf("ENKASH_ENVIRONMENT %q: give a short name such as production, uat or sandbox "+
			"(letters, digits, '.', '_' and '-')", environment)
	}
	ep, err := NormalizeEndpoint(baseURL)
	if err != nil {
		return t, err
	}
	t.Endpoint = ep
	return t, nil
}

// NormalizeEndpoint returns the canonical form of an EnKash base URL, or an
// error that never repeats the URL's user info.
func NormalizeEndpoint(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("the EnKash base URL %q is not a URL such as https://api.example.com", RedactURL(raw))
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	hostport := host
	switch {
	case port != "":
		hostport = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"): // IPv6
		hostport = "[" + host + "]"
	}
	return scheme + "://" + hostport + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// RedactURL returns raw with any user info removed, for messages. Text that
// does not parse as a URL is cut at its last '@'.
func RedactURL(raw string) string {
	if u, err := url.Parse(strings.TrimSpace(raw)); err == nil && u.Host != "" {
		u.User = nil
		return u.String()
	}
	if i := strings.LastIndex(raw, "@"); i >= 0 {
		if j := strings.Index(raw, "://"); j >= 0 && j < i {
			return raw[:j+3] + raw[i+1:]
		}
		return raw[i+1:]
	}
	return raw
}

// Key is the scope under which the ledger files the target's references.
func (t Target) Key() string {
	env := t.Endpoint
	if t.Environment != "" {
		env = "env:" + t.Environment
	}
	return env + "|" + t.CompanyID + "|" + t.CardAccountID
}

// String describes the target for people.
func (t Target) String() string {
	where := t.Endpoint
	if t.Environment != "" {
		where = "environment " + t.Environment
		if t.Endpoint != "" {
			where += " (" + t.Endpoint + ")"
		}
	}
	return fmt.Sprintf("%s, company %s, reward account %s", where, t.CompanyID, t.CardAccountID)
}

// Scope returns the scope key of an unnamed environment at baseURL; an
// unparsable URL gives its redacted text, so the key never holds a secret.
func Scope(baseURL, companyID, cardAccountID string) string {
	t, err := NewTarget("", baseURL, companyID, cardAccountID)
	if err != nil {
		t.Endpoint = RedactURL(baseURL)
	}
	return t.Key()
}

// parseLegacyScope reads a version-1 scope, "<base URL>|company|account".
func parseLegacyScope(key string) (Target, bool) {
	parts := strings.Split(key, "|")
	if len(parts) < 3 || strings.HasPrefix(key, "env:") {
		return Target{}, false
	}
	n := len(parts)
	t, err := NewTarget("", strings.Join(parts[:n-2], "|"), parts[n-2], parts[n-1])
	return t, err == nil
}

// ErrScopeMoved means the ledger keeps the same company and reward account
// under another EnKash environment.
var ErrScopeMoved = errors.New("the ledger belongs to another EnKash environment")

// Bind ties the run's target to the ledger and returns the scope key to
// file its references under, and whether the ledger has never recorded a
// reference there (a new ledger, or a new account: every reference will be
// looked up before its first send).
//
// A ledger that keeps the same company and reward account under another
// environment is refused: a ledger copied from UAT to production, or a
// base URL that changed, must not silently forget (or borrow) what was
// sent. Two cases are the same environment and are followed: a run that
// names ENKASH_ENVIRONMENT adopts what the ledger filed under an unnamed
// address; a run without a name at an address the ledger knows under a
// name uses that name.
func (l *Ledger) Bind(ctx context.Context, t Target) (key string, fresh bool, err error) {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return "", false, fmt.Errorf("ledger: binding the scope: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	key, err = resolveScope(ctx, tx, t)
	if err != nil {
		return "", false, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM refs WHERE scope = ? LIMIT 1)`, key).Scan(&n); err != nil {
		return "", false, fmt.Errorf("ledger: binding the scope: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", false, fmt.Errorf("ledger: binding the scope: %w", err)
	}
	return key, n == 0, nil
}

func resolveScope(ctx context.Context, tx *sql.Tx, t Target) (string, error) {
	known, err := scopesOf(ctx, tx, t.CompanyID, t.CardAccountID)
	if err != nil {
		return "", fmt.Errorf("ledger: binding the scope: %w", err)
	}
	var others []Target
	for _, k := range known {
		switch {
		case k.Key() == t.Key():
			return t.Key(), touchScope(ctx, tx, t)
		case t.Environment == "" && k.Environment != "" && k.Endpoint == t.Endpoint:
			return k.Key(), nil // the address of a named environment
		case t.Environment != "" && k.Environment == "":
			if err := mergeScope(ctx, tx, k.Key(), t.Key()); err != nil {
				return "", fmt.Errorf("ledger: adopting %s as environment %s: %w", k, t.Environment, err)
			}
		default:
			others = append(others, k)
		}
	}
	if len(others) > 0 && len(others) == len(known) {
		return "", movedError(t, others[0])
	}
	return t.Key(), insertScope(ctx, tx, t)
}

func movedError(t, other Target) error {
	fix := "set ENKASH_ENVIRONMENT to the name of that environment (only if both reach the same EnKash environment)"
	if other.Environment != "" {
		fix = "set ENKASH_ENVIRONMENT=" + other.Environment + " (only if this is that same EnKash environment)"
	}
	return fmt.Errorf("%w: it keeps company %s, reward account %s under %s, but this run is configured for %s. "+
		"Nothing was sent. If this ledger was copied from another environment, use a ledger of this one (--state PATH); "+
		"if the address changed, %s", ErrScopeMoved, t.CompanyID, t.CardAccountID, other, t, fix)
}

func scopesOf(ctx context.Context, tx *sql.Tx, company, account string) ([]Target, error) {
	rows, err := tx.QueryContext(ctx, `SELECT environment, endpoint FROM scopes WHERE company_id = ? AND card_account_id = ?
		ORDER BY first_seen`, company, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Target
	for rows.Next() {
		k := Target{CompanyID: company, CardAccountID: account}
		if err := rows.Scan(&k.Environment, &k.Endpoint); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func insertScope(ctx context.Context, tx *sql.Tx, t Target) error {
	stamp := now()
	_, err := tx.ExecContext(ctx, `INSERT INTO scopes (key, environment, endpoint, company_id, card_account_id, first_seen, last_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET last_seen = excluded.last_seen`,
		t.Key(), t.Environment, t.Endpoint, t.CompanyID, t.CardAccountID, stamp, stamp)
	return err
}

// touchScope records the address a named environment was last reached at.
func touchScope(ctx context.Context, tx *sql.Tx, t Target) error {
	_, err := tx.ExecContext(ctx, `UPDATE scopes SET endpoint = ?, last_seen = ? WHERE key = ?`, t.Endpoint, now(), t.Key())
	return err
}

// mergeScope files the references of scope from under scope into. When
// both hold a reference, the record that forbids a send wins: confirmed or
// mismatched first, then unsettled, then the rest; the weaker record is
// dropped.
func mergeScope(ctx context.Context, tx *sql.Tx, from, into string) error {
	classes := []string{`'CONFIRMED', 'MISMATCH'`, `'UNKNOWN', 'SENDING'`, `'REJECTED', 'NOT_APPLIED'`}
	for i, class := range classes {
		weaker := strings.Join(classes[i+1:], ", ")
		if weaker != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM refs WHERE scope = ? AND state IN (`+weaker+`)
				AND reference IN (SELECT reference FROM refs WHERE scope = ? AND state IN (`+class+`))`, into, from); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE OR IGNORE refs SET scope = ? WHERE scope = ? AND state IN (`+class+`)`,
			into, from); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE runs SET scope = ? WHERE scope = ?`, into, from); err != nil {
		return err
	}
	// What is left lost to a record already filed under into; the old key
	// may even hold a password (version 1 kept the URL as given).
	for _, q := range []string{`DELETE FROM refs WHERE scope = ?`, `DELETE FROM scopes WHERE key = ?`} {
		if _, err := tx.ExecContext(ctx, q, from); err != nil {
			return err
		}
	}
	return nil
}
