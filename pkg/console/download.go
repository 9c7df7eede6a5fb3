package console

import (
	"net/http"
	"os"
	"path/filepath"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/report"
)

// downloads are the files a batch offers, and which folder has each: only
// these names are ever served.
var downloads = map[string]string{
	report.ValidationFile: "check",
	report.InvalidFile:    "check",
	report.ResultsFile:    "run",
	report.FailedFile:     "run",
	report.SummaryFile:    "run",
}

func (s *Server) downloadAction(w http.ResponseWriter, r *http.Request) {
	b, ok := s.loadBatch(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	where, known := downloads[name]
	if !known {
		s.fail(w, r, http.StatusNotFound, "There is no such file.")
		return
	}
	path := filepath.Join(s.checkDir(b.ID), name)
	if where == "run" {
		if !validRunID(b.RunID) {
			s.fail(w, r, http.StatusNotFound, "This batch has not been sent yet.")
			return
		}
		path = filepath.Join(s.batchDir(b.ID), b.RunID, name)
	}
	f, err := os.Open(path)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, "This file does not exist (yet).")
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The file could not be read.")
		return
	}
	s.audit(r, "", "download", b, name)
	w.Header().Set("Content-Disposition", `attachment; filename="`+downloadName(b, name)+`"`)
	if filepath.Ext(name) == ".csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	}
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

// downloadName is batch id plus file name: only characters we chose.
func downloadName(b store.Batch, name string) string { return b.ID + "-" + name }
