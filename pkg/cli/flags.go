package cli

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// apiFlags override the ENKASH_* environment.
type apiFlags struct {
	baseURL, tokenURL, clientID, clientSecret, username, password string
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
	fs.StringVar(&f.clientSecret, "client-secret", "", "client secret (env "+enkash.EnvClientSecret+"; prefer the environment: arguments are visible to other users)")
	fs.StringVar(&f.username, "username", "", "EnKash login (env "+enkash.EnvUsername+")")
	fs.StringVar(&f.password, "password", "", "EnKash password (env "+enkash.EnvPassword+"; prefer the environment)")
	fs.StringVar(&f.partnerID, "partner-id", "", "partnerId header (env "+enkash.EnvPartnerID+")")
	fs.StringVar(&f.companyID, "company-id", "", "companyId (env "+enkash.EnvCompanyID+")")
	fs.StringVar(&f.cardAccountID, "card-account-id", "", "reward account cardAccountId (env "+enkash.EnvCardAccountID+")")
	fs.BoolVar(&f.encrypt, "encrypt", true, "wrap requests in the AES envelope (env "+enkash.EnvEncrypt+")")
	fs.StringVar(&f.refField, "reference-field", "", "JSON name of the reference: uniqueReferenceNumber, uniqueReferenceNum or both (env "+enkash.EnvRefField+")")
	fs.DurationVar(&f.timeout, "timeout", enkash.DefaultTimeout, "timeout of one HTTP request")
}

// config reads the environment, then applies the flags that were set.
func (f *apiFlags) config(lookup func(string) (string, bool)) (enkash.Config, error) {
	cfg, err := enkash.ConfigFromEnv(lookup)
	if err != nil {
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
	if f.fs.Changed("client-secret") {
		cfg.ClientSecret = enkash.Secret(f.clientSecret)
	}
	if f.fs.Changed("password") {
		cfg.Password = enkash.Secret(f.password)
	}
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

// checkFlags are the validation settings shared by validate and run.
type checkFlags struct {
	batchID     string
	maxAmount   string
	expectRows  int
	expectTotal string
	reports     string
	out         string
	// allowRepeats and strict: see validate.Options.
	allowRepeats bool
	strict       bool
}

func (f *checkFlags) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.batchID, "batch-id", "", "derive a stable reference for rows without one from this batch id (for example 2026-11)")
	fs.StringVar(&f.maxAmount, "max-amount", validate.DefaultMaxAmount.String(), "refuse a row above this many points, as a probable typing mistake")
	fs.IntVar(&f.expectRows, "expect-rows", -1, "control total: refuse the file unless it has exactly this many data rows")
	fs.StringVar(&f.expectTotal, "expect-total", "", "control total: refuse the file unless its loadAmount column sums to exactly this")
	fs.StringVar(&f.reports, "reports-dir", "reports", "folder in which each run gets its own folder")
	fs.StringVar(&f.out, "out", "", "the run folder to write (default: <reports-dir>/<UTC time>-<file name>)")
	fs.BoolVar(&f.allowRepeats, "allow-repeats", false, "let a row that repeats an earlier one (same operation, person and amount) through as a second payment, with a warning; "+
		"without it such a row is refused unless its \"repeat\" column says why")
	fs.BoolVar(&f.strict, "strict", false, "refuse every row with a warning, as if it were an error")
}

// options builds the validator's options; cfg gives the default company,
// account and reference spelling, which enter the plan hash.
func (f *checkFlags) options(cfg enkash.Config) (validate.Options, *money.Amount, error) {
	opts := validate.Options{BatchID: f.batchID, CompanyID: cfg.CompanyID, CardAccountID: cfg.CardAccountID,
		Extra:        []string{"referenceField=" + string(cfg.ReferenceField)},
		AllowRepeats: f.allowRepeats, Strict: f.strict}
	ceiling, err := money.Parse(f.maxAmount)
	if err != nil || ceiling.IsZero() {
		return opts, nil, fmt.Errorf("--max-amount %q: give a positive number of points, for example 100000", f.maxAmount)
	}
	opts.MaxAmount = ceiling
	if f.expectTotal == "" {
		return opts, nil, nil
	}
	total, err := money.Parse(f.expectTotal)
	if err != nil {
		return opts, nil, fmt.Errorf("--expect-total: %w", err)
	}
	return opts, &total, nil
}
