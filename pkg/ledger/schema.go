package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// migration is one numbered step of the schema, the same on both back
// ends. Steps run in order, each in its own transaction that also records
// its number (PRAGMA user_version on SQLite, a row of rewardbatch_migration
// on PostgreSQL), so a ledger is always at exactly one version and a step
// never runs twice.
type migration struct {
	version int
	what    string
	apply   func(ctx context.Context, q querier, pg bool) error
}

// migrations is the schema's history. Append; never edit a step that has
// shipped: ledgers in the field were built by it.
var migrations = []migration{
	{1, "runs and references", func(ctx context.Context, q querier, pg bool) error {
		return execAll(ctx, q, pick(pg, schemaV1, pgSchemaV1))
	}},
	{2, "evidence, refusals, fields and scopes", migrateV2},
}

func pick(pg bool, sqlite, postgres string) string {
	if pg {
		return postgres
	}
	return sqlite
}

// SchemaVersion is the newest schema this binary knows.
var SchemaVersion = migrations[len(migrations)-1].version

// ErrNewerSchema means the ledger was written by a newer rewardbatch.
var ErrNewerSchema = errors.New("the ledger was written by a newer rewardbatch")

const schemaV1 = `
CREATE TABLE IF NOT EXISTS runs (
	id           TEXT PRIMARY KEY,
	started_at   TEXT NOT NULL,
	finished_at  TEXT,
	input        TEXT NOT NULL,
	input_sha256 TEXT NOT NULL,
	plan_hash    TEXT NOT NULL,
	folder       TEXT NOT NULL,
	scope        TEXT NOT NULL,
	sandbox      INTEGER NOT NULL,
	exit_code    INTEGER,
	summary      TEXT
);
CREATE TABLE IF NOT EXISTS refs (
	scope         TEXT NOT NULL,
	reference     TEXT NOT NULL,
	fingerprint   TEXT NOT NULL,
	operation     TEXT NOT NULL,
	amount        TEXT NOT NULL,
	card_id       TEXT NOT NULL,
	person        TEXT NOT NULL,
	state         TEXT NOT NULL,
	run_id        TEXT NOT NULL,
	first_run_id  TEXT NOT NULL,
	input_sha256  TEXT NOT NULL,
	pg_reference  TEXT NOT NULL DEFAULT '',
	enkash_card   TEXT NOT NULL DEFAULT '',
	enkash_txn    TEXT NOT NULL DEFAULT '',
	otb_balance   TEXT NOT NULL DEFAULT '',
	error_code    TEXT NOT NULL DEFAULT '',
	error_message TEXT NOT NULL DEFAULT '',
	attempts      INTEGER NOT NULL DEFAULT 0,
	updated_at    TEXT NOT NULL,
	PRIMARY KEY (scope, reference)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refs_by_run ON refs (run_id, state);
`

// schemaV2 keeps, per reference, what a rerun needs to decide without a
// guess: the lookups' evidence, whether any attempt was ambiguous (only a
// reference every attempt of which EnKash refused may be corrected), and
// the fields of the fingerprint, so that a CONFLICT names what changed. The
// scopes table binds the ledger to its EnKash environments, and holder
// names the process that holds the ledger.
const schemaV2 = `
ALTER TABLE refs ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE refs ADD COLUMN mobile TEXT NOT NULL DEFAULT '';
ALTER TABLE refs ADD COLUMN company_id TEXT NOT NULL DEFAULT '';
ALTER TABLE refs ADD COLUMN card_account_id TEXT NOT NULL DEFAULT '';
ALTER TABLE refs ADD COLUMN ambiguous INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refs ADD COLUMN last_attempt_at TEXT NOT NULL DEFAULT '';
ALTER TABLE refs ADD COLUMN absent_lookups INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refs ADD COLUMN first_absent_at TEXT NOT NULL DEFAULT '';
ALTER TABLE refs ADD COLUMN last_absent_at TEXT NOT NULL DEFAULT '';
CREATE TABLE scopes (
	key             TEXT PRIMARY KEY,
	environment     TEXT NOT NULL,
	endpoint        TEXT NOT NULL,
	company_id      TEXT NOT NULL,
	card_account_id TEXT NOT NULL,
	first_seen      TEXT NOT NULL,
	last_seen       TEXT NOT NULL
);
CREATE TABLE holder (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	host  TEXT NOT NULL,
	pid   INTEGER NOT NULL,
	run   TEXT NOT NULL,
	since TEXT NOT NULL
);
-- A version-1 ledger did not record ambiguity: only a refusal by EnKash or
-- a failure that provably never reached it counts as unambiguous.
UPDATE refs SET ambiguous = 1 WHERE NOT (state IN ('REJECTED', 'NOT_APPLIED')
	AND error_code IN ('REJECTED', 'RETRIES_EXHAUSTED', 'STOPPED', 'AUTH'));
`

