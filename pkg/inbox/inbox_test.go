package inbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// now is the test's clock; files are dated relative to it.
var now = time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)

const fullHash = "585ee77fd9dcfd2f0123456789abcdef0123456789abcdef0123456789abcdef"

// script is a scripted run: an exit code per file name (default 0), a
// record of every task, and a plan hash per file content.
type script struct {
	mu      sync.Mutex
	exit    map[string]int
	fail    map[string]error
	tasks   []Task
	reports string
}

func newScript(t *testing.T) *script {
	return &script{exit: map[string]int{}, fail: map[string]error{}, reports: t.TempDir()}
}

func (s *script) run(_ context.Context, t Task) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tasks = append(s.tasks, t)
	name := filepath.Base(t.Path)
	if _, err := os.Stat(t.Path); err != nil {
		return Result{}, err // the file must be in processing/ while it runs
	}
	if err := s.fail[name]; err != nil {
		return Result{}, err
	}
	folder := filepath.Join(s.reports, "20261126T140000Z-"+strings.TrimSuffix(name, ".csv")+"-"+string(rune('a'+len(s.tasks)-1)))
	return Result{Folder: folder, ExitCode: s.exit[name]}, os.MkdirAll(folder, 0o700)
}

func (s *script) runs(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.tasks {
		if filepath.Base(t.Path) == name {
			n++
		}
	}
	return n
}

// plan hashes the content: "fullHash" for content starting with "ok", else
// another hash.
func plan(_ context.Context, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(string(b), "ok") {
		return fullHash, nil
	}
	return strings.Repeat("9", 64), nil
}

func newInbox(t *testing.T, s *script) *Inbox {
	t.Helper()
	return &Inbox{Dir: t.TempDir(), Settle: time.Minute, Run: s.run, Plan: plan, Now: func() time.Time { return now }}
}

// approvedInbox is an inbox that requires approval, holding nov.csv and,
// unless approved is "", nov.csv.approved.
func approvedInbox(t *testing.T, content, approved string) (*script, *Inbox) {
	t.Helper()
	s := newScript(t)
	b := newInbox(t, s)
	b.RequireApproval = true
	drop(t, b, Incoming, "nov.csv", content, time.Hour)
	if approved != "" {
		drop(t, b, Incoming, "nov.csv"+ApprovedSuffix, approved, time.Hour)
	}
	return s, b
}

// drop writes a file into a folder of the inbox, last changed age ago.
func drop(t *testing.T, b *Inbox, folder, name, content string, age time.Duration) {
	t.Helper()
	p := filepath.Join(b.Dir, folder, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
		t.Fatal(err)
	}
}

