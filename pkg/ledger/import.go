package ledger

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Import adds the rows of an export (see [Ledger.Export]) to the ledger,
// in one transaction, after taking the lock of every scope it touches.
// Runs and scopes the ledger has are kept. A reference the ledger has is
// kept unless the imported record is stronger, by the rule that merges
// scopes: confirmed or mismatched beats unsettled (sent, outcome unknown),
// which beats refused or not applied. A reference is never lost, and one
// EnKash may have applied is never turned back into one that may be sent.
func (l *Ledger) Import(ctx context.Context, r io.Reader) (MoveStats, error) {
	st := MoveStats{Rows: map[string]int{}}
	lines, err := readExport(r)
	if err != nil {
		return st, err
	}
	for _, ln := range lines {
		if ln.Table == "refs" {
			if err := l.lockScope(ctx, fmt.Sprint(ln.Row["scope"])); err != nil {
				return st, err
			}
		}
	}
	tx, err := l.writer().BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("ledger: importing into %s: %w", l.path, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	q := l.in(tx)
	for i, ln := range lines {
		if err := importRow(ctx, q, ln, &st); err != nil {
			return st, fmt.Errorf("ledger: importing line %d (%s) into %s: %w", i+2, ln.Table, l.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return st, fmt.Errorf("ledger: importing into %s: %w", l.path, err)
	}
	return st, nil
}

// readExport reads and checks a whole export.
func readExport(r io.Reader) ([]exportLine, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var h exportHeader
	if !sc.Scan() || json.Unmarshal(sc.Bytes(), &h) != nil || h.Format != ExportFormat {
		return nil, fmt.Errorf("%w: the first line is not {\"format\":%q,...}", ErrNotAnExport, ExportFormat)
	}
	if h.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("%w: the export is of schema version %d, this binary knows up to %d: import it with the newer rewardbatch",
			ErrNewerSchema, h.SchemaVersion, SchemaVersion)
	}
	cols := map[string]map[string]bool{}
	for _, tb := range exportTables {
		cols[tb.name] = map[string]bool{}
		for _, c := range tb.cols {
			cols[tb.name][c] = true
		}
	}
	var out []exportLine
	for n := 2; sc.Scan(); n++ {
		var ln exportLine
		d := json.NewDecoder(strings.NewReader(sc.Text()))
		d.UseNumber()
		if err := d.Decode(&ln); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrNotAnExport, n, err)
		}
		known, ok := cols[ln.Table]
		if !ok {
			return nil, fmt.Errorf("%w: line %d: unknown table %q", ErrNotAnExport, n, ln.Table)
		}
		for c, v := range ln.Row {
			if !known[c] {
				return nil, fmt.Errorf("%w: line %d: unknown column %s.%s", ErrNotAnExport, n, ln.Table, c)
			}
			if num, isNum := v.(json.Number); isNum {
				i, err := num.Int64()
				if err != nil {
					return nil, fmt.Errorf("%w: line %d: %s.%s is not an integer", ErrNotAnExport, n, ln.Table, c)
				}
				ln.Row[c] = i
			}
		}
		out = append(out, ln)
	}
	return out, sc.Err()
}

// strength orders the states of a reference: a stronger record forbids
// more sends.
func strength(state string) int {
	switch state {
	case StateConfirmed, StateMismatch:
		return 3
	case StateUnknown, StateSending:
		return 2
	}
	return 1
}

func importRow(ctx context.Context, q dialected, ln exportLine, st *MoveStats) error {
	var cols, keys []string
	for _, tb := range exportTables {
		if tb.name == ln.Table {
			cols, keys = tb.cols, tb.key
		}
	}
	var present []string
	var args []any
	for _, c := range cols {
		if v, ok := ln.Row[c]; ok {
			present = append(present, c)
			args = append(args, v)
		}
	}
	res, err := q.ExecContext(ctx, `INSERT INTO `+ln.Table+` (`+strings.Join(present, ", ")+`) VALUES (?`+
		strings.Repeat(", ?", len(present)-1)+`) ON CONFLICT (`+strings.Join(keys, ", ")+`) DO NOTHING`, args...)
	if err != nil {
		return err
	}
	if claimed(res) {
		st.Rows[ln.Table]++
		return nil
	}
	if ln.Table != "refs" {
		return nil
	}
	return mergeRef(ctx, q, ln.Row, present, args, st)
}

// mergeRef settles an imported reference the ledger already holds.
func mergeRef(ctx context.Context, q dialected, row map[string]any, present []string, args []any, st *MoveStats) error {
	var state string
	if err := q.QueryRowContext(ctx, `SELECT state FROM refs WHERE scope = ? AND reference = ?`,
		row["scope"], row["reference"]).Scan(&state); err != nil {
		return err
	}
	if strength(fmt.Sprint(row["state"])) <= strength(state) {
		st.Kept++
		_, err := q.ExecContext(ctx, `UPDATE refs SET ambiguous = MAX(ambiguous, ?) WHERE scope = ? AND reference = ?`,
			row["ambiguous"], row["scope"], row["reference"])
		return err
	}
	st.Replaced++
	var set []string
	var vals []any
	for i, c := range present {
		if c != "ambiguous" {
			set, vals = append(set, c+" = ?"), append(vals, args[i])
		}
	}
	_, err := q.ExecContext(ctx, `UPDATE refs SET `+strings.Join(set, ", ")+`, ambiguous = MAX(ambiguous, ?)
		WHERE scope = ? AND reference = ?`, append(vals, row["ambiguous"], row["scope"], row["reference"])...)
	return err
}
