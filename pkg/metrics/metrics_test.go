package metrics

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func amount(t *testing.T, s string) money.Amount {
	t.Helper()
	a, err := money.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func run(t *testing.T, exit int, sandbox bool, finished string) Run {
	t.Helper()
	end, err := time.Parse(time.RFC3339Nano, finished)
	if err != nil {
		t.Fatal(err)
	}
	return Run{
		Statuses: map[string]int{"MATCHED": 118, "FAILED": 2, "SKIPPED": 0, "UNKNOWN": 0},
		Points: []Points{
			{Operation: "allocate", Kind: "planned", Amount: amount(t, "123456789.25")},
			{Operation: "allocate", Kind: "confirmed", Amount: amount(t, "123450000.05")},
			{Operation: "debit", Kind: "planned", Amount: amount(t, "0.1")},
		},
		Duration: 83*time.Second + 250*time.Millisecond, Finished: end, ExitCode: exit, Sandbox: sandbox,
	}
}

// TestGolden writes a sequence of runs into one file, as cron would, and
// compares the file after each with a golden file.
func TestGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		exit    int
		sandbox bool
		at      string
	}{
		{"failed-first", 3, false, "2026-11-01T02:00:00Z"},         // no success yet: no last-success line
		{"success", 0, false, "2026-11-02T02:00:00.5Z"},            // last success = this run
		{"failed-after-success", 4, false, "2026-11-03T02:00:00Z"}, // carried over
		{"sandbox-success", 0, true, "2026-11-04T02:00:00Z"},       // a sandbox run is no success
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "rewardbatch.prom")
	for _, tt := range tests {
		if err := Write(path, run(t, tt.exit, tt.sandbox, tt.at)); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", tt.name+".prom")
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: metrics differ from %s (rerun with -update to accept):\n%s", tt.name, golden, got)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left beside the metrics file: %v", entries)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v: node_exporter, another user, must read it", info.Mode())
	}
}

func TestRefusesAForeignFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.prom")
	if err := os.WriteFile(path, []byte("this is { not metrics\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Write(path, run(t, 0, false, "2026-11-02T02:00:00Z"))
	if err == nil || !strings.Contains(err.Error(), "--metrics-file") {
		t.Errorf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "this is { not metrics\n" {
		t.Errorf("the foreign file was replaced")
	}
}