// tree lists every file under the inbox, relative, without the lock.
func tree(t *testing.T, b *Inbox) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(b.Dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == lockName {
			return err
		}
		rel, _ := filepath.Rel(b.Dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func states(rep Report) string {
	var s []string
	for _, e := range rep.Entries {
		s = append(s, e.Name+"="+string(e.State))
	}
	return strings.Join(s, " ")
}

func TestProcessMovesByExitCode(t *testing.T) {
	t.Parallel()
	s := newScript(t)
	b := newInbox(t, s)
	s.exit["b.csv"], s.exit["c.csv"] = 3, 4
	drop(t, b, Incoming, "c.csv", "ok", 3*time.Minute)
	drop(t, b, Incoming, "b.csv", "ok", 4*time.Minute)
	drop(t, b, Incoming, "a.csv", "ok", 5*time.Minute)  // oldest
	drop(t, b, Incoming, "d.csv", "ok", 10*time.Second) // still settling
	drop(t, b, Incoming, "e.csv.part", "ok", time.Hour) // an upload in progress
	drop(t, b, Incoming, ".hidden", "ok", time.Hour)
	rep, err := b.Process(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := states(rep); got != "a.csv=done b.csv=failed c.csv=retry d.csv=settling" {
		t.Errorf("states: %s", got)
	}
	want := []string{"done/20261126T140000Z-a-a/a.csv", "failed/20261126T140000Z-b-b/b.csv", "incoming/.hidden",
		"incoming/d.csv", "incoming/e.csv.part", "processing/c.csv"}
	if got := tree(t, b); !slices.Equal(got, want) {
		t.Errorf("tree:\n got %v\nwant %v", got, want)
	}
	if rep.ExitCode() != 4 {
		t.Errorf("exit code %d, want 4", rep.ExitCode())
	}
	var out strings.Builder
	if err := rep.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"done     a.csv: exit 0, " + s.reports, "retry    c.csv: exit 4, ", ": it stays in processing/",
		"settling d.csv: changed 10s ago; taken once unchanged for 1m0s\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	// The next Process resumes c.csv, now finishing, and takes d.csv.
	s.exit["c.csv"] = 0
	b.Now = func() time.Time { return now.Add(time.Minute) }
	rep, err = b.Process(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := states(rep); got != "c.csv=done d.csv=done" || !rep.Entries[0].Resumed || !s.tasks[3].Resumed || s.tasks[4].Resumed {
		t.Errorf("second pass: %s, tasks %+v", got, s.tasks)
	}
	if rep.ExitCode() != 0 || s.runs("a.csv") != 1 || s.runs("c.csv") != 2 {
		t.Errorf("exit %d; runs of a %d, of c %d", rep.ExitCode(), s.runs("a.csv"), s.runs("c.csv"))
	}
}

// TestHalfWrittenFile: a file that changed within the settle time, or whose
// size or time change while it is checked, is not taken.
func TestHalfWrittenFile(t *testing.T) {
	t.Parallel()
	s := newScript(t)
	b := newInbox(t, s)
	drop(t, b, Incoming, "big.csv", "ok,partial", 59*time.Second)
	rep, err := b.Process(context.Background())
	if err != nil || states(rep) != "big.csv=settling" || len(s.tasks) != 0 {
		t.Fatalf("%s, %v, %d runs", states(rep), err, len(s.tasks))
	}
	// Old enough, but written to while approval is being computed.
	b.RequireApproval = true
	drop(t, b, Incoming, "big.csv", "ok,partial", 2*time.Minute)
	drop(t, b, Incoming, "big.csv"+ApprovedSuffix, fullHash[:16], 2*time.Minute)
	b.Plan = func(ctx context.Context, path string) (string, error) {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return "", err
		}
		_, err = f.WriteString(",more rows")
		return fullHash, errors.Join(err, f.Close())
	}
	rep, err = b.Process(context.Background())
	if err != nil || states(rep) != "big.csv=settling" || len(s.tasks) != 0 {
		t.Fatalf("%s, %v, %d runs", states(rep), err, len(s.tasks))
	}
}

func TestApproval(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		content  string
		approved string // "" means no approval file
		state    State
		reason   string
	}{
		{"no approval waits", "ok", "", StateWaiting, "write the plan hash"},
		{"short hash as validate prints it", "ok", fullHash[:16] + "\n", StateDone, ""},
		{"full hash in capitals", "ok", strings.ToUpper(fullHash), StateDone, ""},
		{"stale hash: the file changed", "changed", fullHash[:16], StateRefused, "changed after its approval"},
		{"not a hash", "ok", "yes please", StateRefused, "does not hold a plan hash"},
		{"too short a prefix", "ok", fullHash[:8], StateRefused, "does not hold a plan hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, b := approvedInbox(t, tt.content, tt.approved)
			rep, err := b.Process(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			e := rep.Entries[0]
			if e.State != tt.state || !strings.Contains(e.Reason, tt.reason) {
				t.Fatalf("entry %+v", e)
			}
			files := tree(t, b)
			if tt.state != StateDone {
				if len(s.tasks) != 0 || !slices.Contains(files, "incoming/nov.csv") {
					t.Errorf("a file not approved was taken: %v", files)
				}
				return
			}
			if s.tasks[0].ApprovedHash != strings.ToLower(strings.TrimSpace(tt.approved)) {
				t.Errorf("task %+v", s.tasks[0])
			}
			want := []string{"done/20261126T140000Z-nov-a/nov.csv", "done/20261126T140000Z-nov-a/nov.csv.approved"}
			if !slices.Equal(files, want) {
				t.Errorf("tree %v, want %v", files, want)
			}
		})
	}
}

var errCrash = errors.New("simulated crash")

// TestCrashBetweenSteps stops Process dead after each step, as a SIGKILL
// would, then runs a fresh Process: the file ends in done/ once, with its
// approval, and is run again only when the crash came before the marker.
func TestCrashBetweenSteps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		step      string
		wantRuns  int
		afterward []string // the tree after the crash
	}{
		{"taken", 1, []string{"processing/nov.csv", "processing/nov.csv.approved"}},
		{"ran", 2, []string{"processing/nov.csv", "processing/nov.csv.approved"}},
		{"marked", 1, []string{"processing/nov.csv", "processing/nov.csv.approved", "processing/nov.csv.result.json"}},
		{"moved", 1, []string{"done/20261126T140000Z-nov-a/nov.csv", "processing/nov.csv.approved", "processing/nov.csv.result.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			t.Parallel()
			s, b := approvedInbox(t, "ok", fullHash[:16])
			b.crash = func(step string) error {
				if step == tt.step {
					return errCrash
				}
				return nil
			}
			if _, err := b.Process(context.Background()); !errors.Is(err, errCrash) {
				t.Fatalf("err = %v", err)
			}
			if got := tree(t, b); !slices.Equal(got, tt.afterward) {
				t.Errorf("after the crash: %v, want %v", got, tt.afterward)
			}
			fresh := &Inbox{Dir: b.Dir, Settle: b.Settle, RequireApproval: true, Run: s.run, Plan: plan, Now: b.Now}
			rep, err := fresh.Process(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Entries) != 1 || rep.Entries[0].State != StateDone || !rep.Entries[0].Resumed {
				t.Errorf("after the restart: %+v", rep.Entries)
			}
			got := tree(t, b)
			if len(got) != 2 || !strings.HasPrefix(got[0], "done/") || !strings.HasSuffix(got[0], "/nov.csv") ||
				got[1] != got[0]+ApprovedSuffix {
				t.Errorf("after the restart: %v", got)
			}
			if s.runs("nov.csv") != tt.wantRuns {
				t.Errorf("runs %d, want %d", s.runs("nov.csv"), tt.wantRuns)
			}
			if again, _ := fresh.Process(context.Background()); len(again.Entries) != 0 || len(s.tasks) != tt.wantRuns {
				t.Errorf("a third Process did something: %+v", again.Entries)
			}
		})
	}
}

