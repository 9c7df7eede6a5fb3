package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// stopCase is one way a run ends: how to set it up, and the record it
// must leave.
type stopCase struct {
	name    string
	opts    sandbox.Options
	set     map[string]string // environment changes; "" removes
	extra   []string
	file    string
	lock    bool // another process holds the ledger
	damaged bool // the ledger file is not a ledger
	cancel  bool // a signal arrives with the first credit request
	code    int
	reason  string
	level   string // of "run finished"
	history bool
}

// TestEveryStopReason runs each way a run can end through the command line
// and checks its exit code, summary.json, the ledger's history row and the
// last line of the JSON log.
func TestEveryStopReason(t *testing.T) {
	t.Parallel()
	invalid := filepath.Join(t.TempDir(), "invalid.csv")
	head, err := os.ReadFile(sample)
	require.NoError(t, err)
	lines := strings.SplitN(string(head), "\n", 3)
	require.NoError(t, os.WriteFile(invalid, []byte(lines[0]+"\n"+strings.Replace(lines[1], "@", "", 1)+"\n"), 0o600))
	demo := sandbox.Options{Cards: sandbox.DemoCards()}
	tests := []stopCase{
		{name: "all done", opts: demo, code: exitcode.OK, reason: "", level: "info", history: true},
		{name: "config missing", opts: demo, set: map[string]string{enkash.EnvPassword: ""}, code: exitcode.Fatal,
			reason: job.ReasonConfigMissing, level: "error", history: true},
		{name: "login refused", opts: demo, set: map[string]string{enkash.EnvPassword: "wrong"}, code: exitcode.Fatal,
			reason: job.ReasonLoginRefused, level: "error", history: true},
		{name: "api unreachable", opts: demo, set: map[string]string{enkash.EnvBaseURL: "http://127.0.0.1:1"},
			extra: []string{"--environment", "uat"}, code: exitcode.Fatal, reason: job.ReasonAPIUnreachable, level: "error", history: true},
		{name: "balance short", opts: sandbox.Options{Cards: sandbox.DemoCards(), Balance: money.FromHundredths(100)}, code: exitcode.Fatal,
			reason: job.ReasonBalanceShort, level: "error", history: true},
		{name: "ledger locked", opts: demo, lock: true, code: exitcode.Fatal, reason: job.ReasonLedgerLocked, level: "error"},
		{name: "input invalid", opts: demo, file: invalid, code: exitcode.InvalidInput, reason: job.ReasonInputInvalid, level: "error", history: true},
		{name: "interrupted", opts: demo, cancel: true, extra: []string{"--workers", "1"}, code: exitcode.Incomplete,
			reason: job.ReasonInterrupted, level: "error", history: true},
		{name: "failure threshold", opts: sandbox.Options{Cards: sandbox.DemoCards(), Faults: sandbox.Faults{FailBefore: 1}},
			extra: []string{"--max-failure-ratio", "0.5", "--failure-window", "4", "--max-attempts", "1", "--workers", "1"},
			code:  exitcode.Incomplete, reason: job.ReasonFailureThreshold, level: "error", history: true},
		{name: "rows failed", opts: demo, file: "../job/testdata/mixed.csv", extra: []string{"--skip-invalid"},
			code: exitcode.RowsFailed, reason: job.ReasonRowsFailed, level: "warn", history: true},
		{name: "plan not the expected one", opts: demo, extra: []string{"--expect-plan", "000000000000"}, code: exitcode.InvalidInput,
			reason: job.ReasonInputInvalid, level: "error", history: true},
		{name: "ledger damaged", opts: demo, damaged: true, code: exitcode.Fatal, reason: job.ReasonLedger, level: "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkStop(t, tt)
		})
	}
}

