package sandbox

import (
	"fmt"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// DuplicatePolicy is what the sandbox does with a reference it has already
// applied. EnKash does not document it.
type DuplicatePolicy string

// The duplicate-reference policies.
const (
	DuplicateReject     DuplicatePolicy = "reject"      // refuse it, as DuplicateAnswer says (default)
	DuplicateReplay     DuplicatePolicy = "replay"      // answer with the original result, credit nothing
	DuplicateApplyAgain DuplicatePolicy = "apply-again" // credit again: the behaviour the product must survive
)

// The answers of a duplicate refusal ([Options.DuplicateAnswer]).
const (
	DuplicateCode1   = "code1"   // HTTP 200, code 1 (default)
	DuplicateHTTP409 = "http409" // HTTP 409
)

// ParseDuplicateAnswer checks a duplicate answer's name.
func ParseDuplicateAnswer(s string) (string, error) {
	if s != DuplicateCode1 && s != DuplicateHTTP409 {
		return "", fmt.Errorf("duplicate answer %q: want %s or %s", s, DuplicateCode1, DuplicateHTTP409)
	}
	return s, nil
}

// ParseDuplicatePolicy reads a policy by name.
func ParseDuplicatePolicy(s string) (DuplicatePolicy, error) {
	switch p := DuplicatePolicy(s); p {
	case DuplicateReject, DuplicateReplay, DuplicateApplyAgain:
		return p, nil
	}
	return "", fmt.Errorf("duplicate policy %q: want reject, replay or apply-again", s)
}

// Options configure a [Server]. The zero value is completed by defaults.
type Options struct {
	Credentials Credentials
	// TokenTTL is the life of an access token (default 5 minutes, as the
	// portal says).
	TokenTTL time.Duration
	// TokenStyle is "snake" (access_token, expires_in; default) or "camel"
	// (accessToken, expiresIn), the two token answers the portal shows.
	TokenStyle string
	// Balance is the reward account's funding balance (default 10,000,000).
	Balance money.Amount
	// Plain turns the AES envelope off: requests and answers are plain
	// JSON. By default the sandbox requires and sends envelopes.
	Plain bool
	// ReferenceField is the spelling of the reference the server binds; the
	// other spelling is ignored as an unknown property. RefBoth accepts either.
	ReferenceField ReferenceField
	// Duplicates is what a repeated reference does (default reject).
	Duplicates DuplicatePolicy
	// DuplicateAnswer is how DuplicateReject refuses: DuplicateCode1
	// (default: HTTP 200, code 1, "Duplicate reference number") or
	// DuplicateHTTP409 (HTTP 409, "Transaction ID already exists", as the
	// Payouts API does). DuplicateMessage, when set, replaces the text.
	DuplicateAnswer  string
	DuplicateMessage string
	// LookupNeedsCard makes transaction/all refuse a query without
	// enKashCardId, as the portal's schema suggests it might.
	LookupNeedsCard bool
	// NoCardAnswer is what such a lookup without the card gets:
	// NoCardRefuse (default), NoCardEmpty, NoCardNull or NoCardNoRecords.
	NoCardAnswer string
	// LookupLag hides a transaction from transaction/all, and a new card
	// from search, for this long after it was applied (a lagging read
	// replica). Measured with Now.
	LookupLag time.Duration
	// NumberStyle is how every balance and amount is printed: NumberPlain
	// (default), NumberDouble (Jackson's doubles, 2.5E7) or NumberString.
	NumberStyle string
	// PageSize, when positive, pages the answers of transaction/all and
	// search in the PageStyle shape (PageRecords by default, or PageSpring);
	// the server's page size wins over the one a request asks for. 0: one
	// unpaged answer {"recordsCount": n, "data": [...]}.
	PageSize  int
	PageStyle string
	// ListDrift makes the listing of every user (search without a filter)
	// change between its pages: after each page answered, the last user
	// in listing order moves to the front, as on a server that lists by
	// last change while its users keep changing. Offset paging then
	// repeats one user and skips another at every page.
	ListDrift bool
	// PendingFor makes every new transaction show PendingStatus (PENDING,
	// PROCESSING or CREATED; default PENDING) for this long after it was
	// applied, measured with Now. It then ends SUCCESS or, for the
	// PendingFail share (decided by the seed), FAILED with its points given
	// back. 0: every transaction is SUCCESS at once.
	PendingFor    time.Duration
	PendingStatus string
	PendingFail   float64
	// ServerRate is the server's own request limit over every API
	// endpoint, the token endpoint included, a bulk call counting as one
	// call whatever its size: a token bucket filled at ServerRate tokens a
	// second that holds ServerBurst tokens (default max(1, ServerRate/10)).
	// A call that finds it empty is answered 429 with Retry-After
	// (Faults.RetryAfter in Faults.RetryAfterStyle) before its body is read
	// or anything applied, and counted "throttled 429". Measured with Now;
	// 0 is no limit. [Server.SetServerRate] changes it.
	ServerRate  float64
	ServerBurst int
	// LoadLatency is a latency that grows with load: an API call (not a
	// token call) the limit admits is answered LoadLatency × A ÷ ServerRate
	// later, on top of Faults.Latency, A being the calls admitted in the
	// last second (counted in tenths of a second), this one included. That
	// is about LoadLatency more at the limit and LoadLatency ÷ ServerRate
	// when idle. Needs ServerRate.
	LoadLatency time.Duration
	// BulkAnswer is the shape of a bulk answer, which EnKash does not
	// document: BulkAnswerBoth (default), BulkAnswerSuccess or
	// BulkAnswerCounts. Every shape carries the three counts.
	BulkAnswer string
	// NoBulkEchoRef leaves uniqueReferenceNumber out of a bulk answer's
	// success items, so that a client must match them otherwise (e-mail,
	// mobile) or look them up.
	NoBulkEchoRef bool
	// BulkMax, when positive, refuses a bulk array of more items with HTTP
	// 400 and code 1, applying nothing.
	BulkMax int
	// Cards exist before the first request (see [DemoCards]).
	Cards []Card
	// Faults are the injected failures.
	Faults Faults
	// Now replaces time.Now, for tests.
	Now func() time.Time
}

// DefaultTokenTTL is the life of a token when Options.TokenTTL is not set:
// five minutes, as the portal says.
const DefaultTokenTTL = 5 * time.Minute

// DefaultBalance is the funding balance of a new sandbox account.
var DefaultBalance = money.FromHundredths(10_000_000_00)

func (o *Options) defaults() {
	if o.Credentials == (Credentials{}) {
		o.Credentials = DefaultCredentials
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = DefaultTokenTTL
	}
	if o.TokenStyle == "" {
		o.TokenStyle = "snake"
	}
	if o.Balance.IsZero() {
		o.Balance = DefaultBalance
	}
	if o.ReferenceField == "" {
		o.ReferenceField = RefNumber
	}
	if o.Duplicates == "" {
		o.Duplicates = DuplicateReject
	}
	if o.DuplicateAnswer == "" {
		o.DuplicateAnswer = DuplicateCode1
	}
	if o.DuplicateMessage == "" {
		o.DuplicateMessage = msgDuplicate
		if o.DuplicateAnswer == DuplicateHTTP409 {
			o.DuplicateMessage = msgDuplicate409
		}
	}
	if o.NoCardAnswer == "" {
		o.NoCardAnswer = NoCardRefuse
	}
	if o.NumberStyle == "" {
		o.NumberStyle = NumberPlain
	}
	if o.PageStyle == "" {
		o.PageStyle = PageRecords
	}
	if o.PendingStatus == "" {
		o.PendingStatus = StatusPending
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BulkAnswer == "" {
		o.BulkAnswer = BulkAnswerBoth
	}
	o.ServerBurst = burstOf(o.ServerRate, o.ServerBurst)
	o.Faults.defaults()
}

// Check reports the first setting of o (completed by defaults) that names
// no known behaviour, so that a typing mistake in a flag is an error rather
// than a silent default.
func (o Options) Check() error {
	o.defaults()
	checks := []struct {
		flag, value string
		parse       func(string) (string, error)
	}{
		{"--no-card-answer", o.NoCardAnswer, ParseNoCardAnswer},
		{"--duplicate-answer", o.DuplicateAnswer, ParseDuplicateAnswer},
		{"--pending-status", o.PendingStatus, ParsePendingStatus},
		{"--number-style", o.NumberStyle, ParseNumberStyle},
		{"--page-style", o.PageStyle, ParsePageStyle},
		{"--token-fail-mode", o.Faults.TokenFailMode, ParseTokenFailMode},
		{"--retry-after-style", o.Faults.RetryAfterStyle, ParseRetryAfterStyle},
		{"--bulk-answer", o.BulkAnswer, ParseBulkAnswer},
		{"--bulk-refuse", o.Faults.BulkRefuse, ParseBulkRefuse},
	}
	for _, c := range checks {
		if _, err := c.parse(c.value); err != nil {
			return fmt.Errorf("%s: %w", c.flag, err)
		}
	}
	if _, err := ParseThrottleEndpoints(o.Faults.ThrottleEndpoints); err != nil {
		return fmt.Errorf("--throttle-endpoints: %w", err)
	}
	shares := []struct {
		flag  string
		share float64
	}{
		{"--pending-fail", o.PendingFail}, {"--slow-apply", o.Faults.SlowApply}, {"--throttle", o.Faults.Throttle},
		{"--fail-before", o.Faults.FailBefore}, {"--apply-then-fail", o.Faults.ApplyThenFail},
		{"--bulk-fail", o.Faults.BulkFail},
	}
	for _, s := range shares {
		if s.share < 0 || s.share > 1 {
			return fmt.Errorf("%s %v: want a share from 0 to 1", s.flag, s.share)
		}
	}
	return o.checkLimits()
}

// checkLimits checks the server's request limit, its load latency and the
// bulk size limit.
func (o Options) checkLimits() error {
	switch {
	case o.ServerRate < 0:
		return fmt.Errorf("--server-rate %v: want 0 (no limit) or more", o.ServerRate)
	case o.ServerBurst < 0:
		return fmt.Errorf("--server-burst %d: want 0 (the default) or more", o.ServerBurst)
	case o.LoadLatency < 0:
		return fmt.Errorf("--load-latency %v: want 0 or more", o.LoadLatency)
	case o.LoadLatency > 0 && o.ServerRate == 0:
		return fmt.Errorf("--load-latency %v: needs --server-rate, the load it is relative to", o.LoadLatency)
	case o.BulkMax < 0:
		return fmt.Errorf("--bulk-max %d: want 0 (no limit) or more", o.BulkMax)
	}
	return nil
}
