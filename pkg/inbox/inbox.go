package inbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// The folders of an inbox, and the suffix of an approval file.
const (
	Incoming       = "incoming"
	Processing     = "processing"
	Done           = "done"
	Failed         = "failed"
	ApprovedSuffix = ".approved"
	resultSuffix   = ".result.json" // the marker, in processing/
	lockName       = ".inbox.lock"
)

// Task is one file handed to the run.
type Task struct {
	// Path is the file, in processing/.
	Path string
	// ApprovedHash is the plan hash FILE.approved holds (16 or more hex
	// digits) when approval is required, else "". The run must refuse to
	// send anything when the file's plan hash does not start with it.
	ApprovedHash string
	// Resumed is set when the file was found in processing/: an earlier
	// run of it was cut short.
	Resumed bool
}

// Result is what the run of one file did.
type Result struct {
	Folder   string // the run folder; its name names the file's place in done/ or failed/
	ExitCode int
}

// RunFunc runs one file; an error means it could not run at all (the file
// then stays in processing/ for the next Process).
type RunFunc func(ctx context.Context, t Task) (Result, error)

// PlanFunc returns the plan hash of a file, as `rewardbatch validate`
// prints it.
type PlanFunc func(ctx context.Context, path string) (string, error)

// Disposition is where a file goes after its run.
type Disposition string

// The dispositions.
const (
	ToDone   Disposition = Done
	ToFailed Disposition = Failed
	Retry    Disposition = Processing // stays, resumed by the next Process
)

// DefaultDisposition: exit 0 to done/; 2 (invalid input) and 3 (some rows
// failed) to failed/, for a person to look at; 1 (fatal: settings, login,
// lock) and 4 (incomplete) stay in processing/, since a later run can
// finish them safely.
func DefaultDisposition(exitCode int) Disposition {
	switch exitCode {
	case 0:
		return ToDone
	case 2, 3:
		return ToFailed
	}
	return Retry
}

// Inbox processes one inbox folder. Its fields are read-only during
// Process.
type Inbox struct {
	Dir             string
	Settle          time.Duration // how long a file's size and time must be unchanged
	RequireApproval bool
	Run             RunFunc
	Plan            PlanFunc                       // required with RequireApproval
	Dispose         func(exitCode int) Disposition // nil: DefaultDisposition
	Now             func() time.Time               // nil: time.Now

	crash func(step string) error // tests: stop dead after a step
}

// ErrBusy is returned when another Process holds the inbox.
var ErrBusy = errors.New("inbox: another run is processing this inbox")

// Process resumes the files in processing/, then takes the ready files of
// incoming/, oldest first, one at a time, until none is left or ctx ends.
// The error is for the inbox itself (folders, lock, a crash-test stop);
// what happened to each file is in the report.
func (b *Inbox) Process(ctx context.Context) (Report, error) {
	if b.Run == nil || (b.RequireApproval && b.Plan == nil) {
		return Report{}, errors.New("inbox: Run (and Plan with RequireApproval) must be set")
	}
	for _, d := range []string{Incoming, Processing, Done, Failed} {
		if err := os.MkdirAll(filepath.Join(b.Dir, d), 0o750); err != nil {
			return Report{}, fmt.Errorf("inbox: %w", err)
		}
	}
	lock := flock.New(filepath.Join(b.Dir, lockName), flock.SetPermissions(0o600))
	locked, err := lock.TryLock()
	if err != nil {
		return Report{}, fmt.Errorf("inbox: lock %s: %w", lock.Path(), err)
	}
	if !locked {
		return Report{}, fmt.Errorf("%w (%s)", ErrBusy, b.Dir)
	}
	defer lock.Unlock()
	var rep Report
	if err := b.resume(ctx, &rep); err != nil {
		return rep, err
	}
	return rep, b.intake(ctx, &rep)
}

func (b *Inbox) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b *Inbox) dispose(code int) Disposition {
	if b.Dispose != nil {
		return b.Dispose(code)
	}
	return DefaultDisposition(code)
}

func (b *Inbox) step(name string) error {
	if b.crash != nil {
		return b.crash(name)
	}
	return nil
}

func (b *Inbox) path(elem ...string) string {
	return filepath.Join(append([]string{b.Dir}, elem...)...)
}