func checkStop(t *testing.T, tt stopCase) {
	env := sandboxtest.Start(t, tt.opts)
	dir := t.TempDir()
	state, out := filepath.Join(dir, ledger.FileName), filepath.Join(dir, "run")
	vars := envFor(env)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if tt.cancel {
		vars[enkash.EnvBaseURL] = cancelOnCredit(t, env.URL, cancel)
		vars[EnvEnvironment] = "uat"
	}
	for k, v := range tt.set {
		if v == "" {
			delete(vars, k)
		} else {
			vars[k] = v
		}
	}
	if tt.lock {
		l, err := ledger.Open(context.Background(), state)
		require.NoError(t, err)
		defer l.Close()
	}
	if tt.damaged {
		require.NoError(t, os.WriteFile(state, []byte("not a ledger, but not empty either"), 0o600))
	}
	file := sample
	if tt.file != "" {
		file = tt.file
	}
	args := append([]string{"run", "--state", state, "--out", out, "--rate", "1000", "--lookup-grace", "1ms",
		"--timeout", "2s", "--log-format", "json"}, tt.extra...)
	var stdout, stderr bytes.Buffer
	code := Execute(ctx, append(args, file), &stdout, &stderr, func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	require.Equal(t, tt.code, code, stderr.String())

	var s report.Summary
	raw, err := os.ReadFile(filepath.Join(out, report.SummaryFile))
	require.NoError(t, err, "summary.json")
	require.NoError(t, json.Unmarshal(raw, &s))
	assert.Equal(t, tt.reason, s.StopReason)
	assert.Equal(t, tt.code, s.ExitCode)
	if tt.code != exitcode.OK {
		assert.NotEmpty(t, s.Message, "summary.json says why in words")
	}
	if tt.reason == job.ReasonRowsFailed {
		assert.Contains(t, s.Message, "INVALID: refused by the checks and not sent; validation.csv says why")
	}

	logLines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	finished := findLog(t, logLines, "run finished")
	assert.Equal(t, tt.level, finished["level"])
	assert.Equal(t, tt.reason, finished["stopReason"])
	assert.Equal(t, out, finished["folder"])
	for _, line := range logLines {
		require.True(t, json.Valid([]byte(line)), "every line is JSON: %s", line)
	}
	if tt.code != exitcode.OK {
		var last map[string]any
		require.NoError(t, json.Unmarshal([]byte(logLines[len(logLines)-1]), &last))
		assert.Equal(t, tt.level, last["level"])
		assert.Equal(t, tt.reason, last["stopReason"])
		assert.EqualValues(t, tt.code, last["exitCode"])
	}
	checkHistory(t, state, out, tt)
}

// checkHistory finds the run's row in the ledger: with its exit code and
// stop reason, or none when the ledger was locked.
func checkHistory(t *testing.T, state, out string, tt stopCase) {
	t.Helper()
	if !tt.history {
		return
	}
	l, err := ledger.OpenReadOnly(context.Background(), state)
	require.NoError(t, err)
	defer l.Close()
	runs, err := l.Runs(context.Background(), 10)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, tt.code, runs[0].ExitCode)
	assert.Equal(t, out, runs[0].Folder)
	var s report.Summary
	require.NoError(t, json.Unmarshal([]byte(runs[0].Summary), &s))
	assert.Equal(t, tt.reason, s.StopReason)
}

func findLog(t *testing.T, lines []string, msg string) map[string]any {
	t.Helper()
	for i := len(lines) - 1; i >= 0; i-- {
		var m map[string]any
		if json.Unmarshal([]byte(lines[i]), &m) == nil && m["msg"] == msg {
			return m
		}
	}
	t.Fatalf("no %q line in the log:\n%s", msg, strings.Join(lines, "\n"))
	return nil
}

// cancelOnCredit is a proxy to the sandbox that cancels the run (as a
// signal would) when the first credit request arrives, and then passes it
// on.
func cancelOnCredit(t *testing.T, target string, cancel context.CancelFunc) string {
	u, err := url.Parse(target)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(u)
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == enkash.PathCreateAllocate || r.URL.Path == enkash.PathBulkAllocate {
			once.Do(cancel)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
