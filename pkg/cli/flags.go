package cli

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/config"
	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// apiFlags override the ENKASH_* environment.
type apiFlags struct {
	baseURL, tokenURL, clientID, clientSecret, username, password string
	clientSecretFile, passwordFile                                string
	partnerID, companyID, cardAccountID, refField                 string
	encrypt                                                       bool
	timeout                                                       time.Duration
	fs                                                            *pflag.FlagSet
}

func (f *apiFlags) AddFlags(fs *pflag.FlagSet) {
	f.fs = fs
	fs.StringVar(&f.baseURL, "base-url", "", "EnKash API host (env "+enkash.EnvBaseURL+")")
	fs.StringVar(&f.tokenURL, "token-url", "", "host of /oauth/token when it differs (env "+enkash.EnvTokenURL+"; default: the base URL)")
	fs.StringVar(&f.clientID, "client-id", "", "client id (env "+enkash.EnvClientID+")")
	fs.StringVar(&f.clientSecret, "client-secret", "", "client secret (env "+enkash.EnvClientSecret+"; prefer the environment or --client-secret-file: arguments are visible to other users)")
	fs.StringVar(&f.clientSecretFile, "client-secret-file", "", "read the client secret from this file (mode 0600; one line)")
	fs.StringVar(&f.username, "username", "", "EnKash login (env "+enkash.EnvUsername+")")
	fs.StringVar(&f.password, "password", "", "EnKash password (env "+enkash.EnvPassword+"; prefer the environment or --password-file)")
	fs.StringVar(&f.passwordFile, "password-file", "", "read the EnKash password from this file (mode 0600; one line)")
	fs.StringVar(&f.partnerID, "partner-id", "", "partnerId header (env "+enkash.EnvPartnerID+")")
	fs.StringVar(&f.companyID, "company-id", "", "companyId (env "+enkash.EnvCompanyID+")")
	fs.StringVar(&f.cardAccountID, "card-account-id", "", "reward account cardAccountId (env "+enkash.EnvCardAccountID+")")
	fs.BoolVar(&f.encrypt, "encrypt", true, "wrap requests in the AES envelope (env "+enkash.EnvEncrypt+")")
	fs.StringVar(&f.refField, "reference-field", "", "JSON name of the reference: uniqueReferenceNumber, uniqueReferenceNum or both (env "+enkash.EnvRefField+")")
	fs.DurationVar(&f.timeout, "timeout", enkash.DefaultTimeout, "timeout of one HTTP request")
	_ = config.MarkSecret(fs, "client-secret", "password") // both exist: no error
}

// config reads the environment, then applies the flags that were set. A
// secret given as a flag is used, with a warning on stderr: other users of
// the machine can read it in the process list.
func (f *apiFlags) config(g *globals) (enkash.Config, error) {
	cfg, err := enkash.ConfigFromEnv(g.lookupEnv)
	if err != nil {
		return cfg, err
	}
	if err := f.secrets(g, &cfg); err != nil {
		return cfg, err
	}
	set := func(name string, dst *string, v string) {
		if f.fs.Changed(name) {
			*dst = v
		}
	}
	set("base-url", &cfg.BaseURL, f.baseURL)
	set("token-url", &cfg.TokenURL, f.tokenURL)
	set("client-id", &cfg.ClientID, f.clientID)
	set("username", &cfg.Username, f.username)
	set("partner-id", &cfg.PartnerID, f.partnerID)
	set("company-id", &cfg.CompanyID, f.companyID)
	set("card-account-id", &cfg.CardAccountID, f.cardAccountID)
	if f.fs.Changed("encrypt") {
		cfg.Encrypt = f.encrypt
	}
	if f.fs.Changed("reference-field") {
		if cfg.ReferenceField, err = enkash.ParseReferenceField(f.refField); err != nil {
			return cfg, err
		}
	}
	cfg.Timeout = f.timeout
	return cfg, nil
}

// secrets applies --client-secret(-file) and --password(-file).
func (f *apiFlags) secrets(g *globals, cfg *enkash.Config) error {
	for _, s := range []struct {
		flag, env, value, file string
		dst                    *enkash.Secret
	}{
		{"client-secret", enkash.EnvClientSecret, f.clientSecret, f.clientSecretFile, &cfg.ClientSecret},
		{"password", enkash.EnvPassword, f.password, f.passwordFile, &cfg.Password},
	} {
		given, onCommandLine := g.given(f.fs, s.flag, s.env)
		if given && s.file != "" {
			return fmt.Errorf("--%s and --%s-file both give the secret: keep one", s.flag, s.flag)
		}
		if onCommandLine {
			fmt.Fprintf(g.stderr, "rewardbatch: warning: --%s is visible to every user of this machine in the process list; "+
				"set %s in the environment or use --%s-file instead\n", s.flag, s.env, s.flag)
		}
		if given {
			*s.dst = enkash.Secret(s.value)
		}
		if s.file != "" && !g.fileLoses(s.flag+"-file", s.env) {
			v, err := readSecretFile(g, "--"+s.flag+"-file", s.file)
			if err != nil {
				return err
			}
			*s.dst = v
		}
	}
	return nil
}

