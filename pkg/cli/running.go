package cli

import (
	"context"
	"database/sql"
	"os"

	"github.com/rewardbatch/rewardbatch/pkg/ledger"
)

// holder is the process that holds a ledger, as the ledger's holder row
// says (pkg/ledger writes it when a run starts and clears it on close).
type holder struct {
	host, run string
	pid       int
}

// ledgerHolder reads the holder row of the ledger at path, read-only and
// without the lock; ok is false when there is none.
func ledgerHolder(ctx context.Context, path string) (holder, bool) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(2000)")
	if err != nil {
		return holder{}, false
	}
	defer db.Close()
	var h holder
	if db.QueryRowContext(ctx, `SELECT host, pid, run FROM holder WHERE id = 1`).Scan(&h.host, &h.pid, &h.run) != nil {
		return holder{}, false
	}
	return h, true
}

// runningCheck returns whether a run without an exit code is running: the
// ledger's holder names it and, on this host, its process is alive (a
// killed run leaves its holder row behind). A holder on another host is
// taken at its word.
func runningCheck(ctx context.Context, path string) func(ledger.RunRecord) bool {
	h, ok := ledgerHolder(ctx, path)
	host, _ := os.Hostname()
	alive := ok && (h.host != host || processAlive(h.pid))
	return func(r ledger.RunRecord) bool { return alive && h.run == r.ID }
}
