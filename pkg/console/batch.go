package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// newBatchID returns a sortable, unguessable id that names a batch's
// folder: never anything the user typed.
func newBatchID(now time.Time) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// validID accepts only ids newBatchID could have made, so that an id from
// a URL can name a folder.
func validID(id string) bool {
	if len(id) != 28 {
		return false
	}
	for i, c := range id {
		ok := c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || (i == 8 || i == 15) && c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// loadBatch reads the batch the URL names, answering 404 itself when
// there is none.
func (s *Server) loadBatch(w http.ResponseWriter, r *http.Request) (store.Batch, bool) {
	id := r.PathValue("id")
	if !validID(id) {
		s.fail(w, r, http.StatusNotFound, "There is no such batch.")
		return store.Batch{}, false
	}
	b, err := s.store.Batch(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "There is no such batch.")
		return b, false
	}
	if err != nil {
		s.cfg.Log.Error("console: reading a batch", zap.Error(err))
		s.fail(w, r, http.StatusInternalServerError, "The batch could not be read.")
		return b, false
	}
	return b, true
}

// checkOptions are the dry run's settings for batch b, writing into out:
// the server's validator options, the batch's id for derived references,
// and the control totals its uploader stated.
func (s *Server) checkOptions(b store.Batch, out string) job.ValidateOptions {
	v := s.cfg.Validate
	v.BatchID = b.BatchID
	o := job.ValidateOptions{File: s.uploadPath(b.ID), Out: out, Validate: v, ExpectRows: b.ExpectRows, Stdout: io.Discard, Log: s.cfg.Log}
	if t, err := money.Parse(b.ExpectTotal); err == nil && b.ExpectTotal != "" {
		o.ExpectTotal = &t
	}
	return o
}

// check runs the dry run on a batch's file (through job.Check, as
// `rewardbatch validate` does) and stores the plan and the state it leads
// to. It returns the plan hash.
func (s *Server) check(ctx context.Context, b *store.Batch) error {
	dir := s.checkDir(b.ID)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clearing the last check: %w", err)
	}
	res, cerr := job.Check(ctx, s.checkOptions(*b, dir))
	b.State, b.CheckCode, b.CheckError, b.PlanHash, b.PlanJSON = store.StateChecked, res.Code, "", "", ""
	if cerr != nil {
		b.State, b.CheckError = store.StateInvalid, cerr.Error()
	}
	if res.Plan != nil {
		js, err := json.Marshal(res.Plan)
		if err != nil {
			return err
		}
		b.PlanHash, b.PlanJSON = res.Plan.Hash, string(js)
	}
	if res.Plan == nil && cerr == nil {
		b.State, b.CheckError = store.StateInvalid, "the check produced no plan"
	}
	return s.store.SetCheck(ctx, b.ID, b.State, b.PlanHash, b.PlanJSON, b.CheckCode, b.CheckError)
}

// plan decodes a batch's stored plan (nil when it has none).
func plan(b store.Batch) *validate.Plan {
	if b.PlanJSON == "" {
		return nil
	}
	var p validate.Plan
	if json.Unmarshal([]byte(b.PlanJSON), &p) != nil {
		return nil
	}
	return &p
}

// approvalsNeeded is 2 for a plan above the threshold, else 1.
func (s *Server) approvalsNeeded(b store.Batch) int {
	p := plan(b)
	if s.cfg.ApprovalThreshold != nil && p != nil && p.Credits().Cmp(*s.cfg.ApprovalThreshold) > 0 {
		return 2
	}
	return 1
}
