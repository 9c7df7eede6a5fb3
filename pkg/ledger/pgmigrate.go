package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// pgMigrationLock serialises schema upgrades of one database by several
// processes (an advisory lock held for the upgrade's transaction).
const pgMigrationLock int64 = 0x72657761726462 // "rewardb"

// pgVersion reads the schema version of a PostgreSQL ledger: the highest
// step recorded in rewardbatch_migration, 0 when there is none.
func pgVersion(ctx context.Context, q querier) (int, error) {
	var exists bool
	if err := q.QueryRowContext(ctx, `SELECT to_regclass('rewardbatch_migration') IS NOT NULL`).Scan(&exists); err != nil || !exists {
		return 0, err
	}
	var v int
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM rewardbatch_migration`).Scan(&v)
	return v, err
}

func newerSchema(where string, version int) error {
	return fmt.Errorf("%w: %s is at schema version %d, this binary knows up to %d: use the newer rewardbatch "+
		"(the ledger was not changed)", ErrNewerSchema, where, version, SchemaVersion)
}

// migratePG brings a PostgreSQL ledger to SchemaVersion, one step per
// transaction, each under the migration lock and recorded in
// rewardbatch_migration (as River does with river_migration).
//
// An up-to-date ledger is only read: a database user without the right to
// create tables can use a ledger its owner created (see the README).
func migratePG(ctx context.Context, db *sql.DB, where string) error {
	switch v, err := pgVersion(ctx, db); {
	case err != nil:
		return fmt.Errorf("ledger: reading the schema version of %s: %w", where, err)
	case v > SchemaVersion:
		return newerSchema(where, v)
	case v == SchemaVersion:
		return nil
	}
	for _, m := range append([]migration{{0, "the version table", nil}}, migrations...) {
		if err := applyPG(ctx, db, where, m); err != nil {
			if errors.Is(err, ErrNewerSchema) {
				return err
			}
			return fmt.Errorf("ledger: upgrading %s to schema version %d (%s): %w", where, m.version, m.what, err)
		}
	}
	return nil
}

func applyPG(ctx context.Context, db *sql.DB, where string, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	q := dialected{tx, true}
	if _, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, pgMigrationLock); err != nil {
		return err
	}
	if m.version == 0 {
		_, err := q.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS rewardbatch_migration (
			version    INTEGER PRIMARY KEY,
			what       TEXT NOT NULL,
			applied_at TEXT NOT NULL)`)
		if err != nil {
			return err
		}
		return tx.Commit()
	}
	cur, err := pgVersion(ctx, q)
	if err != nil {
		return err
	}
	if cur > SchemaVersion {
		return newerSchema(where, cur)
	}
	if m.version <= cur {
		return nil
	}
	if err := m.apply(ctx, q, true); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO rewardbatch_migration (version, what, applied_at) VALUES (?, ?, ?)`,
		m.version, m.what, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	return tx.Commit()
}

// pgSchemaVersionOK checks, without writing, that the database holds a
// ledger this binary can read.
func (l *Ledger) pgSchemaVersionOK(ctx context.Context) error {
	v, err := pgVersion(ctx, l.db)
	switch {
	case err != nil:
		return fmt.Errorf("ledger: reading %s: %s", l.path, scrub(err, "", l.pg.password))
	case v == 0:
		return fmt.Errorf("ledger: no ledger in %s yet (it is created by the first run)", l.path)
	case v > SchemaVersion:
		return newerSchema(l.path, v)
	}
	return nil
}

// schemaVersion reads the ledger's schema version on either back end.
func (l *Ledger) schemaVersion(ctx context.Context) (int, error) { return l.schemaVersionIn(ctx, l.db) }

// schemaVersionIn reads it through q (a transaction that holds SQLite's
// one connection).
func (l *Ledger) schemaVersionIn(ctx context.Context, q querier) (int, error) {
	if l.pg != nil {
		return pgVersion(ctx, q)
	}
	var v int
	err := q.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v)
	return v, err
}
