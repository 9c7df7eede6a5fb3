package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/rewardbatch/rewardbatch/pkg/mask"
)

// IsURL reports whether a --state value names a PostgreSQL database
// (postgres:// or postgresql://) rather than a SQLite file.
func IsURL(state string) bool {
	s := strings.ToLower(strings.TrimSpace(state))
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// pgState is what a PostgreSQL ledger holds besides its pool: one
// dedicated connection that takes the scopes' advisory locks and commits
// the journal's groups. Both on one session: when the connection drops,
// the locks go with it and the very next commit fails, so a run that lost
// its lock can never record another send.
type pgState struct {
	password string        // scrubbed from every error
	wait     time.Duration // --wait-lock
	readOnly bool

	mu   sync.Mutex
	conn *sql.Conn
	held map[string]bool
}

// openPG connects to the database at raw (pgx reads PGPASSWORD,
// PGPASSFILE and the other PG* variables for what the URL leaves out),
// brings the schema up to date and keeps a dedicated connection for the
// locks. Nothing is locked until a scope is bound.
func openPG(ctx context.Context, raw string, o options) (*Ledger, error) {
	shown := RedactDSN(raw)
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("ledger: the PostgreSQL URL %s: %s", shown, scrub(err, raw, ""))
	}
	p := &pgState{password: cfg.Password, wait: o.wait, readOnly: o.readOnly, held: map[string]bool{}}
	if o.readOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	cfg.RuntimeParams["application_name"] = "rewardbatch"
	l := &Ledger{path: shown, db: stdlib.OpenDB(*cfg), pg: p}
	if err := l.initPG(ctx, raw); err != nil {
		_ = l.db.Close()
		return nil, err
	}
	return l, nil
}

func (l *Ledger) initPG(ctx context.Context, raw string) error {
	fail := func(what string, err error) error {
		return fmt.Errorf("ledger: %s %s: %s", what, l.path, scrub(err, raw, l.pg.password))
	}
	if err := l.db.PingContext(ctx); err != nil {
		return fail("connecting to", err)
	}
	if l.pg.readOnly {
		return l.pgSchemaVersionOK(ctx)
	}
	if err := migratePG(ctx, l.db, l.path); err != nil {
		return &scrubbed{scrub(err, raw, l.pg.password), err}
	}
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return fail("connecting to", err)
	}
	l.pg.conn = conn
	return nil
}

// scrub returns err's text without the URL or its password, should a
// driver ever repeat them.
func scrub(err error, raw, password string) string {
	s := err.Error()
	if raw != "" {
		s = strings.ReplaceAll(s, raw, RedactDSN(raw))
	}
	if password != "" {
		s = strings.ReplaceAll(s, password, "***")
	}
	return s
}

// scrubbed is an error whose text was scrubbed of a password; errors.Is
// and errors.As still see what it wraps.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// RedactDSN returns a postgres:// URL fit for messages: the password (in
// the user information or a password parameter) replaced by ***, the
// rest kept, so that the host and database stay recognisable.
func RedactDSN(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return mask.URL(raw)
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "***")
		}
	}
	q := u.Query()
	for k := range q {
		if strings.EqualFold(k, "password") || strings.Contains(strings.ToLower(k), "key") {
			q[k] = []string{"***"}
		}
	}
	u.RawQuery = q.Encode()
	u.Fragment = ""
	return strings.ReplaceAll(u.String(), "%2A%2A%2A", "***")
}

// scopeLockKey is the advisory lock key of a scope: 64 bits of its hash.
func scopeLockKey(scope string) int64 {
	h := sha256.Sum256([]byte("rewardbatch scope\x1f" + scope))
	return int64(binary.BigEndian.Uint64(h[:8]))
}

// lockScope takes the scope's advisory lock on the dedicated connection,
// waiting up to --wait-lock for another run to let it go; then it records
// this process as the holder. On SQLite it does nothing: the whole file
// is locked when it opens.
func (l *Ledger) lockScope(ctx context.Context, scope string) error {
	p := l.pg
	if p == nil || p.readOnly {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held[scope] {
		return nil
	}
	deadline := time.Now().Add(p.wait)
	for {
		var ok bool
		if err := p.conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, scopeLockKey(scope)).Scan(&ok); err != nil {
			return fmt.Errorf("ledger: locking scope %s in %s: %s", scope, l.path, scrub(err, "", p.password))
		}
		if ok {
			p.held[scope] = true
			return l.pgSetHolder(ctx, scope, "")
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("%w: %s holds scope %s in %s; wait for it to finish, or give --wait-lock DURATION "+
				"(one run at a time per EnKash account)", ErrLocked, l.pgHolderOf(ctx, scope), scope, l.path)
		}
		t := time.NewTimer(min(left, 200*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (l *Ledger) pgSetHolder(ctx context.Context, scope, run string) error {
	host, _ := os.Hostname()
	_, err := l.pg.conn.ExecContext(ctx, `INSERT INTO holders (scope, host, pid, run, since) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (scope) DO UPDATE SET host = excluded.host, pid = excluded.pid, run = excluded.run,
		since = CASE WHEN holders.pid = excluded.pid AND holders.host = excluded.host THEN holders.since ELSE excluded.since END`,
		scope, host, os.Getpid(), run, time.Now().UTC().Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("ledger: recording the holder of scope %s: %s", scope, scrub(err, "", l.pg.password))
	}
	return nil
}

// pgHolderOf reads who holds a scope; it never fails.
func (l *Ledger) pgHolderOf(ctx context.Context, scope string) string {
	h, err := scanHolder(l.db.QueryRowContext(ctx, `SELECT scope, host, pid, run, since FROM holders WHERE scope = $1`, scope))
	if err != nil {
		return "an unknown process"
	}
	return h.String()
}

// closePG forgets this process as a holder, releases the locks and closes
// the connections.
func (l *Ledger) closePG() error {
	p := l.pg
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		host, _ := os.Hostname()
		for scope := range p.held {
			_, _ = p.conn.ExecContext(ctx, `DELETE FROM holders WHERE scope = $1 AND host = $2 AND pid = $3`, scope, host, os.Getpid())
		}
		_, _ = p.conn.ExecContext(ctx, `SELECT pg_advisory_unlock_all()`)
		_ = p.conn.Close()
		p.conn, p.held = nil, map[string]bool{}
	}
	return l.db.Close()
}

// writer is what the journal commits its groups on: the dedicated
// connection that holds the locks on PostgreSQL, the database on SQLite.
func (l *Ledger) writer() interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
} {
	if l.pg != nil {
		return l.pg.conn
	}
	return l.db
}