// pgSchemaV1 is schemaV1 for PostgreSQL: the same tables and columns,
// times kept as the same RFC 3339 text; only SQLite's WITHOUT ROWID goes.
var pgSchemaV1 = strings.Replace(schemaV1, ") WITHOUT ROWID;", ");", 1)

// pgSchemaV2 is schemaV2 for PostgreSQL. The lock is per scope there (an
// advisory lock), so holders names one process per scope.
const pgSchemaV2 = `
ALTER TABLE refs ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE refs ADD COLUMN mobile TEXT NOT NULL DEFAULT '';
ALTER TABLE refs ADD COLUMN company_id TEXT NOT NULL DEFAULT '';
ALTER TABLE refs ADD COLUMN card_account_id TEXT NOT NULL DEFAULT '';
ALTER TABLE refs ADD COLUMN ambiguous INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refs ADD COLUMN last_attempt_at TEXT NOT NULL DEFAULT '';
ALTER TABLE refs ADD COLUMN absent_lookups INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refs ADD COLUMN first_absent_at TEXT NOT NULL DEFAULT '';
ALTER TABLE refs ADD COLUMN last_absent_at TEXT NOT NULL DEFAULT '';
CREATE TABLE scopes (
	key             TEXT PRIMARY KEY,
	environment     TEXT NOT NULL,
	endpoint        TEXT NOT NULL,
	company_id      TEXT NOT NULL,
	card_account_id TEXT NOT NULL,
	first_seen      TEXT NOT NULL,
	last_seen       TEXT NOT NULL
);
CREATE TABLE holders (
	scope TEXT PRIMARY KEY,
	host  TEXT NOT NULL,
	pid   INTEGER NOT NULL,
	run   TEXT NOT NULL,
	since TEXT NOT NULL
);
UPDATE refs SET ambiguous = 1 WHERE NOT (state IN ('REJECTED', 'NOT_APPLIED')
	AND error_code IN ('REJECTED', 'RETRIES_EXHAUSTED', 'STOPPED', 'AUTH'));
`

// execAll runs a script, one statement at a time (PostgreSQL's extended
// protocol takes one per call).
func execAll(ctx context.Context, q querier, script string) error {
	for _, stmt := range strings.Split(script, ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := q.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// migrateV2 adds the columns and tables of schemaV2, then rewrites the
// scopes of version 1 (the literal base URL) into normalised ones without
// credentials, merging the scopes that turn out to be one.
func migrateV2(ctx context.Context, tx querier, pg bool) error {
	if err := execAll(ctx, tx, pick(pg, schemaV2, pgSchemaV2)); err != nil {
		return err
	}
	old, err := distinctScopes(ctx, tx)
	if err != nil {
		return err
	}
	for _, key := range old {
		t, ok := parseLegacyScope(key)
		if !ok {
			continue // not a scope this binary wrote: leave it alone
		}
		if t.Key() != key {
			if err := mergeScope(ctx, tx, key, t.Key()); err != nil {
				return err
			}
		}
		if err := insertScope(ctx, tx, t); err != nil {
			return err
		}
	}
	return nil
}

func distinctScopes(ctx context.Context, tx querier) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT scope FROM refs UNION SELECT scope FROM runs`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// migrate brings the database to SchemaVersion. A database at version 0
// must be empty (a new ledger) or hold the version-1 tables (a ledger made
// before versions were recorded); anything else is refused.
func migrate(ctx context.Context, db *sql.DB, path string) error {
	var version int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return damaged(path, err)
	}
	if version > SchemaVersion {
		return newerSchema(path, version)
	}
	for _, m := range migrations {
		if m.version <= version {
			continue
		}
		if err := applyMigration(ctx, db, m); err != nil {
			return fmt.Errorf("ledger: upgrading %s to schema version %d (%s): %w", path, m.version, m.what, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if err := m.apply(ctx, dialected{tx, false}, false); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, m.version)); err != nil {
		return err
	}
	return tx.Commit()
}
