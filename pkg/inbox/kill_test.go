package inbox

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const helperEnv = "REWARDBATCH_INBOX_KILL_HELPER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		killHelper(dir)
		return
	}
	os.Exit(m.Run())
}

// killHelper is the process the test kills: it takes the inbox's file and
// says so, then blocks in its run until it is killed.
func killHelper(dir string) {
	b := &Inbox{Dir: dir, RequireApproval: true, Plan: plan, Now: func() time.Time { return now }, Run: func(_ context.Context, t Task) (Result, error) {
		fmt.Println("running " + filepath.Base(t.Path))
		_, _ = io.Copy(io.Discard, os.Stdin) // the parent never closes it
		return Result{}, nil
	}}
	_, err := b.Process(context.Background())
	fmt.Println("helper returned:", err)
	os.Exit(1)
}

// TestSIGKILLMidRun kills a real process in the middle of a file's run; the
// next Process resumes that file, once, and finishes it.
func TestSIGKILLMidRun(t *testing.T) {
	t.Parallel()
	s, b := approvedInbox(t, "ok", fullHash[:16])
	drop(t, b, Incoming, "dec.csv", "ok", time.Minute+time.Second) // younger: after nov.csv

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+b.Dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "running nov.csv\n" {
		_ = cmd.Process.Kill()
		t.Fatalf("helper said %q, %v", line, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	want := []string{"incoming/dec.csv", "processing/nov.csv", "processing/nov.csv.approved"}
	if got := tree(t, b); !slices.Equal(got, want) {
		t.Fatalf("after SIGKILL: %v, want %v", got, want)
	}

	rep, err := b.Process(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := states(rep); got != "nov.csv=done dec.csv=waiting" || !s.tasks[0].Resumed || s.tasks[0].ApprovedHash != fullHash[:16] {
		t.Errorf("after restart: %s, tasks %+v", got, s.tasks)
	}
	got := tree(t, b)
	if len(got) != 3 || got[0] != "done/20261126T140000Z-nov-a/nov.csv" || got[2] != "incoming/dec.csv" ||
		!strings.HasSuffix(got[1], "nov.csv.approved") {
		t.Errorf("after restart: %v", got)
	}
}