func TestBusyAndNameClash(t *testing.T) {
	t.Parallel()
	s := newScript(t)
	b := newInbox(t, s)
	drop(t, b, Processing, "nov.csv", "ok", time.Hour) // left by a crash; its run fails to start again
	s.fail["nov.csv"] = errors.New("ledger locked")
	drop(t, b, Incoming, "nov.csv", "ok resend", time.Hour)
	rep, err := b.Process(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := states(rep); got != "nov.csv=retry nov.csv=waiting" || rep.ExitCode() != 1 || !strings.Contains(rep.Entries[1].Reason, "still in processing") {
		t.Errorf("%s, exit %d, %+v", got, rep.ExitCode(), rep.Entries)
	}
	lock := flock.New(filepath.Join(b.Dir, lockName))
	if ok, err := lock.TryLock(); !ok || err != nil {
		t.Fatal(ok, err)
	}
	defer lock.Unlock()
	if _, err := b.Process(context.Background()); !errors.Is(err, ErrBusy) {
		t.Errorf("err = %v, want ErrBusy", err)
	}
}

func TestCancelledContextTakesNothingMore(t *testing.T) {
	t.Parallel()
	s := newScript(t)
	b := newInbox(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	b.Run = func(ctx context.Context, t Task) (Result, error) {
		cancel() // the operator pressed Ctrl-C during the first run
		res, err := s.run(ctx, t)
		res.ExitCode = 4
		return res, err
	}
	drop(t, b, Incoming, "a.csv", "ok", 2*time.Hour)
	drop(t, b, Incoming, "b.csv", "ok", time.Hour)
	rep, err := b.Process(ctx)
	if err != nil || states(rep) != "a.csv=retry" {
		t.Fatalf("%s, %v", states(rep), err)
	}
	if got := tree(t, b); !slices.Equal(got, []string{"incoming/b.csv", "processing/a.csv"}) {
		t.Errorf("tree %v", got)
	}
}

func TestReportExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		entries []Entry
		want    int
	}{
		{nil, 0},
		{[]Entry{{State: StateWaiting}, {State: StateSettling}}, 0},
		{[]Entry{{State: StateDone, Folder: "f"}, {State: StateRefused}}, 2},
		{[]Entry{{State: StateFailed, Folder: "f", ExitCode: 3}, {State: StateRefused}}, 3},
		{[]Entry{{State: StateRetry, Folder: "f", ExitCode: 4}, {State: StateFailed, Folder: "f", ExitCode: 3}}, 4},
		{[]Entry{{State: StateRetry, Err: errors.New("x")}, {State: StateRetry, Folder: "f", ExitCode: 4}}, 1},
	}
	for i, tt := range tests {
		if got := (Report{Entries: tt.entries}).ExitCode(); got != tt.want {
			t.Errorf("%d: ExitCode = %d, want %d", i, got, tt.want)
		}
	}
}
