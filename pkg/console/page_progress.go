package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
)

// eventEvery is how often the events stream sends the counts.
const eventEvery = 500 * time.Millisecond

type progressData struct {
	Batch store.Batch
	Now   snapshot
}

// progressPage shows a run's counts; static/progress.js keeps them live.
// It works after a reload: the counts live in the server.
func (s *Server) progressPage(w http.ResponseWriter, r *http.Request) {
	b, ok := s.loadBatch(w, r)
	if !ok {
		return
	}
	s.render(w, r, "progress", "Sending "+b.Name, progressData{Batch: b, Now: s.snapshotOf(b)})
}

// snapshotOf is the live progress of b's run, or what the store says when
// this process did not run it.
func (s *Server) snapshotOf(b store.Batch) snapshot {
	if p := s.runner.progressOf(b.ID); p != nil {
		return p.snapshot()
	}
	sn := snapshot{Phase: string(b.State), PhaseLabel: stateLabel(b.State), SecondsLeft: -1}
	if p := plan(b); p != nil {
		sn.Total = p.RowsRead
	}
	switch b.State {
	case store.StateFinished, store.StateStopped, store.StateRejected, store.StateInvalid:
		sn.Finished, sn.Message = true, b.RunError
	}
	if sn.Finished {
		sn.PhaseLabel = phaseLabels["finished"]
	}
	if sum, err := s.summary(b); err == nil && sn.Finished {
		sn.Total, sn.Percent, sn.Rate = sum.Rows, 100, sum.RowsPerSecond
		for st, n := range sum.Statuses {
			sn.count(st, n)
		}
		if sn.Message == "" {
			sn.Message = sum.ExitMeaning
		}
	}
	return sn
}

// eventsAction streams the progress as server-sent events until the run
// ends or the browser goes away; the run itself does not depend on it.
func (s *Server) eventsAction(w http.ResponseWriter, r *http.Request) {
	b, ok := s.loadBatch(w, r)
	if !ok {
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		s.fail(w, r, http.StatusInternalServerError, "Streaming is not supported here.")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	tick := time.NewTicker(eventEvery)
	defer tick.Stop()
	p := s.runner.progressOf(b.ID)
	for {
		sn := s.snapshotOf(b)
		js, _ := json.Marshal(sn)
		name := "progress"
		if sn.Finished {
			name = "finished"
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, js); err != nil {
			return
		}
		fl.Flush()
		if sn.Finished || p == nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		case <-p.done:
		}
	}
}
