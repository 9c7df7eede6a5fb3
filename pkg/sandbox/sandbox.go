// Package sandbox is a stateful, in-process emulator of the EnKash Rewards
// API. It speaks the same paths, headers, token flow, AES envelope and
// response envelopes as the real service, keeps a reward account, cards and
// transactions in memory, and can produce on demand every server behaviour
// the client must survive.
//
// It is written apart from the client: it does not import pkg/enkash and
// decodes and encodes the wire with its own structs and its own envelope
// code, so that it cannot share the client's misreading of the portal.
// (sandboxtest builds the client configuration for tests.)
//
// Where the portal is unclear, or where real gateways and back ends
// misbehave, the behaviour is a setting of [Options] or [Faults]:
//   - what a repeated reference does ([DuplicatePolicy]) and how a refusal
//     reads (Options.DuplicateAnswer, DuplicateMessage: code 1 or HTTP 409);
//   - which spelling of the reference it binds (Options.ReferenceField);
//   - a lookup that needs the card and what it answers without it
//     (LookupNeedsCard, NoCardAnswer: refused, empty, null, "No records");
//   - a lagging read replica (LookupLag), non-final statuses that end
//     SUCCESS or FAILED with the credit reversed (PendingFor, PendingStatus,
//     PendingFail), paged lookups (PageSize, PageStyle: records or Spring),
//     numbers printed as Java doubles or strings (NumberStyle);
//   - seeded faults: latency, 5xx before applying, 429 on any endpoint with
//     Retry-After in seconds or as a date, apply-then-fail answered by a
//     gateway page (502, 503, 504), dropped or hung, a slow first apply that
//     holds the reference's row so that a repeat waits on it, a token
//     endpoint that fails or hangs mid-run, and token expiry;
//   - a server-side request limit (ServerRate, ServerBurst: a token bucket
//     answering 429) and a latency that grows with load (LoadLatency);
//   - the bulk endpoint's undocumented answer shapes (BulkAnswer: both
//     lists, the success list only, counts only; NoBulkEchoRef), its size
//     limit (BulkMax), per-item failures (BulkFail), whole-call 422
//     refusals (BulkRefuse), a 400 for every call carrying one reference
//     (BulkBadRef) and a 400 after applying part of a call
//     (BulkPartial400); the allocation faults hit a bulk call as a whole.
//
// Faults are decided by a hash of the seed, the fault, the reference and the
// attempt, so the same seed fails the same rows whatever the order they
// arrive in. Time-based behaviours read Options.Now, so tests can move the
// clock instead of sleeping.
//
// Outside the API paths it serves GET /__sandbox/transactions, the ground
// truth (every credit ever applied, a double credit included, with its
// status now), and GET /__sandbox/stats. Nothing it does moves real points.
// A [Server] is safe for concurrent use.
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
	rows     rowLocks
	limit    serverLimit

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
	s.limit.bucket.Store(newBucket(opts.ServerRate, opts.ServerBurst))
	s.state = newBook(opts.Balance)
	s.state.seed(opts.Cards)
	s.fault.Store(&s.opts.Faults)
	s.lookupCard.Store(opts.LookupNeedsCard)
	s.auth = authState{tokens: map[string]issuedToken{}, failures: map[string]int{}, locked: map[string]bool{}}
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
