package job

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/htmlreport"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// ReportOptions are the settings of `rewardbatch report`.
type ReportOptions struct {
	Run    string // a run id or its folder
	Ledger *ledger.Ledger
	// Validate are the run's validation settings; the company and account
	// come from the run's scope, the reference spelling is found from the
	// plan hash. BatchID and MaxAmount must be the run's.
	Validate validate.Options
	Version  string // the tool's version, for a summary the run never wrote
	Style    report.Style
	Stdout   io.Writer
	Log      *zap.Logger
}

// Report rebuilds a run's results.csv, failed.csv and summary.json from the
// ledger and the snapshot of the input in the run's folder: the same
// content as the run wrote, except latencyMs, which the ledger does not
// keep (left empty). It recovers the reports of a run that could not write
// them (a full disk, a second Ctrl-C, a kill). It sends nothing.
func Report(ctx context.Context, o ReportOptions) (int, error) {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	run, err := o.Ledger.Run(ctx, o.Run)
	if err != nil {
		return exitcode.Fatal, err
	}
	source := SnapshotIn(run.Folder)
	if err := checkSnapshot(source, run.InputSHA256); err != nil {
		return exitcode.Fatal, err
	}
	if n, err := report.RemoveStale(run.Folder); err == nil && n > 0 {
		fmt.Fprintf(o.Stdout, "Removed %d temporary files an interrupted run left in %s\n", n, run.Folder)
	}
	opts, know, hdr, err := runSettings(ctx, run, source, o.Validate)
	if err != nil {
		return exitcode.Fatal, err
	}
	s, err := rebuild(ctx, run, o, source, opts, know, hdr)
	if err != nil {
		return exitcode.Fatal, err
	}
	fmt.Fprintf(o.Stdout, "Rebuilt %s, %s and %s of run %s from the ledger\n", report.ResultsFile, report.FailedFile, report.SummaryFile, run.ID)
	if err := s.Print(o.Stdout); err != nil {
		return exitcode.Fatal, err
	}
	return s.ExitCode, nil
}

// checkSnapshot refuses a snapshot that is missing, a link, or not the
// bytes the run read.
func checkSnapshot(path, sum string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|oNoFollow|oNonBlock, 0)
	if err != nil {
		return fmt.Errorf("reading the run's copy of its input: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file: it is not the copy the run read", path)
	}
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("reading the run's copy of its input: %w", err)
	}
	if hex.EncodeToString(h.Sum(nil)) != sum {
		return fmt.Errorf("%s is not the file the run read (its SHA-256 differs from the ledger's): the reports cannot be rebuilt from it", path)
	}
	return nil
}

// runSettings finds the validation settings of the run: the company and
// account of its scope, and the plan hash's version (and for v1 the
// reference spelling) that gives the run's plan hash. It returns the
// knowledge of the last pass and the header.
func runSettings(ctx context.Context, run ledger.RunRecord, source string, opts validate.Options) (validate.Options, *validate.Knowledge, *allocfile.Header, error) {
	parts := strings.Split(run.Scope, "|")
	if len(parts) == 3 {
		opts.CompanyID, opts.CardAccountID = parts[1], parts[2]
	}
	tries := []validate.Options{opts}
	for _, field := range []enkash.ReferenceField{enkash.RefNumber, enkash.RefNum, enkash.RefBoth} {
		v1 := opts
		v1.PlanV1, v1.Extra = true, []string{"referenceField=" + string(field)}
		tries = append(tries, v1)
	}
	for _, opts := range tries {
		pass, know, err := planOf(ctx, run.Input, source, opts)
		if err != nil {
			return opts, nil, nil, err
		}
		if pass.Plan.Hash == run.PlanHash {
			return opts, know, pass.Header, nil
		}
	}
	return opts, nil, nil, fmt.Errorf("the run's file does not check the same way with these settings (its plan hash differs): " +
		"give report the same --batch-id and --max-amount as the run")
}

