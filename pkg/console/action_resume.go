package console

import (
	"net/http"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
)

// resumeAction sends a stopped or incomplete batch again (the server
// stopped during its run, or the ledger was busy). Its plan keeps its approvals; the ledger
// skips the rows already done and looks up those whose answer was lost, so
// nothing is paid twice. The uploader cannot do it.
func (s *Server) resumeAction(w http.ResponseWriter, r *http.Request) {
	b, ok := s.loadBatch(w, r)
	if !ok {
		return
	}
	if !resumable(b) {
		s.fail(w, r, http.StatusConflict, "Only a run that stopped before it settled every row can be sent again.")
		return
	}
	if b.Uploader == sessionOf(r).User.Name {
		s.fail(w, r, http.StatusForbidden, "You uploaded this file, so another approver must send it again.")
		return
	}
	ds, err := s.store.Decisions(r.Context(), b.ID)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The approvals could not be read.")
		return
	}
	if approvals(ds, b.PlanHash) < s.approvalsNeeded(b) {
		s.fail(w, r, http.StatusConflict, "This plan is not approved; it cannot be sent.")
		return
	}
	err = s.store.Transition(r.Context(), b.ID, r.PostForm.Get("plan_hash"), []store.State{b.State}, store.StateApproved)
	if s.refuseStale(w, r, err) {
		return
	}
	s.audit(r, "", "resume", b, "")
	s.runner.start(b)
	http.Redirect(w, r, "/batches/"+b.ID+"/progress", http.StatusSeeOther)
}

// resumable is a batch whose run stopped before every row was settled: the
// server stopped (stopped), the run ended incomplete (exit code 4), or a
// fatal error stopped it (exit code 1: a login refused, a balance too low,
// the ledger busy).
func resumable(b store.Batch) bool {
	return b.State == store.StateStopped ||
		b.State == store.StateFinished && (b.ExitCode == exitcode.Incomplete || b.ExitCode == exitcode.Fatal)
}

// approvals counts the approvals of one plan.
func approvals(ds []store.Decision, hash string) int {
	n := 0
	for _, d := range ds {
		if d.Approve && d.PlanHash == hash {
			n++
		}
	}
	return n
}
