package console

import (
	"net/http"
	"slices"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
)

// recheckAction checks a batch's file again with the server's current
// options (after they changed, say). A different plan hash voids every
// approval of the old plan and the batch must be submitted again.
func (s *Server) recheckAction(w http.ResponseWriter, r *http.Request) {
	b, ok := s.ownBatch(w, r, "check it again")
	if !ok {
		return
	}
	if !slices.Contains(store.Checkable, b.State) {
		s.fail(w, r, http.StatusConflict, "This file is approved or sent; it cannot be checked again.")
		return
	}
	old := b.PlanHash
	if s.refuseStale(w, r, s.check(r.Context(), &b)) {
		return
	}
	detail := "the same plan"
	if b.PlanHash != old {
		detail = "a new plan: earlier approvals no longer apply"
	}
	s.audit(r, "", "recheck", b, detail)
	http.Redirect(w, r, "/batches/"+b.ID, http.StatusSeeOther)
}
