package console

import (
	"errors"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
)

// loginCookie carries the login form's CSRF token (double submit: there
// is no session yet).
const loginCookie = "rb_login"

type loginData struct {
	Token string
	Name  string
	Error string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.showLogin(w, r, http.StatusOK, "", "")
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, name, msg string) {
	token := store.NewToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: "/login", HttpOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	s.renderStatus(w, r, status, "login", "Sign in", loginData{Token: token, Name: name, Error: msg})
}

func (s *Server) loginAction(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || !store.SameToken(c.Value, r.PostForm.Get(csrfField)) {
		s.showLogin(w, r, http.StatusForbidden, "", "This sign-in form expired. Please try again.")
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	if !s.limit.allow(clientIP(r)) {
		s.cfg.Log.Warn("console: sign-in rate limited", zap.String("ip", clientIP(r)))
		s.showLogin(w, r, http.StatusTooManyRequests, name, "Too many sign-in attempts from this address. Wait a minute and try again.")
		return
	}
	u, err := s.store.Authenticate(r.Context(), name, r.PostForm.Get("password"))
	switch {
	case errors.Is(err, store.ErrLocked):
		s.audit(r, name, "login-locked", store.Batch{}, "")
		s.showLogin(w, r, http.StatusTooManyRequests, name, "This account is locked after too many wrong passwords. Try again in 15 minutes, or ask an admin.")
		return
	case errors.Is(err, store.ErrBadLogin):
		s.showLogin(w, r, http.StatusUnauthorized, name, "Wrong user name or password.")
		return
	case err != nil:
		s.cfg.Log.Error("console: sign-in", zap.Error(err))
		s.fail(w, r, http.StatusInternalServerError, "Signing in failed; try again.")
		return
	}
	if err := s.store.PruneSessions(r.Context(), s.cfg.SessionIdle); err != nil {
		s.cfg.Log.Warn("console: pruning idle sessions", zap.Error(err))
	}
	token, err := s.store.CreateSession(r.Context(), u.Name)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "Signing in failed; try again.")
		return
	}
	s.setSessionCookie(w, token)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Path: "/login", MaxAge: -1})
	s.audit(r, u.Name, "login", store.Batch{}, "")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logoutAction(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		_ = s.store.DeleteSession(r.Context(), c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// audit appends an event about batch b; a failure is logged (the action
// itself already happened).
func (s *Server) audit(r *http.Request, user, action string, b store.Batch, detail string) {
	if user == "" {
		user = sessionOf(r).User.Name
	}
	e := store.Event{User: user, Action: action, Batch: b.ID, FileSHA256: b.FileSHA256, PlanHash: b.PlanHash, Detail: detail}
	if err := s.store.Audit(r.Context(), e); err != nil {
		s.cfg.Log.Error("console: writing the audit log", zap.String("action", action), zap.Error(err))
	}
}
