package main

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the ledger's driver
)

// ledgerRecords reads, for the soak's histories, each reference's record
// in the ledger: state, attempts and the evidence of lookups. It reads the
// file directly (read only) so that the history shows what the next run
// will find; a ledger it cannot read gives no records, and says why.
func ledgerRecords(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(2000)")
	if err != nil {
		t.Logf("reading the ledger for the histories: %v", err)
		return out
	}
	defer db.Close()
	rows, err := db.Query(`SELECT reference, state, attempts, ambiguous, last_attempt_at, absent_lookups, first_absent_at,
		last_absent_at, error_code FROM refs`)
	if err != nil {
		t.Logf("reading the ledger for the histories: %v", err)
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var (
			ref, state, lastAttempt, firstAbsent, lastAbsent, code string
			attempts, absent                                       int
			ambiguous                                              bool
		)
		if err := rows.Scan(&ref, &state, &attempts, &ambiguous, &lastAttempt, &absent, &firstAbsent, &lastAbsent, &code); err != nil {
			t.Logf("reading the ledger for the histories: %v", err)
			return out
		}
		out[ref] = fmt.Sprintf("%s %s attempts=%d ambiguous=%v lastAttempt=%s absent=%d first=%s last=%s",
			state, code, attempts, ambiguous, clock(lastAttempt), absent, clock(firstAbsent), clock(lastAbsent))
	}
	return out
}

// clock shortens a ledger time to the time of day, as the sandbox's
// records show it.
func clock(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "-"
	}
	return t.Local().Format("15:04:05.000")
}
