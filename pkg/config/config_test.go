package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// flags is a command's flag set, as the CLI declares them.
type flags struct {
	reports  string
	workers  int
	wait     time.Duration
	encrypt  bool
	notify   []string
	password string
	baseURL  string
	fs       *pflag.FlagSet
}

func newFlags(t *testing.T) *flags {
	t.Helper()
	f := &flags{fs: pflag.NewFlagSet("run", pflag.ContinueOnError)}
	f.fs.String(FlagName, "", "config file")
	f.fs.StringVar(&f.reports, "reports-dir", "reports", "")
	f.fs.IntVar(&f.workers, "workers", 4, "")
	f.fs.DurationVar(&f.wait, "wait-lock", 0, "")
	f.fs.BoolVar(&f.encrypt, "encrypt", true, "")
	f.fs.StringArrayVar(&f.notify, "notify", nil, "")
	f.fs.StringVar(&f.password, "password", "", "")
	f.fs.StringVar(&f.baseURL, "base-url", "", "")
	if err := MarkSecret(f.fs, "password"); err != nil {
		t.Fatal(err)
	}
	return f
}

func writeFile(t *testing.T, body string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rewardbatch.yaml")
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return p
}

const fileBody = `
reports-dir: /file/reports
workers: 6
wait-lock: 2m
encrypt: false
notify:
  - https://hooks.example.com/services/T0/B0/filetoken
  - https://second.example.com/x
password: file-pass
run:
  workers: 8
`

