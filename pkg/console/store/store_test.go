package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	s.SetCost(bcrypt.MinCost)
	return s
}

func TestMigrationsOnceAndFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", FileName)
	s := open(t, path)
	if v, err := s.Version(context.Background()); err != nil || v != len(migrations)-1 {
		t.Fatalf("version %d, %v", v, err)
	}
	if err := s.AddUser(context.Background(), "asha", RoleUploader, "long enough password", false); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s2 := open(t, path) // a second open applies nothing and keeps the data
	if _, err := s2.User(context.Background(), "asha"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
}

func TestAuditIsAppendOnly(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), FileName))
	ctx := context.Background()
	if err := s.Audit(ctx, Event{User: "asha", Action: "upload", Batch: "b1", FileSHA256: "f", PlanHash: "p"}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit SET user = 'mallory'`, `DELETE FROM audit`} {
		if _, err := s.db.ExecContext(ctx, q); err == nil {
			t.Errorf("%s was allowed", q)
		}
	}
	es, err := s.Events(ctx, "b1", 10)
	if err != nil || len(es) != 1 || es[0].User != "asha" {
		t.Fatalf("%+v, %v", es, err)
	}
}

func TestAuthenticateAndLock(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), FileName))
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	ctx := context.Background()
	if err := s.AddUser(ctx, "ravi", RoleApprover, "long enough password", false); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, user, password string
		want                 error
	}{
		{"right", "ravi", "long enough password", nil},
		{"wrong password", "ravi", "nope", ErrBadLogin},
		{"unknown user", "nobody", "long enough password", ErrBadLogin},
	}
	for _, c := range cases {
		if _, err := s.Authenticate(ctx, c.user, c.password); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	for i := 0; i < MaxFailures-1; i++ {
		_, _ = s.Authenticate(ctx, "ravi", "nope")
	}
	if _, err := s.Authenticate(ctx, "ravi", "long enough password"); !errors.Is(err, ErrLocked) {
		t.Fatalf("after %d failures: %v", MaxFailures, err)
	}
	now = now.Add(LockFor + time.Second)
	if u, err := s.Authenticate(ctx, "ravi", "long enough password"); err != nil || u.Role != RoleApprover {
		t.Fatalf("after the lock: %+v, %v", u, err)
	}
}

func TestAddUserRefusals(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), FileName))
	ctx := context.Background()
	cases := []struct {
		name, user string
		role       Role
		password   string
	}{
		{"short password", "a", RoleViewer, "short"},
		{"bad name", "../x", RoleViewer, "long enough password"},
		{"bad role", "b", Role("root"), "long enough password"},
	}
	for _, c := range cases {
		if err := s.AddUser(ctx, c.user, c.role, c.password, false); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	if err := s.AddUser(ctx, "c", RoleViewer, "long enough password", false); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUser(ctx, "c", RoleAdmin, "long enough password", false); err == nil {
		t.Error("a second user of the same name was accepted without replace")
	}
	if err := s.AddUser(ctx, "c", RoleAdmin, "another long password", true); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User(ctx, "c"); u.Role != RoleAdmin {
		t.Errorf("replace: role %s", u.Role)
	}
}

func TestDecideAndInterrupted(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), FileName))
	ctx := context.Background()
	add := func(id string, st State) {
		if err := s.AddBatch(ctx, Batch{ID: id, Name: id, Uploader: "asha", State: st, PlanHash: "p1", ExitCode: -1}); err != nil {
			t.Fatal(err)
		}
	}
	add("b1", StatePending)
	if _, err := s.Decide(ctx, "b1", Decision{User: "asha", PlanHash: "p1", Approve: true}, 1); !errors.Is(err, ErrSelfApproval) {
		t.Fatalf("self-approval: %v", err)
	}
	if _, err := s.Decide(ctx, "b1", Decision{User: "ravi", PlanHash: "p0", Approve: true}, 1); !errors.Is(err, ErrStale) {
		t.Fatalf("stale plan: %v", err)
	}
	if st, err := s.Decide(ctx, "b1", Decision{User: "ravi", PlanHash: "p1", Approve: true}, 1); err != nil || st != StateApproved {
		t.Fatalf("approve: %s, %v", st, err)
	}
	add("b2", StateRunning)
	ids, err := s.MarkInterrupted(ctx)
	if err != nil || len(ids) != 2 {
		t.Fatalf("interrupted: %v, %v", ids, err)
	}
	for _, id := range ids {
		if b, _ := s.Batch(ctx, id); b.State != StateStopped || b.RunError == "" {
			t.Errorf("%s: %s %q", id, b.State, b.RunError)
		}
	}
}

// TestMigrationFromVersion1: a database made before migration 2 keeps its
// batches and gains the control totals, unstated.
func TestMigrationFromVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	all := migrations
	migrations = all[:2]
	old, err := Open(context.Background(), path)
	migrations = all
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.db.Exec(`INSERT INTO batches (id, name, size, file_sha256, uploader, state, created_at, updated_at)
		VALUES ('b1', 'f.csv', 1, 'x', 'asha', 'checked', '', '')`); err != nil {
		t.Fatal(err)
	}
	_ = old.Close()
	s := open(t, path)
	if v, _ := s.Version(context.Background()); v != 2 {
		t.Fatalf("version %d", v)
	}
	b, err := s.Batch(context.Background(), "b1")
	if err != nil || b.ExpectRows != -1 || b.ExpectTotal != "" {
		t.Fatalf("%+v, %v", b, err)
	}
}
