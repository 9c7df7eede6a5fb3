package sandbox

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"slices"
	"time"
)

// FailMode is how an apply-then-fail fault loses the answer after the
// credit is applied.
type FailMode string

// The apply-then-fail modes.
const (
	Fail502  FailMode = "502"  // answer 502 Bad Gateway (an HTML page, as nginx does)
	Fail503  FailMode = "503"  // answer 503 with Envoy's "upstream connect error ..." body
	Fail504  FailMode = "504"  // answer 504 with Envoy's "upstream request timeout" body
	FailDrop FailMode = "drop" // close the connection without an answer
	FailHang FailMode = "hang" // answer nothing until the client gives up
)

// ParseFailMode reads a mode by name.
func ParseFailMode(s string) (FailMode, error) {
	switch m := FailMode(s); m {
	case Fail502, Fail503, Fail504, FailDrop, FailHang:
		return m, nil
	}
	return "", fmt.Errorf("fail mode %q: want 502, 503, 504, drop or hang", s)
}

// The bodies a gateway in front of the back end answers with.
const (
	bodyNginx502     = "<html><body><h1>502 Bad Gateway</h1></body></html>"
	bodyNginx400     = "<html><head><title>400 Bad Request</title></head><body><center><h1>400 Bad Request</h1></center><hr><center>nginx</center></body></html>"
	bodyEnvoyReset   = "upstream connect error or disconnect/reset before headers. reset reason: connection termination"
	bodyEnvoyTimeout = "upstream request timeout"
)

