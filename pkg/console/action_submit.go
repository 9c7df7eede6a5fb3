package console

import (
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
)

// submitAction sends a checked batch for approval, bound to the plan hash
// the uploader saw.
func (s *Server) submitAction(w http.ResponseWriter, r *http.Request) {
	b, ok := s.ownBatch(w, r, "submit it")
	if !ok {
		return
	}
	err := s.store.Transition(r.Context(), b.ID, r.PostForm.Get("plan_hash"), []store.State{store.StateChecked}, store.StatePending)
	if s.refuseStale(w, r, err) {
		return
	}
	s.audit(r, "", "submit", b, "")
	http.Redirect(w, r, "/batches/"+b.ID, http.StatusSeeOther)
}

// ownBatch loads the batch the URL names for its uploader (or an admin),
// and refuses anyone else what they asked (doing).
func (s *Server) ownBatch(w http.ResponseWriter, r *http.Request, doing string) (store.Batch, bool) {
	b, ok := s.loadBatch(w, r)
	if !ok {
		return b, false
	}
	if u := sessionOf(r).User; b.Uploader != u.Name && u.Role != store.RoleAdmin {
		s.fail(w, r, http.StatusForbidden, "Only the person who uploaded this file can "+doing+".")
		return b, false
	}
	return b, true
}

// refuseStale answers a failed state change; it reports whether it did.
func (s *Server) refuseStale(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrStale):
		s.fail(w, r, http.StatusConflict, "This file or its plan changed since you opened the page, so that approval or submission no longer applies. Open the batch again to see its current plan.")
	case errors.Is(err, store.ErrSelfApproval):
		s.fail(w, r, http.StatusForbidden, "You uploaded this file, so you cannot approve it. Another approver must decide.")
	case errors.Is(err, store.ErrDecided):
		s.fail(w, r, http.StatusConflict, "You have already decided on this plan.")
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "There is no such batch.")
	default:
		s.cfg.Log.Error("console: changing a batch", zap.Error(err))
		s.fail(w, r, http.StatusInternalServerError, "The change could not be saved; try again.")
	}
	return true
}