// planOf validates the snapshot as checkFile does, without writing
// anything, and returns the last pass and its knowledge.
func planOf(ctx context.Context, name, source string, opts validate.Options) (*validate.Pass, *validate.Knowledge, error) {
	var know *validate.Knowledge
	for {
		pass, err := streamSnapshot(ctx, name, source, opts, know, func(*reward.Item) error { return nil })
		if err != nil {
			return nil, nil, err
		}
		know = pass.Validator.Knowledge()
		if !pass.Validator.NeedsSecondPass() {
			return pass, know, nil
		}
	}
}

// streamSnapshot streams the validated items of the snapshot at source.
func streamSnapshot(ctx context.Context, name, source string, opts validate.Options, know *validate.Knowledge, each func(*reward.Item) error) (*validate.Pass, error) {
	f, err := os.Open(source)
	if err != nil {
		return nil, fmt.Errorf("reopening the input: %w", err)
	}
	defer f.Close()
	return validate.Stream(ctx, name, f, opts, know, each)
}

// rebuild writes the three files.
func rebuild(ctx context.Context, run ledger.RunRecord, o ReportOptions, source string, opts validate.Options,
	know *validate.Knowledge, hdr *allocfile.Header) (*report.Summary, error) {
	var stored *report.Summary
	if run.Summary != "" {
		stored = new(report.Summary)
		if err := json.Unmarshal([]byte(run.Summary), stored); err != nil {
			return nil, fmt.Errorf("reading the run's summary from the ledger: %w", err)
		}
	}
	results, err := report.CreateResults(run.Folder, hdr, o.Style)
	if err != nil {
		return nil, err
	}
	results.OmitLatency()
	o2 := outcomes{run: run, ledger: o.Ledger, stopped: stoppedOf(stored)}
	_, err = streamSnapshot(ctx, run.Input, source, opts, know, func(it *reward.Item) error {
		return o2.add(ctx, it, results.Add)
	})
	if err == nil {
		err = o2.flush(ctx, results.Add)
	}
	if err != nil {
		results.Abort()
		return nil, err
	}
	if err := results.Commit(); err != nil {
		return nil, err
	}
	s := summaryOf(run, stored, results.Tally(), o.Version)
	if err := report.WriteJSON(filepath.Join(run.Folder, report.SummaryFile), s); err != nil {
		return nil, err
	}
	if err := htmlreport.Write(run.Folder, s); err != nil {
		return nil, err
	}
	return s, nil
}

func stoppedOf(s *report.Summary) string {
	if s == nil {
		return ""
	}
	return s.Stopped
}

// summaryOf is the run's summary with the rebuilt tally: the stored one
// when the run wrote it (its exit code recomputed when reconcile settled
// rows since), else one made from the ledger's record of the run.
func summaryOf(run ledger.RunRecord, stored *report.Summary, t report.Tally, version string) *report.Summary {
	if stored != nil {
		s := *stored
		if !maps.Equal(s.Statuses, t.Statuses) {
			s.ExitCode = exitcode.FromStatuses(t.Statuses, s.Stopped != "")
			s.ExitMeaning = exitcode.Meaning(s.ExitCode)
		}
		s.Tally = t
		return &s
	}
	s := &report.Summary{Tool: "rewardbatch", Version: version, RunID: run.ID, Sandbox: run.Sandbox, Input: run.Input,
		InputSHA256: run.InputSHA256, PlanHash: run.PlanHash, StartedAt: run.StartedAt.UTC(), Tally: t, Folder: run.Folder,
		Files: []string{report.ResultsFile, report.FailedFile, report.SummaryFile, htmlreport.File, report.ValidationFile, report.InvalidFile, filepath.Base(SnapshotIn(run.Folder))}}
	if run.Sandbox {
		s.Note = reward.NoRealPoints
	}
	s.ExitCode = exitcode.FromStatuses(t.Statuses, false)
	s.ExitMeaning = exitcode.Meaning(s.ExitCode)
	return s
}

// reportHint adds to a report write error how to get the reports back:
// the ledger has every outcome.
func reportHint(err error, ledgered bool, dir string) error {
	var we *report.WriteError
	if !ledgered || !errors.As(err, &we) {
		return err
	}
	return fmt.Errorf("%w; the ledger has every outcome: once the cause is fixed, run `rewardbatch report %s` to write the reports again", err, dir)
}
