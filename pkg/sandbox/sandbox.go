// Package sandbox is a stateful, in-process emulator of the EnKash Rewards
// API. It speaks the same paths, headers, token flow, AES envelope and
// response envelopes as the real service, keeps a reward account, cards and
// transactions in memory, and injects seeded faults (latency, 5xx, 429,
// apply-then-fail, token expiry) so that every failure the product must
// survive can be produced on demand.
//
// Where the portal is unclear the sandbox makes the behaviour a setting:
// what a repeated reference does ([DuplicatePolicy]), which spelling of the
// reference field it binds, and whether a lookup needs the card id.
//
// Outside the API paths it serves GET /__sandbox/transactions and
// GET /__sandbox/stats for tests and people. Nothing it does moves real
// points. A [Server] is safe for concurrent use.
package sandbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// Credentials are the fixed sandbox credentials and ids. They are public by
// design: the sandbox guards nothing.
type Credentials struct {
	ClientID      string
	ClientSecret  Secret
	Username      string
	Password      Secret
	PartnerID     string
	CompanyID     string
	CardAccountID string
}

// DefaultCredentials are the credentials documented in the README and
// printed by `rewardbatch sandbox`.
var DefaultCredentials = Credentials{
	ClientID:      "CEKSANDBOX1",
	ClientSecret:  "sandbox-client-secret",
	Username:      "9000000001",
	Password:      "sandbox-password",
	PartnerID:     "CRMSANDBOX",
	CompanyID:     "CEKSANDBOX1",
	CardAccountID: "CASANDBOX1",
}

// DuplicatePolicy is what the sandbox does with a reference it has already
// applied. EnKash does not document it.
type DuplicatePolicy string

// The duplicate-reference policies.
const (
	DuplicateReject     DuplicatePolicy = "reject"      // refuse it, as DuplicateAnswer says (default)
	DuplicateReplay     DuplicatePolicy = "replay"      // answer with the original result, credit nothing
	DuplicateApplyAgain DuplicatePolicy = "apply-again" // credit again: the behaviour the product must survive
)

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
	// LookupNeedsCard makes transaction/all refuse a query without
	// enKashCardId, as the portal's schema suggests it might.
	LookupNeedsCard bool
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
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Faults.defaults()
}

// Server is the emulator. Create it with [New].
type Server struct {
	opts Options
	key  envelopeKey
	mux  *http.ServeMux

	mu       sync.Mutex
	state    book
	auth     authState
	rng      *rand.Rand
	log      []Request
	attempts map[string]int

	fault       atomic.Pointer[Faults]
	lookupCard  atomic.Bool
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
	apiCalls    atomic.Int64
	counters    counters
}

// New returns a sandbox with opts completed by defaults.
func New(opts Options) *Server {
	opts.defaults()
	s := &Server{
		opts: opts,
		key:  deriveKey(opts.Credentials.ClientSecret),
		rng:  rand.New(rand.NewPCG(opts.Faults.Seed, 0x5eed)),
	}
	s.state = newBook(opts.Balance)
	s.state.seed(opts.Cards)
	s.fault.Store(&s.opts.Faults)
	s.lookupCard.Store(opts.LookupNeedsCard)
	s.auth = authState{tokens: map[string]time.Time{}, failures: map[string]int{}, locked: map[string]bool{}}
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// Options returns the completed options.
func (s *Server) Options() Options { return s.opts }

// Handler returns the sandbox's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Running is a sandbox listening on a loopback address.
type Running struct {
	*Server
	URL string
	srv *http.Server
	ln  net.Listener
}

// Start serves s on addr (for example "127.0.0.1:0" for any free port)
// until Close.
func (s *Server) Start(addr string) (*Running, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox: listening on %s: %w", addr, err)
	}
	r := &Running{Server: s, URL: "http://" + ln.Addr().String(), ln: ln,
		srv: &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = r.srv.Serve(ln) }() // returns ErrServerClosed after Close
	return r, nil
}

// Close stops the server, waiting up to ctx for requests in flight.
func (r *Running) Close(ctx context.Context) error {
	if err := r.srv.Shutdown(ctx); err != nil {
		return r.srv.Close()
	}
	return nil
}
