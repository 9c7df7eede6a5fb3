package console

import (
	"net/http"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
)

// maxFormBytes bounds the body of every form but the upload.
const maxFormBytes = 64 << 10

// csrfField is the name of the hidden field every form carries.
const csrfField = "csrf"

// checkCSRF refuses a form whose token is not the session's. It also
// bounds the body and parses the form.
func (s *Server) checkCSRF(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, http.StatusBadRequest, "The form could not be read: "+err.Error())
			return
		}
		if !store.SameToken(r.PostForm.Get(csrfField), sessionOf(r).CSRF) {
			s.fail(w, r, http.StatusForbidden, "This form has expired or did not come from this console. Reload the page and try again.")
			return
		}
		next(w, r)
	}
}
