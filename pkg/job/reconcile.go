package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
)

// ReconcileOptions are the settings of `rewardbatch reconcile`.
type ReconcileOptions struct {
	Run    string // a run id or its folder
	Ledger *ledger.Ledger
	Scope  string // the configured EnKash account; must be the run's
	Stdout io.Writer
	Log    *zap.Logger
}

// Reconcile looks up again every row a run left UNKNOWN (or, after a
// crash, sent without recording an outcome), updates the ledger, and
// rewrites the run's results.csv, failed.csv and summary.json. The code is
// the run's exit code after the settlement.
func Reconcile(ctx context.Context, o ReconcileOptions, api engine.API) (int, error) {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	run, err := o.Ledger.Run(ctx, o.Run)
	if err != nil {
		return exitcode.Fatal, err
	}
	if run.Scope != o.Scope {
		return exitcode.Fatal, fmt.Errorf("run %s was made against %s, but the configuration points at %s: "+
			"set the ENKASH_* variables of that account", run.ID, run.Scope, o.Scope)
	}
	var open []ledger.Ref
	for _, state := range []string{ledger.StateUnknown, ledger.StateSending} {
		refs, err := o.Ledger.RefsOfRun(ctx, run.ID, state)
		if err != nil {
			return exitcode.Fatal, err
		}
		open = append(open, refs...)
	}
	changes := map[string]report.Change{}
	stillUnknown := 0
	for _, ref := range open {
		ch, settled := settleRef(ctx, api, ref, o.Log)
		if !settled {
			stillUnknown++
			continue
		}
		changes[ref.Reference] = ch
		ref.State, ref.PGReference, ref.EnKashCard, ref.EnKashTxn = ledger.StateOf(ch.Status, ch.ErrorCode), ch.PGReferenceNumber, ch.EnKashCardID, ch.EnkashCardTxnID
		ref.ErrorCode, ref.ErrorMessage = ch.ErrorCode, ch.ErrorMessage
		if err := o.Ledger.Settle(ctx, ref); err != nil {
			return exitcode.Fatal, err
		}
	}
	fmt.Fprintf(o.Stdout, "Run %s: %d rows to settle, %d settled, %d still unknown\n", run.ID, len(open), len(changes), stillUnknown)
	s, changed, err := report.Amend(run.Folder, changes)
	switch {
	case errors.Is(err, report.ErrNoResults) || errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(o.Stdout, "The run did not finish, so it has no results.csv; the ledger is updated: run the same file again to finish it.\n")
		return exitcode.Incomplete, nil
	case err != nil:
		return exitcode.Fatal, err
	}
	fmt.Fprintf(o.Stdout, "Rewrote %d rows of %s\n", changed, run.Folder)
	if err := s.Print(o.Stdout); err != nil {
		return exitcode.Fatal, err
	}
	return s.ExitCode, nil
}

// settleRef looks one reference up; settled is false when the lookup could
// not decide.
func settleRef(ctx context.Context, api engine.API, ref ledger.Ref, log *zap.Logger) (report.Change, bool) {
	amount, err := money.Parse(ref.Amount)
	if err != nil {
		return report.Change{}, false
	}
	ch := report.Change{Operation: reward.Operation(ref.Operation), Amount: amount}
	lk, err := api.FindTransactions(ctx, ref.Reference, ref.CardID)
	txns := lk.Transactions
	if err == nil && !lk.Conclusive {
		err = errors.New("an empty lookup without the card proves nothing")
	}
	if err != nil {
		log.Info("lookup could not settle a reference", zap.String("reference", ref.Reference), zap.Error(err))
		return ch, false
	}
	if len(txns) == 0 {
		ch.Status, ch.ErrorCode = reward.StatusFailed, reward.CodeNotApplied
		ch.ErrorMessage = "EnKash does not have this reference: it was not applied; run the file again to send it"
		return ch, true
	}
	var t enkash.Transaction
	t, ch.Status, ch.ErrorCode, ch.ErrorMessage = engine.Judge(ch.Operation, amount, ref.Reference, txns)
	ch.PGReferenceNumber, ch.EnKashCardID, ch.EnkashCardTxnID = t.PGReferenceNumber, t.EnKashCardID, t.EnKashTransactionID
	return ch, true
}
