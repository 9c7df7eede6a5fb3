package console

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// listLimit bounds the lists of batches, runs and events.
const listLimit = 200

func (s *Server) batchesPage(w http.ResponseWriter, r *http.Request) {
	bs, err := s.store.Batches(r.Context(), listLimit)
	if err != nil {
		s.cfg.Log.Error("console: listing batches", zap.Error(err))
		s.fail(w, r, http.StatusInternalServerError, "The batches could not be listed.")
		return
	}
	d := batchesData{Batches: bs}
	if u := sessionOf(r).User; u.Role.Can(store.RoleApprover) {
		for _, b := range bs {
			if b.State == store.StatePending && b.Uploader != u.Name {
				d.ForYou++
			}
		}
	}
	s.render(w, r, "batches", "Batches", d)
}

type batchesData struct {
	Batches []store.Batch
	ForYou  int // files waiting for the viewer's approval
}

type historyData struct {
	Runs  []historyRow
	Error string
}

// historyRow is one run of the ledger, with its summary's figures and the
// console batch it sent, if any.
type historyRow struct {
	ledger.RunRecord
	Rows      int
	Credited  string // points confirmed by allocations and top-ups
	Meaning   string
	Batch     store.Batch
	FromBatch bool
}

// historyPage lists the runs the ledger recorded, the CLI's included.
func (s *Server) historyPage(w http.ResponseWriter, r *http.Request) {
	var d historyData
	var runs []ledger.RunRecord
	err := ledger.Read(r.Context(), s.cfg.LedgerPath, func(l *ledger.Ledger) (err error) {
		runs, err = l.Runs(r.Context(), listLimit)
		return err
	})
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d.Error = "No runs recorded yet."
	case errors.Is(err, ledger.ErrMidCommit):
		d.Error = "A run is writing the ledger: reload this page in a moment. Nothing is lost."
	case err != nil:
		s.cfg.Log.Error("console: reading the ledger's runs", zap.Error(err))
		d.Error = "The ledger could not be read; the console's log says why. Do not send a batch again until it is resolved: the ledger may hold runs this page cannot show."
	}
	byRun := map[string]store.Batch{}
	if bs, err := s.store.Batches(r.Context(), listLimit*5); err == nil {
		for _, b := range bs {
			byRun[b.RunID] = b
		}
	}
	for _, run := range runs {
		h := historyRow{RunRecord: run}
		h.Batch, h.FromBatch = byRun[run.ID]
		var sum report.Summary
		if run.Summary != "" && json.Unmarshal([]byte(run.Summary), &sum) == nil {
			h.Rows, h.Meaning = sum.Rows, sum.ExitMeaning
			var credited money.Amount
			for _, op := range []reward.Operation{reward.OpAllocate, reward.OpTopUp} {
				if t := sum.Ops[op]; t != nil {
					credited = credited.Add(t.ConfirmedPoints)
				}
			}
			h.Credited = grouped(credited.Fixed2())
		}
		d.Runs = append(d.Runs, h)
	}
	s.render(w, r, "history", "History", d)
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("batch")
	if id != "" && !validID(id) {
		id = ""
	}
	es, err := s.store.Events(r.Context(), id, listLimit*5)
	if err != nil {
		s.cfg.Log.Error("console: reading the audit log", zap.Error(err))
		s.fail(w, r, http.StatusInternalServerError, "The audit log could not be read.")
		return
	}
	s.render(w, r, "audit", "Audit log", es)
}

type usersData struct {
	Users []store.User
	Roles []store.Role
	Error string
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) {
	s.showUsers(w, r, http.StatusOK, "")
}

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, status int, msg string) {
	us, err := s.store.Users(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The users could not be listed.")
		return
	}
	s.renderStatus(w, r, status, "users", "Users", usersData{Users: us, Roles: store.Roles, Error: msg})
}

// addUserAction lets an admin add a user (or reset one's role and
// password).
func (s *Server) addUserAction(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	role, err := store.ParseRole(f.Get("role"))
	if err == nil {
		err = s.store.AddUser(r.Context(), f.Get("name"), role, f.Get("password"), f.Get("replace") == "on")
	}
	if err != nil {
		s.showUsers(w, r, http.StatusBadRequest, err.Error())
		return
	}
	s.audit(r, "", "user-add", store.Batch{}, f.Get("name")+" as "+string(role))
	http.Redirect(w, r, "/users", http.StatusSeeOther)
}
