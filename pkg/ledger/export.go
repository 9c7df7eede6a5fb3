package ledger

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ExportFormat names the ledger's export: JSON lines, a header line, then
// one line per row of runs, scopes and refs ({"table":..., "row":{...}}).
const ExportFormat = "rewardbatch-ledger"

// exportTables are the tables an export holds, with every column of the
// current schema, in the order an import writes them.
var exportTables = []struct {
	name string
	key  []string
	cols []string
}{
	{"runs", []string{"id"}, []string{"id", "started_at", "finished_at", "input", "input_sha256", "plan_hash", "folder",
		"scope", "sandbox", "exit_code", "summary"}},
	{"scopes", []string{"key"}, []string{"key", "environment", "endpoint", "company_id", "card_account_id", "first_seen",
		"last_seen"}},
	{"refs", []string{"scope", "reference"}, []string{"scope", "reference", "fingerprint", "operation", "amount", "card_id",
		"person", "email", "mobile", "company_id", "card_account_id", "state", "run_id", "first_run_id", "input_sha256",
		"pg_reference", "enkash_card", "enkash_txn", "otb_balance", "error_code", "error_message", "attempts", "ambiguous",
		"last_attempt_at", "absent_lookups", "first_absent_at", "last_absent_at", "updated_at"}},
}

type exportHeader struct {
	Format        string `json:"format"`
	SchemaVersion int    `json:"schema_version"`
	From          string `json:"from"` // sqlite or postgres
}

type exportLine struct {
	Table string         `json:"table"`
	Row   map[string]any `json:"row"`
}

// MoveStats counts the rows of an export or an import, per table.
type MoveStats struct {
	Rows map[string]int // written (export) or added (import), per table
	// Kept counts the imported references the ledger already held with a
	// record as strong or stronger (kept as they were); Replaced, the ones
	// whose record was weaker than the imported one.
	Kept, Replaced int
}

// Export writes every run, scope and reference of the ledger to w as JSON
// lines (see [ExportFormat]), read in one transaction so that the copy is
// consistent while runs write.
func (l *Ledger) Export(ctx context.Context, w io.Writer) (MoveStats, error) {
	st := MoveStats{Rows: map[string]int{}}
	opts := &sql.TxOptions{ReadOnly: true}
	if l.pg != nil {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := l.db.BeginTx(ctx, opts)
	if err != nil {
		return st, fmt.Errorf("ledger: exporting %s: %w", l.path, err)
	}
	defer tx.Rollback() //nolint:errcheck // read only
	version, err := l.schemaVersionIn(ctx, tx)
	if err != nil {
		return st, fmt.Errorf("ledger: exporting %s: %w", l.path, err)
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(exportHeader{ExportFormat, version, l.Backend()}); err != nil {
		return st, err
	}
	for _, tb := range exportTables {
		n, err := exportTable(ctx, tx, tb.name, tb.cols, enc)
		st.Rows[tb.name] = n
		if err != nil {
			return st, fmt.Errorf("ledger: exporting %s of %s: %w", tb.name, l.path, err)
		}
	}
	return st, bw.Flush()
}

func exportTable(ctx context.Context, tx *sql.Tx, table string, cols []string, enc *json.Encoder) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+table+` ORDER BY 1`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			if b, ok := vals[i].([]byte); ok {
				vals[i] = string(b)
			}
			row[c] = vals[i]
		}
		if err := enc.Encode(exportLine{table, row}); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// ErrNotAnExport means the input of an import is not a ledger export.
var ErrNotAnExport = errors.New("not an export of a rewardbatch ledger")