// readSecretFile reads a secret from the first line of a file. Errors name
// the file, never its content.
func readSecretFile(g *globals, flag, path string) (enkash.Secret, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() > 64<<10 {
		return "", fmt.Errorf("%s %s: give a small regular file holding the secret on one line", flag, path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(g.stderr, "rewardbatch: warning: %s %s can be read by other users (mode %04o): chmod 600 it\n", flag, path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return "", fmt.Errorf("%s %s: the file is empty; write the secret on its first line", flag, path)
	}
	return enkash.Secret(line), nil
}

// checkFlags are the validation settings shared by validate and run.
type checkFlags struct {
	batchID     string
	maxAmount   string
	expectRows  int
	expectTotal string
	reports     string
	out         string
	maxFileSize string
	allowEmpty  bool
	// allowRepeats and strict: see validate.Options.
	allowRepeats bool
	strict       bool
	reportMode   string
	noBOM        bool
	expectPlan   string
	columns      columnFlags
}

// columnFlags are --map and --mapping: which of the file's columns holds
// which of the tool's.
type columnFlags struct {
	maps    []string
	mapping string
	sheet   string
}

// AddFlags registers the flags.
func (f *columnFlags) AddFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.maps, "map", nil, "read a column of the file as one of the tool's, for example --map \"Employee Name=firstName\" (repeatable; before the built-in names)")
	fs.StringVar(&f.sheet, "sheet", "", "the sheet of an .xlsx workbook to read (default: the first)")
	fs.StringVar(&f.mapping, "mapping", "", "a file of column mappings, one \"Header in the file=column\" per line (# starts a comment); --map adds to it")
}

// columns returns the mapping of the flags; nil when none is given.
func (f *columnFlags) columns() (map[string]string, error) {
	m := map[string]string{}
	if f.mapping != "" {
		fm, err := allocfile.ReadMapping(f.mapping)
		if err != nil {
			return nil, err
		}
		maps.Copy(m, fm)
	}
	fm, err := allocfile.ParseMap(f.maps)
	if err != nil {
		return nil, fmt.Errorf("--map: %w", err)
	}
	maps.Copy(m, fm)
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

func (f *checkFlags) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.batchID, "batch-id", "", "derive a stable reference for rows without one from this batch id (for example 2026-11)")
	fs.StringVar(&f.maxAmount, "max-amount", validate.DefaultMaxAmount.String(), "refuse a row above this many points, as a probable typing mistake")
	fs.IntVar(&f.expectRows, "expect-rows", -1, "control total: refuse the file unless it has exactly this many data rows")
	fs.StringVar(&f.expectTotal, "expect-total", "", "control total: refuse the file unless its loadAmount column sums to exactly this")
	fs.StringVar(&f.reports, "reports-dir", defaultReportsDir(runtime.GOOS, os.LookupEnv), "folder in which each run gets its own folder")
	fs.BoolVar(&f.allowRepeats, "allow-repeats", false, "let a row that repeats an earlier one (same operation, person and amount) through as a second payment, with a warning; "+
		"without it such a row is refused unless its \"repeat\" column says why")
	fs.BoolVar(&f.strict, "strict", false, "refuse every row with a warning, as if it were an error")
	fs.StringVar(&f.out, "out", "", "the run folder to write: a new or empty folder, or this file's own earlier run folder (default: a new <reports-dir>/<UTC time>-<file name>)")
	fs.StringVar(&f.maxFileSize, "max-file-size", "1GB", "refuse an input larger than this (bytes, or with KB, MB or GB)")
	fs.BoolVar(&f.noBOM, "no-bom", false, noBOMUsage)
	f.columns.AddFlags(fs)
	fs.StringVar(&f.expectPlan, "expect-plan", "", "the approved plan hash (as validate prints it, at least 12 hex digits): refuse the file, sending nothing, unless its plan is that one")
	fs.BoolVar(&f.allowEmpty, "allow-empty", false, "accept a file with a header and no rows (default: exit 2, \"the file has no rows\")")
	fs.StringVar(&f.reportMode, "report-mode", "0600", "permissions of the run folder's files (octal), optionally /folders': "+
		"0600 (owner only, the default; folders 0700), or 0640 (folders 0750) so that the group of the reports folder can read them")
}

