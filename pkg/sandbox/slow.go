package sandbox

import (
	"slices"
	"sync"
	"time"
)

const faultSlowApply = "slow-apply"

// rowLocks are the per-reference locks of the sandbox's "unique index": a
// request for a reference holds its row while it checks for a duplicate and
// applies, so that a repeat waits for the first to commit.
type rowLocks struct {
	mu   sync.Mutex
	rows map[string]*rowLock
}

type rowLock struct {
	mu    sync.Mutex
	users int
}

// lock takes the row of ref and returns its release.
func (l *rowLocks) lock(ref string) func() {
	l.mu.Lock()
	if l.rows == nil {
		l.rows = map[string]*rowLock{}
	}
	r := l.rows[ref]
	if r == nil {
		r = &rowLock{}
		l.rows[ref] = r
	}
	r.users++
	l.mu.Unlock()
	r.mu.Lock()
	return func() {
		r.mu.Unlock()
		l.mu.Lock()
		if r.users--; r.users == 0 {
			delete(l.rows, ref)
		}
		l.mu.Unlock()
	}
}

// holdRow takes the reference's row and, for the SlowApply share of first
// requests, keeps it for SlowFor before the apply goes on: the back end
// keeps working after the client has given up, so the wait does not end
// with the request. It returns the release of the row.
func (s *Server) holdRow(ref, key string, n int) func() {
	return s.holdRows([]string{ref}, key, n)
}

// holdRows is holdRow for every reference of a bulk call: the rows are
// taken in sorted order, so that two calls sharing references cannot
// deadlock, and the SlowApply share of first calls holds them all.
func (s *Server) holdRows(refs []string, key string, n int) func() {
	refs = slices.Compact(slices.Sorted(slices.Values(refs)))
	releases := make([]func(), 0, len(refs))
	for _, ref := range refs {
		if ref != "" {
			releases = append(releases, s.rows.lock(ref))
		}
	}
	f := s.faults()
	if n == 1 && f.SlowFor > 0 && f.hit(faultSlowApply, f.SlowApply, key, n) {
		s.counters.add("faults "+faultSlowApply, 1)
		t := time.NewTimer(f.SlowFor)
		<-t.C
	}
	return func() {
		for _, release := range slices.Backward(releases) {
			release()
		}
	}
}
