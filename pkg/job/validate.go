package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// ValidateOptions are the settings of a dry run, and the first phase of a
// run.
type ValidateOptions struct {
	File       string // the allocation file
	Out        string // the run folder; "" for <ReportsDir>/<timestamp>-<name>
	ReportsDir string // default "reports"
	Validate   validate.Options
	// ExpectRows and ExpectTotal are the control totals the preparer
	// stated; ExpectRows < 0 and a nil ExpectTotal are not checked.
	ExpectRows  int
	ExpectTotal *money.Amount
	// ExpectPlan is the approved plan hash (validate.ParsePlanHash): a
	// file whose plan differs is refused, even with --skip-invalid. ""
	// checks nothing.
	ExpectPlan string
	// Stdin is read when File is "-".
	Stdin io.Reader
	// MaxFileSize refuses a larger input; 0 is DefaultMaxFileSize.
	MaxFileSize int64
	// AllowEmpty accepts a file with a header and no rows.
	AllowEmpty bool
	// Style is how the report files are written (--no-bom).
	Style  report.Style
	Stdout io.Writer
	Log    *zap.Logger
	Now    func() time.Time

	afterChunk func() // tests: runs after each chunk of the snapshot copy
}

func (o *ValidateOptions) defaults() {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// checked is what the validation phase hands to a run.
type checked struct {
	plan      *validate.Plan
	header    *allocfile.Header
	knowledge *validate.Knowledge
	errors    []reward.Issue // the first errors, for the terminal
}

const maxPrintedErrors = 10

// checkFile validates source (the file the user called name) and writes
// validation.csv and invalid.csv into dir. When the first pass finds a
// reference used twice after passing its first row, a second pass with
// that knowledge refuses both rows.
func checkFile(ctx context.Context, name, source, dir string, opts validate.Options, style report.Style) (*checked, error) {
	var know *validate.Knowledge
	for {
		c, again, err := checkPass(ctx, name, source, dir, opts, know, style)
		if err != nil || !again {
			return c, err
		}
		know = c.knowledge
	}
}

func checkPass(ctx context.Context, name, source, dir string, opts validate.Options, know *validate.Knowledge, style report.Style) (*checked, bool, error) {
	f, err := os.Open(source)
	if err != nil {
		return nil, false, fmt.Errorf("opening the input: %w", err)
	}
	defer f.Close()
	s, err := validate.NewScanner(name, f, opts, know)
	if err != nil {
		return nil, false, err
	}
	defer s.Close()
	w, err := report.CreateValidation(dir, s.Header(), style)
	if err != nil {
		return nil, false, err
	}
	c := &checked{header: s.Header()}
	for n := 0; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			w.Abort()
			return nil, false, ctx.Err()
		}
		it, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			w.Abort()
			return nil, false, err
		}
		if err := w.Add(it); err != nil {
			w.Abort()
			return nil, false, err
		}
		for _, is := range it.Issues {
			if is.Severity == reward.SevError && len(c.errors) < maxPrintedErrors {
				c.errors = append(c.errors, is)
			}
		}
	}
	c.knowledge = s.Validator().Knowledge()
	if s.Validator().NeedsSecondPass() {
		w.Abort()
		return c, true, nil
	}
	if err := w.Commit(); err != nil {
		return nil, false, err
	}
	c.plan = s.Plan()
	return c, false, nil
}

// Validate is the dry run: it reads and checks every row, prints the
// plan, and writes validation.csv and invalid.csv into the run folder. It
// sends nothing. The code is 0 when every row is valid (warnings allowed)
// and 2 otherwise.
func Validate(ctx context.Context, o ValidateOptions) (code int, dir string, err error) {
	r, err := check(ctx, o, "validate")
	return r.Code, r.Dir, err
}

// inputCode is the exit code of a command that could not snapshot its
// input: 4 when a signal stopped it, else as exitcode.FromError.
func inputCode(err error) int {
	if errors.Is(err, context.Canceled) {
		return exitcode.Incomplete
	}
	return exitcode.FromError(err)
}

// concludeCheck prints the plan and the first errors, and applies the
// control totals and the invalid-row rule.
func concludeCheck(o ValidateOptions, c *checked, dir, verb string) (int, string, error) {
	if err := c.plan.Print(o.Stdout); err != nil {
		return exitcode.Fatal, dir, err
	}
	if len(c.errors) > 0 {
		fmt.Fprintf(o.Stdout, "Errors (the first %d; all of them are in %s):\n", len(c.errors), report.ValidationFile)
		for _, is := range c.errors {
			fmt.Fprintf(o.Stdout, "  %s\n", is)
		}
	}
	fmt.Fprintf(o.Stdout, "Validation report: %s\n", filepath.Join(dir, report.ValidationFile))
	if c.plan.Invalid > 0 {
		fmt.Fprintf(o.Stdout, "Invalid rows, to fix and %s again: %s\n", verb, filepath.Join(dir, report.InvalidFile))
	}
	o.Log.Info("validated", zap.String("file", o.File), zap.Int("rows", c.plan.RowsRead), zap.Int("valid", c.plan.Valid),
		zap.Int("invalid", c.plan.Invalid), zap.Int("warnings", c.plan.Warnings), zap.String("plan", c.plan.ShortHash()))
	if c.plan.RowsRead == 0 && !o.AllowEmpty {
		return exitcode.InvalidInput, dir, fmt.Errorf("%w: %s: the file has no rows, only a header; nothing to do "+
			"(check that this is the file you meant; --allow-empty accepts it)", exitcode.ErrInvalidInput, o.File)
	}
	if err := c.plan.CheckControls(o.ExpectRows, o.ExpectTotal); err != nil {
		return exitcode.InvalidInput, dir, err
	}
	if err := c.plan.CheckApproved(o.ExpectPlan); err != nil {
		return exitcode.InvalidInput, dir, err
	}
	if c.plan.Invalid > 0 {
		return exitcode.InvalidInput, dir, fmt.Errorf("%w: %d of %d rows are invalid", exitcode.ErrInvalidInput, c.plan.Invalid, c.plan.RowsRead)
	}
	return exitcode.OK, dir, nil
}
