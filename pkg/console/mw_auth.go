package console

import (
	"context"
	"errors"
	"net/http"
	"net/netip"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
)

// sessionCookie holds the session token.
const sessionCookie = "rb_session"

type ctxKey int

const sessionKey ctxKey = iota

// sessionOf returns the signed-in session of a request that went through
// [Server.authenticated].
func sessionOf(r *http.Request) store.Session {
	ss, _ := r.Context().Value(sessionKey).(store.Session)
	return ss
}

// authenticated lets a request through with its session, from the session
// cookie or, from a trusted proxy, the single sign-on header. Others go to
// the login page.
func (s *Server) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss, err := s.sessionFromRequest(w, r)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				s.cfg.Log.Error("console: reading the session", zap.Error(err))
			}
			if r.Method == http.MethodGet && r.Header.Get("Accept") != "text/event-stream" {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			s.fail(w, r, http.StatusUnauthorized, "Your session has ended. Sign in again.")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey, ss)))
	})
}

func (s *Server) sessionFromRequest(w http.ResponseWriter, r *http.Request) (store.Session, error) {
	ctx := r.Context()
	var ss store.Session
	err := store.ErrNotFound
	if c, cerr := r.Cookie(sessionCookie); cerr == nil {
		ss, err = s.store.Session(ctx, c.Value, s.cfg.SessionIdle)
	}
	name, fromProxy := s.proxyUser(r)
	if !fromProxy {
		return ss, err
	}
	if err == nil && ss.User.Name == name {
		return ss, nil
	}
	// The proxy vouches for name: open a session, so that forms carry a
	// CSRF token like everyone else's.
	if _, err := s.store.User(ctx, name); err != nil {
		s.cfg.Log.Warn("console: the proxy named an unknown user", zap.String("user", name))
		return store.Session{}, err
	}
	token, err := s.store.CreateSession(ctx, name)
	if err != nil {
		return store.Session{}, err
	}
	s.setSessionCookie(w, token)
	return s.store.Session(ctx, token, s.cfg.SessionIdle)
}

// proxyUser returns the user a trusted proxy's header names. The header is
// ignored from any other address.
func (s *Server) proxyUser(r *http.Request) (string, bool) {
	if s.cfg.TrustProxyHeader == "" {
		return "", false
	}
	name := r.Header.Get(s.cfg.TrustProxyHeader)
	if name == "" {
		return "", false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return "", false
	}
	addr := ap.Addr().Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(addr) {
			return name, true
		}
	}
	return "", false
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: int(s.cfg.SessionIdle.Seconds()) * 16})
}

// requireRole refuses users whose role does not include role.
func (s *Server) requireRole(role store.Role, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := sessionOf(r).User; !u.Role.Can(role) {
			s.cfg.Log.Warn("console: refused for role", zap.String("user", u.Name), zap.String("role", string(u.Role)),
				zap.String("needs", string(role)), zap.String("path", r.URL.Path))
			s.fail(w, r, http.StatusForbidden, "Your role ("+string(u.Role)+") cannot do this; it needs the "+string(role)+" role.")
			return
		}
		next(w, r)
	})
}
