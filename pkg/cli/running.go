package cli

import (
	"context"
	"os"

	"github.com/rewardbatch/rewardbatch/pkg/ledger"
)

// runningCheck returns whether a run without an exit code is running: a
// holder of the ledger names it, its lock is still held (PostgreSQL checks
// that on the server; see ledger.Holder.Locked) and, on this host, its
// process is alive (a killed run leaves its holder behind). A holder on
// another host is taken at its word. A ledger whose holders cannot be
// read shows no run as running.
func runningCheck(ctx context.Context, l *ledger.Ledger) func(ledger.RunRecord) bool {
	hs, _ := l.Holders(ctx) // best effort: history still lists the runs
	host, _ := os.Hostname()
	live := map[string]bool{}
	for _, h := range hs {
		if h.Run != "" && h.Locked && (h.Host != host || processAlive(h.PID)) {
			live[h.Run] = true
		}
	}
	return func(r ledger.RunRecord) bool { return live[r.ID] }
}
