package engine_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// newPersons returns n allocation rows, each for a person of its own.
func newPersons(n int) []*reward.Item {
	out := make([]*reward.Item, n)
	for i := range out {
		out[i] = row(i+2, "")
	}
	return out
}

// calls are the fake's calls by endpoint.
type calls struct{ search, lookup, allocate, bulk int }

func callsOf(f *enginetest.API) calls {
	return calls{f.CallsTo(enkash.PathSearch), f.CallsTo(enkash.PathTransactions),
		f.CallsTo(enkash.PathCreateAllocate), f.CallsTo(enkash.PathBulkAllocate)}
}

// assertOnce checks that the fake credited every reference of its once.
func assertOnce(t *testing.T, f *enginetest.API, its []*reward.Item) {
	t.Helper()
	per := map[string]int{}
	for _, c := range f.Credits() {
		per[c.Reference]++
	}
	for _, it := range its {
		assert.Equal(t, 1, per[it.Allocation.Reference], "reference %s", it.Allocation.Reference)
	}
	assert.Len(t, per, len(its))
}

func TestRosterFirstRunSearchesNoRow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     engine.Config
		known   int // persons who exist before the run
		perPage int
		want    calls
	}{
		{"new persons: one page, no lookup", engine.Config{RosterPages: engine.RosterBudget(12)}, 0, 100, calls{search: 1, allocate: 12}},
		{"known persons are looked up on their card only", engine.Config{RosterPages: 3}, 4, 2, calls{search: 2, lookup: 4, allocate: 12}},
		{"bulk mode", engine.Config{RosterPages: 1, Mode: engine.ModeBulk, BulkSize: 6, BulkLinger: time.Hour}, 0, 100,
			calls{search: 1, bulk: 2}},
		{"adaptive rate", engine.Config{RosterPages: 3, Adaptive: true}, 4, 2, calls{search: 2, lookup: 4, allocate: 12}},
		{"no roster: a search per row", engine.Config{}, 0, 100, calls{search: 12, lookup: 0, allocate: 12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newFakeEnv(true, nil, nil)
			env.api.UsersPerPage = tt.perPage
			its := newPersons(12)
			for _, it := range its[:tt.known] {
				env.api.Users[it.Allocation.Email] = "K-" + it.Allocation.Email
			}
			c, _ := env.run(t, tt.cfg, its)
			assert.Equal(t, map[reward.Status]int{reward.StatusMatched: 12}, c.statuses())
			assert.Equal(t, tt.want, callsOf(env.api))
			assertOnce(t, env.api, its)
		})
	}
}

func TestRosterAfterALostLedger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		pages int
		want  calls // of the second run
	}{
		{"the listing serves every row", 6, calls{search: 6, lookup: 12}},
		{"the listing needs more pages than allowed: a search per row", 5, calls{search: 5 + 12, lookup: 12}},
		{"no roster", 0, calls{search: 12, lookup: 12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newFakeEnv(true, nil, nil)
			env.api.UsersPerPage = 2
			its := newPersons(12)
			cfg := engine.Config{RosterPages: tt.pages}
			env.run(t, cfg, its)
			before := callsOf(env.api)
			env.journal = enginetest.NewJournal() // the ledger is lost
			c, _ := env.run(t, cfg, its)
			assertOnce(t, env.api, its)
			for _, o := range c.out {
				assert.Equal(t, reward.StatusSkipped, o.Status)
				assert.Equal(t, reward.CodeAlreadyAtEnKash, o.ErrorCode)
			}
			after := callsOf(env.api)
			assert.Equal(t, tt.want, calls{after.search - before.search, after.lookup - before.lookup,
				after.allocate - before.allocate, after.bulk - before.bulk})
		})
	}
}

// listingRace answers the top-up's lookup only once the listing began, and
// holds the listing's page until that lookup was answered, so that the
// top-up goes on to its send while the listing is still being read. A
// send that reaches the fake while a page is being read is counted.
type listingRace struct {
	enginetest.Queue
	listing, looked         chan struct{}
	listingOnce, lookedOnce sync.Once
	inPage                  atomic.Bool
	sentInListing           atomic.Int32
}

func (s *listingRace) Send() enginetest.Send {
	if s.inPage.Load() {
		s.sentInListing.Add(1)
	}
	return s.Queue.Send()
}

func (s *listingRace) Look() enginetest.Look {
	<-s.listing
	defer s.lookedOnce.Do(func() { close(s.looked) })
	return s.Queue.Look()
}

func TestRosterAndSendsBesideIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(*enginetest.API, *listingRace)
		want  calls
	}{
		{"a send waits for the listing, which is kept", func(f *enginetest.API, s *listingRace) {
			f.OnListPage = func(int) {
				s.inPage.Store(true)
				defer s.inPage.Store(false)
				s.listingOnce.Do(func() { close(s.listing) })
				<-s.looked
			}
		}, calls{search: 1, lookup: 1, allocate: 4}},
		{"the listing is refused", func(f *enginetest.API, s *listingRace) {
			f.ListRefused = true
			close(s.listing)
		}, calls{search: 3 + 3, lookup: 1, allocate: 4}}, // the refused page is tried LookupTries times
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newFakeEnv(true, nil, nil)
			script := &listingRace{listing: make(chan struct{}), looked: make(chan struct{})}
			env.api = enginetest.NewAPI(script, env.clock)
			tt.setup(env.api, script)
			// The allocations list the users; the top-up, whose card is
			// known, is checked beside the listing and sent after it.
			its := append(newPersons(3), row(9, "CARD9"))
			its[0], its[3] = its[3], its[0]
			c, _ := env.run(t, engine.Config{Workers: 2, RosterPages: 5}, its)
			assert.Equal(t, map[reward.Status]int{reward.StatusMatched: 4}, c.statuses())
			assert.Equal(t, tt.want, callsOf(env.api))
			assert.Zero(t, script.sentInListing.Load(), "no send may reach EnKash while its users are listed")
			assertOnce(t, env.api, its)
		})
	}
}

func TestRosterBudget(t *testing.T) {
	t.Parallel()
	for rows, want := range map[int]int{0: 1, 1: 1, 7: 1, 8: 2, 10_000: 2500} {
		assert.Equal(t, want, engine.RosterBudget(rows), fmt.Sprint(rows))
	}
	require.Equal(t, 1, engine.RosterBudget(-3))
}
