package ledger

import (
	"context"
	"fmt"
	"time"
)

// Holder is a process recorded as holding the ledger: the whole SQLite
// file, or one scope of a PostgreSQL database. A run records itself when
// it takes the lock and again when its run starts, and forgets itself when
// it closes the ledger; a killed process leaves its record behind, which
// is what Locked and the pid are for.
type Holder struct {
	Scope string // PostgreSQL: the scope held; "" on SQLite, where the file is held whole
	Host  string
	PID   int
	Run   string // the run it is making; "" before its run starts
	Since time.Time
	// Locked says whether the lock is still held. On PostgreSQL it is read
	// from the server (pg_locks), so a record left by a killed run is not
	// Locked. A SQLite file's lock cannot be tested without taking it, which
	// would make a run starting at that moment fail: there Locked is always
	// true, and only the pid (on the same host) tells a dead holder.
	Locked bool
}

// String names the holder in a refusal: "rewardbatch pid 12 on host since
// 2026-11-26T10:00:00Z (run r)".
func (h Holder) String() string {
	who := fmt.Sprintf("rewardbatch pid %d on %s since %s", h.PID, h.Host, h.Since.Format(time.RFC3339))
	if h.Run != "" {
		who += " (run " + h.Run + ")"
	}
	return who
}

// Holders returns the processes recorded as holding the ledger, without
// taking any lock, so that it works on a ledger opened with
// [OpenReadOnly] while a run holds it. SQLite has at most one; PostgreSQL
// one per scope, in scope order.
func (l *Ledger) Holders(ctx context.Context) ([]Holder, error) {
	q := `SELECT '', host, pid, run, since FROM holder WHERE id = 1`
	if l.pg != nil {
		q = `SELECT scope, host, pid, run, since FROM holders ORDER BY scope`
	}
	hs, err := queryAll(ctx, l.sql(), scanHolder, "the holders", q)
	if err != nil || l.pg == nil {
		return hs, err
	}
	held, err := l.pgHeldKeys(ctx)
	if err != nil {
		return nil, err
	}
	for i := range hs {
		hs[i].Locked = held[scopeLockKey(hs[i].Scope)]
	}
	return hs, nil
}

func scanHolder(sc interface{ Scan(...any) error }) (Holder, error) {
	var (
		h     Holder
		since string
	)
	if err := sc.Scan(&h.Scope, &h.Host, &h.PID, &h.Run, &since); err != nil {
		return h, err
	}
	h.Since, _ = time.Parse(time.RFC3339, since)
	h.Locked = true // SQLite: see Holder.Locked; PostgreSQL overwrites it
	return h, nil
}

// pgHeldKeys returns the 64-bit advisory lock keys granted to any session
// in this database: PostgreSQL shows such a key split in two, its high
// half in classid and its low half in objid, with objsubid 1.
func (l *Ledger) pgHeldKeys(ctx context.Context) (map[int64]bool, error) {
	type key struct{ hi, lo int64 }
	keys, err := queryAll(ctx, l.db, func(sc interface{ Scan(...any) error }) (key, error) {
		var k key
		return k, sc.Scan(&k.hi, &k.lo)
	}, "the locks", `SELECT classid::int8, objid::int8 FROM pg_locks
		WHERE locktype = 'advisory' AND objsubid = 1 AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
	if err != nil {
		return nil, err
	}
	held := make(map[int64]bool, len(keys))
	for _, k := range keys {
		held[int64(uint64(k.hi)<<32|uint64(k.lo)&0xffffffff)] = true
	}
	return held, nil
}