// gatewayAnswer writes a gateway's own error page: not JSON, not sealed,
// and nothing in it says whether the back end applied the request.
func gatewayAnswer(w http.ResponseWriter, status int) {
	body, ctype := bodyEnvoyReset, "text/plain"
	switch status {
	case http.StatusBadGateway:
		body, ctype = bodyNginx502, "text/html"
	case http.StatusBadRequest:
		body, ctype = bodyNginx400, "text/html"
	case http.StatusGatewayTimeout:
		body = bodyEnvoyTimeout
	}
	if ctype == "text/plain" {
		w.Header().Set("Server", "envoy")
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// Faults are the failures the sandbox injects into allocation calls
// (create-allocate-points and bulk). Each rate is a probability from 0 to 1,
// decided by a hash of Seed, the fault, the reference and how many times
// that reference has been sent: the same seed gives the same faults to the
// same rows in every run, whatever the order the rows arrive in.
type Faults struct {
	Seed uint64
	// Latency is added to every API call, plus a uniform random share of
	// Jitter.
	Latency, Jitter time.Duration
	// FailBefore answers FailBeforeStatus (default 503) without applying.
	FailBefore       float64
	FailBeforeStatus int
	// Throttle answers 429 with Retry-After: RetryAfter (default 1s), in
	// seconds or, with RetryAfterStyle "date", as an HTTP date. It hits the
	// ThrottleEndpoints (default allocate and bulk; also token, account,
	// lookup and search).
	Throttle          float64
	RetryAfter        time.Duration
	RetryAfterStyle   string
	ThrottleEndpoints []string
	// ApplyThenFail applies the credit, then loses the answer as FailMode says.
	ApplyThenFail float64
	FailMode      FailMode
	// HangFor bounds a FailHang answer (default 2 minutes); the client
	// normally gives up first.
	HangFor time.Duration
	// ExpireTokensEvery makes a token run out once N API calls have reached
	// the server since it was issued, emulating token expiry in the middle
	// of a run (0: never).
	ExpireTokensEvery int64
	// SlowApply is the share of first allocation requests (a bulk call's
	// for all its references) that hold their reference's row for SlowFor
	// before applying and answering; a repeat of the reference waits on
	// that row, then meets the duplicate policy. Off unless SlowFor is
	// positive.
	SlowApply float64
	SlowFor   time.Duration
	// TokenFailMode makes the token endpoint fail (TokenFail500,
	// TokenFail503 or TokenFailHang; "" is off, and 503 is assumed when
	// TokenFailAfter or TokenFailCount is set) after TokenFailAfter
	// successful token calls, for TokenFailCount calls (0: every later one).
	TokenFailAfter int
	TokenFailCount int
	TokenFailMode  string
	// BulkFail is the share of bulk items that fail, unapplied, with one
	// of the documented reasons ([BulkReasons]), decided per item by its
	// reference and how many times that reference was sent in a bulk call.
	BulkFail float64
	// BulkRefuse, when set, refuses every bulk call with HTTP 422 and this
	// message, one of [BulkReasons] (or its short name, see
	// [ParseBulkRefuse]); nothing is applied.
	BulkRefuse string
	// BulkBadRef, when set, refuses with HTTP 400 every bulk call that
	// carries this reference, as a server whose validation fails one item
	// answers for the whole call; nothing is applied.
	BulkBadRef string
	// BulkPartial400, when set, makes every bulk call that carries this
	// reference apply the items before it, then answer HTTP 400 for the
	// whole call with the success and failure lists and the counters of
	// what it did (shaped as Options.BulkAnswer says): a server that stops
	// at the first item failing validation without undoing the others.
	// The reference and the items after it are neither applied nor named.
	// With BulkPartial400HTML the 400 is a gateway's HTML page instead,
	// which names nothing.
	BulkPartial400     string
	BulkPartial400HTML bool
	// FirstAttemptOnly limits the rate faults to a reference's first send,
	// so that a retry always reaches the service.
	FirstAttemptOnly bool
}

func (f *Faults) defaults() {
	if f.FailBeforeStatus == 0 {
		f.FailBeforeStatus = 503
	}
	if f.RetryAfter <= 0 {
		f.RetryAfter = time.Second
	}
	if f.RetryAfterStyle == "" {
		f.RetryAfterStyle = RetryAfterSeconds
	}
	if len(f.ThrottleEndpoints) == 0 {
		f.ThrottleEndpoints = slices.Clone(DefaultThrottleEndpoints)
	}
	if f.FailMode == "" {
		f.FailMode = Fail502
	}
	if f.TokenFailMode == "" && (f.TokenFailAfter > 0 || f.TokenFailCount > 0) {
		f.TokenFailMode = TokenFail503
	}
	if f.HangFor <= 0 {
		f.HangFor = 2 * time.Minute
	}
	if msg, err := ParseBulkRefuse(f.BulkRefuse); err == nil {
		f.BulkRefuse = msg // a short name becomes its message; Check reports the rest
	}
}

// fault kinds, as counted in Stats.Faults.
const (
	faultThrottle      = "throttle"
	faultFailBefore    = "fail-before"
	faultApplyThenFail = "apply-then-fail"
	faultTokenExpiry   = "token-expiry"
)

// hit decides a fault for the attempt-th send of key.
func (f *Faults) hit(kind string, rate float64, key string, attempt int) bool {
	if rate <= 0 || (f.FirstAttemptOnly && attempt > 1) {
		return false
	}
	if rate >= 1 {
		return true
	}
	return float64(f.hash(kind, key, attempt)>>11)/float64(1<<53) < rate
}

// hash is the seeded hash of a fault's decision for the attempt-th send of
// key.
func (f *Faults) hash(kind, key string, attempt int) uint64 {
	h := fnv.New64a()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], f.Seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(attempt))
	_, _ = h.Write(b[:])
	_, _ = h.Write([]byte(kind))
	_, _ = h.Write([]byte(key))
	return mix(h.Sum64())
}

// mix is splitmix64's finaliser: FNV alone leaves the high bits nearly
// unchanged by the last bytes of the key, which is where references differ.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// latency returns the latency of one call: the fixed part plus a uniform
// random share of the jitter.
func (s *Server) latency() time.Duration {
	f := s.faults()
	d := f.Latency
	if j := f.Jitter; j > 0 {
		s.mu.Lock()
		d += time.Duration(s.rng.Int64N(int64(j)))
		s.mu.Unlock()
	}
	return d
}

// faults returns the faults in force.
func (s *Server) faults() *Faults { return s.fault.Load() }

// SetFaults replaces the faults in force, for tests that change the
// weather between two runs.
func (s *Server) SetFaults(f Faults) {
	f.defaults()
	s.fault.Store(&f)
}

// SetLookupNeedsCard changes whether transaction/all refuses a lookup
// without enKashCardId, for tests that settle lookups later.
func (s *Server) SetLookupNeedsCard(b bool) { s.lookupCard.Store(b) }