// mode is --report-mode.
func (f *checkFlags) mode() (reportMode, error) { return parseReportMode(f.reportMode) }

// defaultReportsDir is "reports" in the working folder, except on Windows,
// where a scheduled task starts in C:\Windows\System32: there it is
// %LocalAppData%\rewardbatch\reports (see config.DefaultPaths).
func defaultReportsDir(goos string, lookupEnv func(string) (string, bool)) string {
	if goos != "windows" {
		return job.DefaultReportsDir
	}
	p, err := config.DefaultPaths(goos, lookupEnv)
	if err != nil {
		return job.DefaultReportsDir
	}
	return p.Reports
}

// noBOMUsage is the help of --no-bom.
const noBOMUsage = "write the report files without the UTF-8 byte-order mark that Excel needs (for programs that do not expect one)"

func errMaxAmount(v string) error {
	return fmt.Errorf("--max-amount %q: give a positive number of points, for example 100000", v)
}

// jobOptions are the job's settings from these flags; file "-" reads
// stdin.
func (f *checkFlags) jobOptions(g *globals, file string, cfg enkash.Config) (job.ValidateOptions, error) {
	if _, err := f.mode(); err != nil {
		return job.ValidateOptions{}, err
	}
	vopts, total, err := f.options(cfg)
	if err != nil {
		return job.ValidateOptions{}, err
	}
	size, err := parseSize(f.maxFileSize)
	if err != nil {
		return job.ValidateOptions{}, fmt.Errorf("--max-file-size %q: %w", f.maxFileSize, err)
	}
	var plan string
	if f.expectPlan != "" {
		if plan, err = validate.ParsePlanHash(f.expectPlan); err != nil {
			return job.ValidateOptions{}, err
		}
	}
	return job.ValidateOptions{File: file, Out: f.out, ReportsDir: f.reports, Validate: vopts, ExpectRows: f.expectRows,
		ExpectTotal: total, ExpectPlan: plan, Stdin: g.stdin, MaxFileSize: size, AllowEmpty: f.allowEmpty, Style: report.Style{NoBOM: f.noBOM}, Stdout: g.stdout, Log: g.log}, nil
}

// parseSize reads a size such as 1GB, 500MB, 64KB or 1048576 (bytes); the
// units are powers of 1024.
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, errors.New("give a positive size such as 1GB, 500MB or 1048576")
	}
	return n * mult, nil
}

// options builds the validator's options; cfg gives the default company,
// account and reference spelling, which enter the plan hash.
func (f *checkFlags) options(cfg enkash.Config) (validate.Options, *money.Amount, error) {
	opts := validate.Options{BatchID: f.batchID, CompanyID: cfg.CompanyID, CardAccountID: cfg.CardAccountID,
		Extra:        []string{"referenceField=" + string(cfg.ReferenceField)},
		AllowRepeats: f.allowRepeats, Strict: f.strict}
	ceiling, err := money.Parse(f.maxAmount)
	if err != nil || ceiling.IsZero() {
		return opts, nil, errMaxAmount(f.maxAmount)
	}
	opts.MaxAmount = ceiling
	if opts.Columns, err = f.columns.columns(); err != nil {
		return opts, nil, err
	}
	opts.Sheet = f.columns.sheet
	if f.expectTotal == "" {
		return opts, nil, nil
	}
	total, err := money.Parse(f.expectTotal)
	if err != nil {
		return opts, nil, fmt.Errorf("--expect-total: %w", err)
	}
	return opts, &total, nil
}

// addModeFlags registers --mode and --bulk-size on cfg.
func addModeFlags(fs *pflag.FlagSet, cfg *engine.Config) {
	fs.StringVar((*string)(&cfg.Mode), "mode", string(engine.ModeSingle),
		"single: one call per row; bulk: create-and-allocate rows go in bulk calls of --bulk-size rows (top-ups and debits stay single)")
	fs.IntVar(&cfg.BulkSize, "bulk-size", engine.DefaultBulkSize, fmt.Sprintf("rows per bulk call with --mode bulk (1 to %d)", engine.MaxBulkSize))
}

// checkMode refuses a --mode or --bulk-size no run could use.
func checkMode(cfg engine.Config) error {
	switch cfg.Mode {
	case engine.ModeSingle, engine.ModeBulk:
	default:
		return fmt.Errorf("--mode %q: want single or bulk", cfg.Mode)
	}
	if cfg.BulkSize < 1 || cfg.BulkSize > engine.MaxBulkSize {
		return fmt.Errorf("--bulk-size %d: want 1 to %d", cfg.BulkSize, engine.MaxBulkSize)
	}
	return nil
}
