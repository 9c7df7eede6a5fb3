package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"strings"
)

// The journal's statements, by kind. The first three run once per row, on
// the rare rows whose reference the ledger already holds; the last two
// carry many rows each.
const (
	stSelectRef = iota // read a held reference
	stResend           // claim a held reference for a resend
	stCorrect          // claim a refused reference for a corrected row
	stInsert           // insert new references (rows of insertColumns)
	stOutcome          // record outcomes (rows of outcomeColumns)
)

// stmtKey names one statement: its kind and, for the multi-row kinds, how
// many rows it carries.
type stmtKey struct{ kind, rows int }

// insertColumns are a begin row's values, in this order.
const insertColumns = `scope, reference, fingerprint, operation, amount, card_id, person, email, mobile, company_id,
	card_account_id, state, run_id, first_run_id, input_sha256, updated_at`

const nInsertColumns = 16

// outcomeSet assigns an outcome row's values, v.column1 to v.column14;
// v.column15 is the reference. The integers are cast so that PostgreSQL
// types the VALUES list.
const outcomeSet = `state = v.column1, pg_reference = v.column2, enkash_card = v.column3, enkash_txn = v.column4,
	otb_balance = v.column5, error_code = v.column6, error_message = v.column7, attempts = attempts + v.column8,
	ambiguous = MAX(ambiguous, v.column9), last_attempt_at = v.column10, absent_lookups = v.column11,
	first_absent_at = v.column12, last_absent_at = v.column13, updated_at = v.column14`

const outcomeRow = `(?, ?, ?, ?, ?, ?, ?, CAST(? AS INTEGER), CAST(? AS INTEGER), ?, CAST(? AS INTEGER), ?, ?, ?, ?)`

const nOutcomeColumns = 15

// stmtText is a statement's SQL, in SQLite's spelling.
func stmtText(k stmtKey) string {
	switch k.kind {
	case stSelectRef:
		return `SELECT ` + refColumns + ` FROM refs WHERE scope = ? AND reference = ?`
	case stResend:
		// A resend claims the reference only from the record it read: of
		// two runs that read the same record at once, one claims it. It
		// forgets the evidence of earlier lookups (the engine carries it in
		// the outcome): after a crash mid-resend that evidence would
		// predate the resend, and a reconcile building on it could call a
		// landed resend absent.
		return `UPDATE refs SET state = ?, run_id = ?, input_sha256 = ?, ambiguous = MAX(ambiguous, ?), last_attempt_at = '',
			absent_lookups = 0, first_absent_at = '', last_absent_at = '', updated_at = ?
			WHERE scope = ? AND reference = ? AND run_id = ? AND state = ?`
	case stCorrect:
		return `UPDATE refs SET fingerprint = ?, operation = ?, amount = ?, card_id = ?, person = ?, email = ?,
			mobile = ?, company_id = ?, card_account_id = ?, state = ?, run_id = ?, input_sha256 = ?, error_code = '',
			error_message = '', updated_at = ? WHERE scope = ? AND reference = ? AND fingerprint = ?`
	case stInsert:
		// RETURNING names the references this statement inserted: the
		// others were already held, and are examined one by one.
		return `INSERT INTO refs (` + insertColumns + `) VALUES ` +
			placeholders(k.rows, "("+strings.Repeat("?, ", nInsertColumns-1)+"?)") +
			` ON CONFLICT (scope, reference) DO NOTHING RETURNING reference`
	case stOutcome:
		return `UPDATE refs SET ` + outcomeSet + ` FROM (VALUES ` + placeholders(k.rows, outcomeRow) +
			`) AS v WHERE refs.scope = ? AND refs.reference = v.column15`
	}
	panic(fmt.Sprintf("ledger: no statement of kind %d", k.kind))
}

// maxRows is the most rows one statement carries: the engine begins up
// to 64 rows at a time.
const maxRows = 64

// chunks cuts rows into statements whose sizes are powers of two up to
// maxRows, largest first: however a run's batches fall, it prepares at
// most seven statements of each kind, and never parses SQL per commit.
func chunks[T any](rows []T) [][]T {
	var out [][]T
	for len(rows) > 0 {
		n := min(maxRows, 1<<(bits.Len(uint(len(rows)))-1))
		out = append(out, rows[:n])
		rows = rows[n:]
	}
	return out
}

// placeholders repeats one row's placeholders n times, comma-separated.
func placeholders(n int, row string) string {
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// statements are the journal's SQL for one run. On SQLite each is
// prepared once, the first time a commit needs it: parsing SQL for every
// commit would cost more than running it. On PostgreSQL the text is
// rebound once and pgx prepares and caches it on the connection by
// itself. Only the writer uses them, outside any transaction when it
// prepares (SQLite has one connection: a transaction holds it).
type statements struct {
	l        *Ledger
	prepared map[stmtKey]*sql.Stmt
	rebound  map[stmtKey]string
}

func newStatements(l *Ledger) *statements {
	return &statements{l: l, prepared: map[stmtKey]*sql.Stmt{}, rebound: map[stmtKey]string{}}
}

// prepare makes the statements of keys ready.
func (s *statements) prepare(ctx context.Context, keys ...stmtKey) error {
	for _, k := range keys {
		if s.l.pg != nil {
			if _, ok := s.rebound[k]; !ok {
				s.rebound[k] = rebindPG(stmtText(k))
			}
			continue
		}
		if _, ok := s.prepared[k]; ok {
			continue
		}
		st, err := s.l.db.PrepareContext(ctx, stmtText(k))
		if err != nil {
			return fmt.Errorf("preparing: %w", err)
		}
		s.prepared[k] = st
	}
	return nil
}

func (s *statements) close() {
	for k, st := range s.prepared {
		_ = st.Close()
		delete(s.prepared, k)
	}
}

// txStmts runs prepared statements in one transaction.
type txStmts struct {
	tx *sql.Tx
	st *statements
}

func (t txStmts) exec(ctx context.Context, k stmtKey, args ...any) (sql.Result, error) {
	if q, ok := t.st.rebound[k]; ok {
		return t.tx.ExecContext(ctx, q, args...)
	}
	return t.tx.StmtContext(ctx, t.st.prepared[k]).ExecContext(ctx, args...)
}

func (t txStmts) query(ctx context.Context, k stmtKey, args ...any) (*sql.Rows, error) {
	if q, ok := t.st.rebound[k]; ok {
		return t.tx.QueryContext(ctx, q, args...)
	}
	return t.tx.StmtContext(ctx, t.st.prepared[k]).QueryContext(ctx, args...)
}

func (t txStmts) queryRow(ctx context.Context, k stmtKey, args ...any) *sql.Row {
	if q, ok := t.st.rebound[k]; ok {
		return t.tx.QueryRowContext(ctx, q, args...)
	}
	return t.tx.StmtContext(ctx, t.st.prepared[k]).QueryRowContext(ctx, args...)
}
