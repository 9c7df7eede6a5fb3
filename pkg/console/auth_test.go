package console

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
)

func (b *browser) tryLogin(name, password string) (*http.Response, string) {
	_, page := b.get("/login")
	return b.post("/login", url.Values{"csrf": {csrfOf(page)}, "name": {name}, "password": {password}})
}

// TestLogin covers the sign-in refusals: a wrong password, the lock after
// repeated failures, a form without its token, and the per-address limit.
func TestLogin(t *testing.T) {
	e := newEnv(t, nil, nil)
	b := e.anonymous()
	if res, body := b.tryLogin("uploader", "wrong password!"); res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong user name or password") {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	if res, _ := b.tryLogin("nobody", testPassword); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unknown user: %d", res.StatusCode)
	}
	for i := 1; i < store.MaxFailures-1; i++ {
		b.tryLogin("uploader", "wrong password!")
	}
	if res, body := b.tryLogin("uploader", "wrong password!"); res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "locked") {
		t.Fatalf("fifth wrong password: %d", res.StatusCode)
	}
	if res, _ := b.tryLogin("uploader", testPassword); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the right password on a locked account: %d", res.StatusCode)
	}
	// The token of the login form is required.
	res, _ := e.anonymous().post("/login", url.Values{"name": {"approver"}, "password": {testPassword}})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("login without its token: %d", res.StatusCode)
	}
	// Ten attempts a minute per address, whatever the account.
	limited := false
	for i := 0; i < loginBurst+1 && !limited; i++ {
		res, _ := e.anonymous().tryLogin("viewer", "wrong password!")
		limited = res.StatusCode == http.StatusTooManyRequests
	}
	if !limited {
		t.Fatal("no rate limit on sign-in attempts")
	}
	events, _ := e.st.Events(context.Background(), "", 50)
	if len(events) == 0 || events[0].Action != "login-locked" {
		t.Fatalf("the lock is not in the audit log: %+v", events)
	}
}

// TestSession checks the cookie's attributes, sign-out, and the idle
// timeout.
func TestSession(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	e := newEnv(t, func(c *Config) { c.SecureCookies, c.SessionIdle = true, 10*time.Minute }, nil)
	e.st.SetClock(func() time.Time { return now })
	b := e.anonymous()
	res, _ := b.tryLogin("viewer", testPassword)
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v", cookie)
	}
	get := func() int {
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie.Value})
		res, _ := b.do(req)
		return res.StatusCode
	}
	if got := get(); got != http.StatusOK {
		t.Fatalf("with the cookie: %d", got)
	}
	now = now.Add(9 * time.Minute)
	if got := get(); got != http.StatusOK {
		t.Fatalf("9 minutes later: %d", got)
	}
	now = now.Add(11 * time.Minute)
	if got := get(); got != http.StatusSeeOther {
		t.Fatalf("idle for 11 minutes: %d, want a redirect to the login page", got)
	}

	v := e.login("viewer")
	if res, _ := v.action("/logout", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if res, _ := v.get("/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout: %d", res.StatusCode)
	}
}

// TestProxyHeader honours the single sign-on header only from the trusted
// proxy, and only for a known user.
func TestProxyHeader(t *testing.T) {
	cases := []struct {
		name    string
		trusted string
		user    string
		status  int
	}{
		{"from the trusted proxy", "127.0.0.1/32", "approver", http.StatusOK},
		{"from another address", "10.9.8.7/32", "approver", http.StatusSeeOther},
		{"an unknown user", "127.0.0.1/32", "mallory", http.StatusSeeOther},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, func(cfg *Config) {
				cfg.TrustProxyHeader, cfg.TrustedProxies = "X-Forwarded-User", []netip.Prefix{netip.MustParsePrefix(c.trusted)}
			}, nil)
			b := e.anonymous()
			req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/", nil)
			req.Header.Set("X-Forwarded-User", c.user)
			res, body := b.do(req)
			if res.StatusCode != c.status {
				t.Fatalf("got %d, want %d", res.StatusCode, c.status)
			}
			if c.status == http.StatusOK && (!strings.Contains(body, "<strong>"+c.user+"</strong>") || csrfOf(body) == "") {
				t.Fatal("the page does not show the proxy's user with a form token")
			}
		})
	}
}

// TestHeadersAndSecrets checks the security headers of every page kind and
// that no page shows an EnKash secret.
func TestHeadersAndSecrets(t *testing.T) {
	e := newEnv(t, nil, nil)
	a := e.login("admin")
	b := e.pending(e.login("uploader"))
	secrets := []string{e.sb.Config.ClientSecret.Reveal(), e.sb.Config.Password.Reveal()}
	for _, path := range []string{"/", "/login", "/upload", "/batches/" + b.ID, "/history", "/audit", "/users", "/static/app.js"} {
		res, body := a.get(path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: missing frame or sniff headers", path)
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, " style=") || strings.Contains(body, "onclick") {
			t.Errorf("%s: inline script or style, which the CSP would block", path)
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(body, s) {
				t.Errorf("%s shows an EnKash secret", path)
			}
		}
	}
}

// TestUsersPage lets an admin add a user, refuses a short password, and
// escapes what it shows.
func TestUsersPage(t *testing.T) {
	e := newEnv(t, nil, nil)
	a := e.login("admin")
	if res, body := a.action("/users", url.Values{"name": {"asha"}, "role": {"uploader"}, "password": {"short"}}); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "at least 12") {
		t.Fatalf("short password: %d", res.StatusCode)
	}
	if res, body := a.action("/users", url.Values{"name": {"<b>x</b>"}, "role": {"uploader"}, "password": {testPassword}}); res.StatusCode != http.StatusBadRequest || strings.Contains(body, "<b>x</b>") {
		t.Fatalf("a name with markup: %d, or shown unescaped", res.StatusCode)
	}
	if res, _ := a.action("/users", url.Values{"name": {"asha"}, "role": {"approver"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", res.StatusCode)
	}
	e.login("asha")
	if _, page := a.get("/users"); !strings.Contains(page, "asha") {
		t.Fatal("the new user is not listed")
	}
}
