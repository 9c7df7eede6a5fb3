package enkash

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ReferenceField says under which JSON name the row reference is sent. The
// portal's schema tables say uniqueReferenceNumber, its examples say
// uniqueReferenceNum; which one the server binds is unconfirmed.
type ReferenceField string

// The accepted spellings of the reference field.
const (
	RefNumber ReferenceField = "uniqueReferenceNumber" // the schema tables' spelling (default)
	RefNum    ReferenceField = "uniqueReferenceNum"    // the examples' spelling
	RefBoth   ReferenceField = "both"                  // send both keys with the same value
)

// ParseReferenceField reads a [ReferenceField] from its name.
func ParseReferenceField(s string) (ReferenceField, error) {
	switch f := ReferenceField(s); f {
	case RefNumber, RefNum, RefBoth:
		return f, nil
	}
	return "", fmt.Errorf("reference field %q: want %s, %s or %s", s, RefNumber, RefNum, RefBoth)
}

// Config holds what a [Client] needs. Build it with [ConfigFromEnv], let
// flags override fields, then call [Config.Validate].
type Config struct {
	BaseURL       string // API host, for example https://pay-uat.enkash.in
	TokenURL      string // host serving /oauth/token; defaults to BaseURL
	ClientID      string
	ClientSecret  Secret
	Username      string
	Password      Secret
	PartnerID     string
	CompanyID     string
	CardAccountID string
	// Encrypt wraps request bodies in the AES envelope. Responses are
	// decrypted whenever they arrive as an envelope, whatever this says.
	Encrypt        bool
	ReferenceField ReferenceField
	// Timeout bounds each HTTP request, from dial to the last body byte.
	Timeout time.Duration
	// MaxConnsPerHost sizes the connection pool; set it to at least the
	// number of workers.
	MaxConnsPerHost int
}

// The environment variables [ConfigFromEnv] reads.
const (
	EnvBaseURL       = "ENKASH_BASE_URL"
	EnvTokenURL      = "ENKASH_TOKEN_URL"
	EnvClientID      = "ENKASH_CLIENT_ID"
	EnvClientSecret  = "ENKASH_CLIENT_SECRET"
	EnvUsername      = "ENKASH_USERNAME"
	EnvPassword      = "ENKASH_PASSWORD"
	EnvPartnerID     = "ENKASH_PARTNER_ID"
	EnvCompanyID     = "ENKASH_COMPANY_ID"
	EnvCardAccountID = "ENKASH_CARD_ACCOUNT_ID"
	EnvEncrypt       = "ENKASH_ENCRYPT"
	EnvRefField      = "ENKASH_REFERENCE_FIELD"
)

// Defaults for the optional settings.
const (
	DefaultTimeout         = 30 * time.Second
	DefaultMaxConnsPerHost = 16
)

// ConfigFromEnv reads the ENKASH_* variables through lookup (os.LookupEnv in
// production, a map in tests). Missing values stay empty; Validate names them.
func ConfigFromEnv(lookup func(string) (string, bool)) (Config, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	cfg := Config{
		BaseURL:         get(EnvBaseURL),
		TokenURL:        get(EnvTokenURL),
		ClientID:        get(EnvClientID),
		ClientSecret:    Secret(get(EnvClientSecret)),
		Username:        get(EnvUsername),
		Password:        Secret(get(EnvPassword)),
		PartnerID:       get(EnvPartnerID),
		CompanyID:       get(EnvCompanyID),
		CardAccountID:   get(EnvCardAccountID),
		Encrypt:         true,
		ReferenceField:  RefNumber,
		Timeout:         DefaultTimeout,
		MaxConnsPerHost: DefaultMaxConnsPerHost,
	}
	if v := get(EnvEncrypt); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return cfg, fmt.Errorf("%s=%q: want true or false", EnvEncrypt, v)
		}
		cfg.Encrypt = b
	}
	if v := get(EnvRefField); v != "" {
		f, err := ParseReferenceField(v)
		if err != nil {
			return cfg, fmt.Errorf("%s: %w", EnvRefField, err)
		}
		cfg.ReferenceField = f
	}
	return cfg, nil
}

// ErrConfig is wrapped by every configuration problem.
var ErrConfig = errors.New("configuration")

// Validate checks that every required setting is present and well formed.
// Its error names each missing environment variable.
func (c Config) Validate() error {
	var missing []string
	for _, f := range []struct {
		env, val string
	}{
		{EnvBaseURL, c.BaseURL}, {EnvClientID, c.ClientID}, {EnvClientSecret, c.ClientSecret.Reveal()},
		{EnvUsername, c.Username}, {EnvPassword, c.Password.Reveal()}, {EnvPartnerID, c.PartnerID},
		{EnvCompanyID, c.CompanyID}, {EnvCardAccountID, c.CardAccountID},
	} {
		if f.val == "" {
			missing = append(missing, f.env)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing setting %s: set the environment variable (see README, Configuration), or pass the matching flag",
			ErrConfig, strings.Join(missing, ", "))
	}
	for _, u := range []struct{ env, val string }{{EnvBaseURL, c.BaseURL}, {EnvTokenURL, c.TokenURL}} {
		if u.val == "" {
			continue
		}
		p, err := url.Parse(u.val)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return fmt.Errorf("%w: %s=%q is not an http(s) URL such as https://pay-uat.enkash.in", ErrConfig, u.env, u.val)
		}
	}
	if _, err := ParseReferenceField(string(c.ReferenceField)); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("%w: the request timeout must be positive", ErrConfig)
	}
	return nil
}

func (c Config) tokenURL() string {
	base := c.TokenURL
	if base == "" {
		base = c.BaseURL
	}
	return strings.TrimRight(base, "/") + PathToken
}
