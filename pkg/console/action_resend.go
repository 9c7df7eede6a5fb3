package console

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/report"
)

// resendAction makes a new batch of a run's failed rows (its failed.csv,
// the file the CLI also feeds back). The new batch is checked and needs
// its own approval; the person who asked for it cannot approve it.
func (s *Server) resendAction(w http.ResponseWriter, r *http.Request) {
	b, ok := s.loadBatch(w, r)
	if !ok {
		return
	}
	if b.State != store.StateFinished || !validRunID(b.RunID) {
		s.fail(w, r, http.StatusConflict, "Only a batch that was sent has failed rows to send again.")
		return
	}
	src, err := os.Open(filepath.Join(s.batchDir(b.ID), b.RunID, report.FailedFile))
	if err != nil {
		s.fail(w, r, http.StatusNotFound, "This run has no failed rows.")
		return
	}
	defer src.Close()
	nb := store.Batch{ID: newBatchID(s.now()), Name: "failed rows of " + b.Name, BatchID: b.BatchID, Uploader: sessionOf(r).User.Name,
		Parent: b.ID, State: store.StateInvalid, ExitCode: -1, ExpectRows: -1}
	if err := os.MkdirAll(s.batchDir(nb.ID), 0o700); err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The new batch could not be created.")
		return
	}
	if nb.Size, nb.FileSHA256, err = s.copyUpload(src, s.uploadPath(nb.ID)); err != nil {
		_ = os.RemoveAll(s.batchDir(nb.ID))
		s.fail(w, r, http.StatusConflict, "The failed rows could not be copied: "+err.Error())
		return
	}
	if err := s.store.AddBatch(r.Context(), nb); err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The new batch could not be recorded.")
		return
	}
	if err := s.check(r.Context(), &nb); err != nil {
		s.cfg.Log.Error("console: checking the failed rows", zap.Error(err))
	}
	s.audit(r, "", "resend-failed", nb, fmt.Sprintf("the failed rows of batch %s", b.ID))
	http.Redirect(w, r, "/batches/"+nb.ID, http.StatusSeeOther)
}
