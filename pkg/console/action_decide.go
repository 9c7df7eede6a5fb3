package console

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
)

// maxComment bounds an approver's comment.
const maxComment = 2000

// decideAction records an approval or a rejection of the plan the approver
// saw (its hash is in the form). The uploader can never approve; once
// enough approvers agree, the run starts in the background.
func (s *Server) decideAction(w http.ResponseWriter, r *http.Request) {
	b, ok := s.loadBatch(w, r)
	if !ok {
		return
	}
	verdict := r.PostForm.Get("decision")
	if verdict != "approve" && verdict != "reject" {
		s.fail(w, r, http.StatusBadRequest, "Choose approve or reject.")
		return
	}
	comment := strings.TrimSpace(r.PostForm.Get("comment"))
	if !utf8.ValidString(comment) || len(comment) > maxComment {
		s.fail(w, r, http.StatusBadRequest, "The comment is too long (at most 2000 characters).")
		return
	}
	if verdict == "reject" && comment == "" {
		s.fail(w, r, http.StatusBadRequest, "Say why you reject the file, so that the uploader can fix it.")
		return
	}
	u := sessionOf(r).User
	d := store.Decision{User: u.Name, PlanHash: r.PostForm.Get("plan_hash"), Approve: verdict == "approve", Comment: comment}
	state, err := s.store.Decide(r.Context(), b.ID, d, s.approvalsNeeded(b))
	if s.refuseStale(w, r, err) {
		return
	}
	s.audit(r, "", verdict, b, comment)
	if state == store.StateApproved {
		s.runner.start(b)
		http.Redirect(w, r, "/batches/"+b.ID+"/progress", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/batches/"+b.ID, http.StatusSeeOther)
}
