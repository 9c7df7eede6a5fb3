package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// RebuildStats counts what a rebuild read from run folders.
type RebuildStats struct {
	Folders   int // run folders read
	Skipped   int // folders left out: sandbox runs, runs without results.csv
	Confirmed int // references recorded as confirmed (MATCHED or SKIPPED, with EnKash's ids)
	Known     int // confirmed references the ledger already had
	Open      int // rows left for the next run to look up at EnKash before any send
}

// Rebuild recovers a lost ledger from run folders: each DIR is a run folder
// (it holds results.csv) or a folder of run folders. The rows a run
// reported MATCHED or SKIPPED are recorded as confirmed in scope, with
// EnKash's ids and the fingerprint of the row; every other row is left out,
// so the next run finds it unknown and looks it up at EnKash before its
// first send. References the ledger already holds are kept as they are.
// opts are the validation settings that read the rows (the company and
// account defaults of scope).
func (l *Ledger) Rebuild(ctx context.Context, scope string, dirs []string, opts validate.Options, out io.Writer) (RebuildStats, error) {
	var st RebuildStats
	for _, d := range dirs {
		folders, err := runFolders(d)
		if err != nil {
			return st, err
		}
		for _, f := range folders {
			if err := l.rebuildFolder(ctx, scope, f, opts, &st, out); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

// runFolders returns d when it is a run folder, else its subfolders that
// are.
func runFolders(d string) ([]string, error) {
	if _, err := os.Stat(filepath.Join(d, report.ResultsFile)); err == nil {
		return []string{d}, nil
	}
	entries, err := os.ReadDir(d)
	if err != nil {
		return nil, fmt.Errorf("ledger: reading %s: %w", d, err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, filepath.Join(d, e.Name()))
		}
	}
	return out, nil
}

func (l *Ledger) rebuildFolder(ctx context.Context, scope, dir string, opts validate.Options, st *RebuildStats, out io.Writer) error {
	var sum report.Summary
	raw, _ := os.ReadFile(filepath.Join(dir, report.SummaryFile))
	_ = json.Unmarshal(raw, &sum)
	results, err := os.ReadFile(filepath.Join(dir, report.ResultsFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		st.Skipped++
		fmt.Fprintf(out, "%s: no %s (the run did not finish); its rows will be looked up\n", dir, report.ResultsFile)
		return nil
	case err != nil:
		return fmt.Errorf("ledger: reading %s: %w", dir, err)
	case sum.Sandbox:
		st.Skipped++
		fmt.Fprintf(out, "%s: a sandbox run, left out\n", dir)
		return nil
	}
	st.Folders++
	runID := filepath.Base(dir)
	if err := l.rebuildRun(ctx, runID, dir, scope, sum, string(raw)); err != nil {
		return err
	}
	before := *st
	if err := l.importResults(ctx, scope, runID, dir, results, opts, st); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %d confirmed references recorded (%d already known), %d rows left to look up\n", dir,
		st.Confirmed-before.Confirmed, st.Known-before.Known, st.Open-before.Open)
	return nil
}

// rebuildRun records the folder's run for history, unless the ledger has it.
func (l *Ledger) rebuildRun(ctx context.Context, runID, dir, scope string, sum report.Summary, raw string) error {
	var n int
	if err := l.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM runs WHERE id = ?`, runID).Scan(&n); err != nil || n > 0 {
		return err
	}
	started := sum.StartedAt
	if started.IsZero() {
		started = time.Now()
	}
	_, err := l.RecordRun(ctx, RunInfo{ID: runID, Input: sum.Input, InputSHA256: sum.InputSHA256, PlanHash: sum.PlanHash,
		Folder: dir, Scope: scope, StartedAt: started}, sum.FinishedAt, sum.ExitCode, raw)
	return err
}

// importResults reads results.csv: its input columns through the
// validator (so that each row's fingerprint is the one a run computes),
// its result columns for the status and EnKash's ids.
func (l *Ledger) importResults(ctx context.Context, scope, runID, dir string, results []byte, opts validate.Options, st *RebuildStats) error {
	recs, err := csv.NewReader(bytes.NewReader(results)).ReadAll()
	if err != nil || len(recs) == 0 || len(recs[0]) <= len(report.ResultColumns) {
		return fmt.Errorf("ledger: %s is not a results.csv of rewardbatch: %v", filepath.Join(dir, report.ResultsFile), err)
	}
	in := len(recs[0]) - len(report.ResultColumns)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, r := range recs {
		_ = w.Write(r[:in])
	}
	w.Flush()
	res := recs[1:]
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	n := 0
	_, err = validate.Stream(ctx, filepath.Join(dir, report.ResultsFile), &buf, opts, nil, func(it *reward.Item) error {
		if n >= len(res) {
			return nil
		}
		row := res[n][in:]
		n++
		status := reward.Status(row[1])
		if !status.Done() || !it.Valid {
			st.Open++
			return nil
		}
		return importConfirmed(ctx, tx, scope, runID, it, reward.Receipt{PGReferenceNumber: row[2], EnKashCardID: row[3],
			EnkashCardTxnID: row[4], OTBBalance: row[5]}, st)
	})
	if err != nil {
		return fmt.Errorf("ledger: reading %s: %w", dir, err)
	}
	return tx.Commit()
}

// importConfirmed records one confirmed reference, unless the ledger has
// the reference already.
func importConfirmed(ctx context.Context, tx *sql.Tx, scope, runID string, it *reward.Item, rc reward.Receipt, st *RebuildStats) error {
	a := it.Allocation
	res, err := tx.ExecContext(ctx, `INSERT INTO refs (scope, reference, fingerprint, operation, amount, card_id, person,
		email, mobile, company_id, card_account_id, state, run_id, first_run_id, input_sha256, pg_reference, enkash_card,
		enkash_txn, otb_balance, attempts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, 1, ?)
		ON CONFLICT (scope, reference) DO NOTHING`, scope, a.Reference, Fingerprint(it), string(a.Operation), a.Amount.String(),
		a.EnkashCardID, person(a), emailToken(a), mobileToken(a), a.CompanyID, a.CardAccountID, StateConfirmed, runID,
		runID, rc.PGReferenceNumber, rc.EnKashCardID, rc.EnkashCardTxnID, rc.OTBBalance, now())
	if err != nil {
		return fmt.Errorf("ledger: recording %s: %w", a.Reference, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		st.Confirmed++
	} else {
		st.Known++
	}
	return nil
}

// Health is what a full check of the ledger found.
type Health struct {
	SchemaVersion int
	References    int
	Scopes        int
	Runs          int
	Unsettled     int // SENDING or UNKNOWN: the next run looks them up first
}

// Check runs SQLite's full integrity check over the ledger, then counts
// what it holds. A problem is [ErrDamaged], with what to do.
func (l *Ledger) Check(ctx context.Context) (Health, error) {
	var h Health
	if err := check(ctx, l.db, l.path, "integrity_check"); err != nil {
		return h, err
	}
	err := l.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM refs), (SELECT COUNT(DISTINCT scope) FROM refs),
		(SELECT COUNT(*) FROM runs), (SELECT COUNT(*) FROM refs WHERE state IN ('SENDING', 'UNKNOWN'))`).Scan(
		&h.References, &h.Scopes, &h.Runs, &h.Unsettled)
	if err == nil {
		err = l.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&h.SchemaVersion)
	}
	if err != nil {
		return h, damaged(l.path, err)
	}
	return h, nil
}
