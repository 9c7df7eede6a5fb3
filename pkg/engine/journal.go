package engine

import (
	"context"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// Journal is a durable record of what was sent, consulted before a row's
// first request leaves the process. The ledger implements it.
type Journal interface {
	// Begin is called before rows are sent, with a batch of them. It must
	// have made every row's reference and fingerprint durable when it
	// returns, and it reports, row by row, what an earlier run did with the
	// reference.
	Begin(ctx context.Context, items []*reward.Item) ([]reward.Prior, error)
	// Record stores a row's outcome. It may batch writes: an outcome lost
	// in a crash is recovered by a lookup on the next run.
	Record(o *reward.Outcome) error
}
