package cli

import (
	"github.com/spf13/pflag"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/job"
)

// ledgerFlags choose the ledger of a run.
type ledgerFlags struct{}

func (f *ledgerFlags) AddFlags(*pflag.FlagSet) {}

// open returns the run's journal (none yet) and a function that closes it.
func (f *ledgerFlags) open(*globals, bool) (engine.Journal, func(job.Result) error, error) {
	return nil, func(job.Result) error { return nil }, nil
}
