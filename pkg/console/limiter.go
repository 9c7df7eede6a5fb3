package console

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// loginLimiter allows each client address a few sign-in attempts a
// minute, on top of the per-account lock-out.
type loginLimiter struct {
	mu   sync.Mutex
	byIP map[string]*rate.Limiter
}

const (
	loginsPerMinute = 10
	loginBurst      = 10
	maxTrackedIPs   = 10000
)

func newLoginLimiter() *loginLimiter { return &loginLimiter{byIP: map[string]*rate.Limiter{}} }

func (l *loginLimiter) allow(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.byIP) > maxTrackedIPs { // forget everyone rather than grow without bound
		l.byIP = map[string]*rate.Limiter{}
	}
	lim := l.byIP[ip]
	if lim == nil {
		lim = rate.NewLimiter(rate.Every(time.Minute/loginsPerMinute), loginBurst)
		l.byIP[ip] = lim
	}
	return lim.Allow()
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