// TestPrecedence: flag > env > file (command section > top level) > default,
// for every kind of flag, over a real pflag.FlagSet.
func TestPrecedence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		file    bool
		command string
		check   func(*flags) bool
		source  map[string]Source
	}{
		{"defaults only", nil, nil, false, "run",
			func(f *flags) bool { return f.reports == "reports" && f.workers == 4 && f.encrypt && f.notify == nil },
			map[string]Source{"reports-dir": FromDefault, "workers": FromDefault, "password": FromDefault}},
		{"file over default", nil, nil, true, "validate",
			func(f *flags) bool {
				return f.reports == "/file/reports" && f.workers == 6 && f.wait == 2*time.Minute && !f.encrypt &&
					len(f.notify) == 2 && f.password == "file-pass"
			},
			map[string]Source{"reports-dir": FromFile, "workers": FromFile, "notify": FromFile, "password": FromFile}},
		{"command section over top level", nil, nil, true, "run",
			func(f *flags) bool { return f.workers == 8 }, map[string]Source{"workers": FromFile}},
		{"env over file", nil, map[string]string{"REWARDBATCH_REPORTS_DIR": "/env/reports", "REWARDBATCH_WORKERS": "12",
			"REWARDBATCH_ENCRYPT": "true", "REWARDBATCH_NOTIFY": "https://env.example.com/h"}, true, "run",
			func(f *flags) bool {
				return f.reports == "/env/reports" && f.workers == 12 && f.encrypt && len(f.notify) == 1 && f.wait == 2*time.Minute
			},
			map[string]Source{"reports-dir": FromEnv, "workers": FromEnv, "wait-lock": FromFile}},
		{"flag over env and file", []string{"--reports-dir", "/flag", "--workers=2", "--notify", "https://flag.example.com/a"},
			map[string]string{"REWARDBATCH_REPORTS_DIR": "/env/reports", "REWARDBATCH_WORKERS": "12"}, true, "run",
			func(f *flags) bool {
				return f.reports == "/flag" && f.workers == 2 && len(f.notify) == 1 && f.notify[0] == "https://flag.example.com/a"
			},
			map[string]Source{"reports-dir": FromFlag, "workers": FromFlag, "notify": FromFlag}},
		{"a secret is not read from REWARDBATCH_*", nil, map[string]string{"REWARDBATCH_PASSWORD": "env-pass"}, true, "run",
			func(f *flags) bool { return f.password == "file-pass" }, map[string]Source{"password": FromFile}},
		{"a secret's alias is read, over the file", nil, map[string]string{"ENKASH_PASSWORD": "alias-pass"}, true, "run",
			func(f *flags) bool { return f.password == "alias-pass" }, map[string]Source{"password": FromEnv}},
		{"own variable over alias", nil, map[string]string{"REWARDBATCH_BASE_URL": "https://own", "ENKASH_BASE_URL": "https://alias"}, false, "run",
			func(f *flags) bool { return f.baseURL == "https://own" }, map[string]Source{"base-url": FromEnv}},
		{"an empty variable counts as unset", nil, map[string]string{"REWARDBATCH_WORKERS": ""}, true, "validate",
			func(f *flags) bool { return f.workers == 6 }, map[string]Source{"workers": FromFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFlags(t)
			if err := f.fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			l := Loader{Command: tt.command, LookupEnv: mapEnv(tt.env),
				Aliases: map[string][]string{"password": {"ENKASH_PASSWORD"}, "base-url": {"ENKASH_BASE_URL"}}}
			if tt.file {
				file, err := Load(writeFile(t, fileBody, 0o600))
				if err != nil {
					t.Fatal(err)
				}
				l.File = file
			}
			settings, err := l.Apply(f.fs)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(f) {
				t.Errorf("values: %+v", *f)
			}
			got := map[string]Source{}
			for _, s := range settings {
				got[s.Name] = s.Source
			}
			for name, want := range tt.source {
				if got[name] != want {
					t.Errorf("%s: source %q, want %q", name, got[name], want)
				}
				if want != FromDefault && !f.fs.Lookup(name).Changed {
					t.Errorf("%s: set from %s but not marked changed", name, want)
				}
			}
			if _, has := got[FlagName]; has {
				t.Errorf("the --config flag itself is listed")
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		mode os.FileMode
		env  map[string]string
		want []string
	}{
		{"bad env value names the variable", "", 0o600, map[string]string{"REWARDBATCH_WORKERS": "many"},
			[]string{"REWARDBATCH_WORKERS", "unset it or give a valid value"}},
		{"bad file value names file and key", "run:\n  workers: many\n", 0o600, nil,
			[]string{"rewardbatch.yaml", "run.workers", "many"}},
		{"a list for a single value", "workers: [1, 2]\n", 0o600, nil, []string{"workers", "takes one value"}},
		{"a section for a value", "reports-dir:\n  a: b\n", 0o600, nil, []string{"reports-dir", "takes a value"}},
		{"a secret in a file others can read", "password: x\n", 0o644, nil, []string{"chmod 600", "password"}},
		{"even when the environment wins", "password: x\n", 0o640, map[string]string{"ENKASH_PASSWORD": "y"}, []string{"chmod 600", "password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFlags(t)
			file, err := Load(writeFile(t, tt.body, tt.mode))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Loader{Command: "run", File: file, LookupEnv: mapEnv(tt.env),
				Aliases: map[string][]string{"password": {"ENKASH_PASSWORD"}}}.Apply(f.fs)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadRefusesBadYAML(t *testing.T) {
	t.Parallel()
	_, err := Load(writeFile(t, "workers: [1\n", 0o600))
	if !errors.Is(err, ErrFile) || !strings.Contains(err.Error(), "not valid YAML") {
		t.Errorf("err = %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestUnknownKeys(t *testing.T) {
	t.Parallel()
	file, err := Load(writeFile(t, "workers: 1\nworkerz: 2\nrun:\n  workers: 3\n  reports: x\nvalidate:\n  workers: 1\nrn:\n  workers: 1\n", 0o600))
	if err != nil {
		t.Fatal(err)
	}
	run := newFlags(t).fs
	validate := pflag.NewFlagSet("validate", pflag.ContinueOnError)
	validate.Int("max", 0, "")
	got := file.Unknown(map[string]*pflag.FlagSet{"run": run, "validate": validate})
	want := []string{"rn.workers", "run.reports", "validate.workers", "workerz"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Unknown = %v, want %v", got, want)
	}
}

func TestShowMasksSecrets(t *testing.T) {
	t.Parallel()
	f := newFlags(t)
	file, err := Load(writeFile(t, fileBody, 0o600))
	if err != nil {
		t.Fatal(err)
	}
	settings, err := Loader{Command: "run", File: file, LookupEnv: mapEnv(map[string]string{"REWARDBATCH_BASE_URL": "https://u:pw@api.example.com"})}.Apply(f.fs)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Show(&b, settings); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, secret := range []string{"file-pass", "filetoken", ":pw@"} {
		if strings.Contains(out, secret) {
			t.Errorf("config show reveals %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"password     ***", "https://hooks.example.com/services/***,https://second.example.com/x",
		"env REWARDBATCH_BASE_URL", "file " + file.Path + ": run.workers", "wait-lock    2m0s"} {
		if !strings.Contains(out, want) {
			t.Errorf("config show lacks %q:\n%s", want, out)
		}
	}
}

func TestPathFrom(t *testing.T) {
	t.Parallel()
	f := newFlags(t)
	if p := PathFrom(f.fs, mapEnv(map[string]string{EnvFile: "/env.yaml"})); p != "/env.yaml" {
		t.Errorf("from env: %q", p)
	}
	if err := f.fs.Parse([]string{"--config", "/flag.yaml"}); err != nil {
		t.Fatal(err)
	}
	if p := PathFrom(f.fs, mapEnv(map[string]string{EnvFile: "/env.yaml"})); p != "/flag.yaml" {
		t.Errorf("from flag: %q", p)
	}
}
