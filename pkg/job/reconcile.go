package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// ReconcileOptions are the settings of `rewardbatch reconcile`.
type ReconcileOptions struct {
	Run    string // a run id or its folder
	Ledger *ledger.Ledger
	Scope  string // the configured EnKash account; must be the run's
	// Engine gives the lookups' rate limit, concurrency (Workers), pause
	// and retry rules, and the resend rule (ResendAfter, Deduplicates).
	Engine engine.Config
	Stdout io.Writer
	Log    *zap.Logger
}

// settledRef is one open reference after its lookup.
type settledRef struct {
	ref     ledger.Ref
	change  *report.Change // nil: the report keeps the row as it is
	checked bool           // a lookup answered
}

// Reconcile looks up again every row a run left UNKNOWN (or, after a
// crash, sent without recording an outcome), with the engine's settlement
// and under its rate limit, then rewrites the run's results.csv, failed.csv
// and summary.json, and only then the ledger. Both rewrites can be
// repeated: a failure in either is repaired by running reconcile again.
// The code is the run's exit code after the settlement.
func Reconcile(ctx context.Context, o ReconcileOptions, api engine.API) (int, error) {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	run, open, err := openRefs(ctx, o)
	if err != nil {
		return exitcode.Fatal, err
	}
	settler := engine.NewSettler(o.Engine, api, o.Log)
	done := settleRefs(ctx, settler, open, people(run.Folder), max(o.Engine.Workers, 1))
	changes, checked := map[string]report.Change{}, 0
	for _, d := range done {
		if d.change != nil {
			changes[d.ref.Reference] = *d.change
		}
		if d.checked {
			checked++
		}
	}
	fmt.Fprintf(o.Stdout, "Run %s: %d rows to settle, %d looked up, %d settled, %d still unknown\n", run.ID, len(open), checked,
		countSettled(changes), len(open)-countSettled(changes))
	if why := settler.Stopped(); why != "" {
		fmt.Fprintf(o.Stdout, "The lookups stopped early: %s\n", why)
	}
	s, changed, err := report.Amend(run.Folder, changes)
	noResults := errors.Is(err, report.ErrNoResults) || errors.Is(err, os.ErrNotExist)
	if err != nil && !noResults {
		return exitcode.Fatal, fmt.Errorf("rewriting the reports (the ledger is unchanged; run reconcile again): %w", err)
	}
	if err := settleLedger(ctx, o.Ledger, done); err != nil {
		return exitcode.Fatal, fmt.Errorf("%w (the reports are rewritten; run reconcile again to finish the ledger)", err)
	}
	if noResults {
		fmt.Fprintf(o.Stdout, "The run did not finish, so it has no results.csv; the ledger is updated: run the same file again to finish it.\n")
		return exitcode.Incomplete, nil
	}
	fmt.Fprintf(o.Stdout, "Rewrote %d rows of %s\n", changed, run.Folder)
	if err := s.Print(o.Stdout); err != nil {
		return exitcode.Fatal, err
	}
	return s.ExitCode, nil
}

// openRefs finds the run and its unsettled references.
func openRefs(ctx context.Context, o ReconcileOptions) (ledger.RunRecord, []ledger.Ref, error) {
	run, err := o.Ledger.Run(ctx, o.Run)
	if err != nil {
		return run, nil, err
	}
	if run.Scope != o.Scope {
		return run, nil, fmt.Errorf("run %s was made against %s, but the configuration points at %s: "+
			"set the ENKASH_* variables of that account", run.ID, run.Scope, o.Scope)
	}
	var open []ledger.Ref
	for _, state := range []string{ledger.StateUnknown, ledger.StateSending} {
		refs, err := o.Ledger.RefsOfRun(ctx, run.ID, state)
		if err != nil {
			return run, nil, err
		}
		open = append(open, refs...)
	}
	return run, open, nil
}

// settleRefs looks every reference up, concurrently under the settler's
// rate limit. A failed lookup leaves its reference as it was and does not
// stop the others.
func settleRefs(ctx context.Context, s *engine.Settler, open []ledger.Ref, who map[string]person, workers int) []settledRef {
	out := make([]settledRef, len(open))
	var g errgroup.Group
	g.SetLimit(workers)
	for i, ref := range open {
		g.Go(func() error {
			out[i] = settleRef(ctx, s, ref, who[ref.Reference])
			return nil
		})
	}
	_ = g.Wait()
	return out
}

// settleRef settles one reference by the engine's rules: found -> its
// judgement; absent in enough conclusive lookups over long enough ->
// FAILED NOT_APPLIED (a run of the file sends it again); else UNKNOWN,
// with the new evidence kept.
func settleRef(ctx context.Context, s *engine.Settler, ref ledger.Ref, p person) settledRef {
	out := settledRef{ref: ref}
	amount, err := money.Parse(ref.Amount)
	if err != nil || s.Stopped() != "" {
		return out
	}
	t := engine.Target{Operation: reward.Operation(ref.Operation), Reference: ref.Reference, Amount: amount,
		CardID: ref.CardID, Email: p.email, Mobile: p.mobile}
	if t.CardID == "" {
		t.CardID = ref.EnKashCard
	}
	st := s.Settle(ctx, t, &out.ref.Evidence)
	out.checked = st.Finding != engine.LookupFailed
	ch := report.Change{Operation: t.Operation, Amount: amount}
	switch {
	case st.Finding == engine.Found:
		j := st.Judgement
		ch.Status, ch.ErrorCode, ch.ErrorMessage = j.Status, j.Code, j.Message
		ch.PGReferenceNumber, ch.EnKashCardID, ch.EnkashCardTxnID = j.Receipt.PGReferenceNumber, j.Receipt.EnKashCardID, j.Receipt.EnkashCardTxnID
	case st.Finding == engine.Absent && s.MayResend(out.ref.Evidence):
		ev := out.ref.Evidence
		ch.Status, ch.ErrorCode = reward.StatusFailed, reward.CodeNotApplied
		ch.ErrorMessage = fmt.Sprintf("EnKash did not have this reference in %d lookups, the last %s after the last attempt: "+
			"it was not applied; run the file again to send it (the ledger keeps the same reference)", ev.AbsentLookups,
			ev.LastAbsentAt.Sub(cmpTime(ev.LastAttemptAt, ev.FirstAbsentAt)).Round(1e9))
	default:
		return out // still unknown; the evidence is kept
	}
	out.change = &ch
	out.ref.State, out.ref.ErrorCode, out.ref.ErrorMessage = ledger.StateOf(ch.Status, ch.ErrorCode), ch.ErrorCode, ch.ErrorMessage
	out.ref.PGReference, out.ref.EnKashCard, out.ref.EnKashTxn = ch.PGReferenceNumber, ch.EnKashCardID, ch.EnkashCardTxnID
	return out
}

// settleLedger records every lookup's result; it carries on past a
// failed write, and reports the first.
func settleLedger(ctx context.Context, l *ledger.Ledger, done []settledRef) error {
	var first error
	failed := 0
	for _, d := range done {
		if !d.checked {
			continue
		}
		if err := l.Settle(ctx, d.ref); err != nil {
			failed++
			if first == nil {
				first = err
			}
		}
	}
	if first != nil {
		return fmt.Errorf("%d ledger updates failed, the first: %w", failed, first)
	}
	return nil
}

func countSettled(changes map[string]report.Change) int {
	n := 0
	for _, ch := range changes {
		if ch.Status != reward.StatusUnknown {
			n++
		}
	}
	return n
}

// cmpTime is a, or b when a is zero.
func cmpTime[T interface{ IsZero() bool }](a, b T) T {
	if a.IsZero() {
		return b
	}
	return a
}
