package metrics

import (
	"testing"
	"time"
)

func TestFromSummary(t *testing.T) {
	t.Parallel()
	raw := []byte(`{"tool":"rewardbatch","finishedAt":"2026-11-02T02:00:00Z","durationSeconds":83.25,
		"rows":3,"statuses":{"MATCHED":2,"FAILED":1},
		"operations":{"allocate":{"rows":3,"points":1500.50,"sentRows":3,"sentPoints":1500.50,"confirmedRows":2,
		"confirmedPoints":1000.25,"alreadyDoneRows":0,"alreadyDonePoints":0}},"exitCode":3,"sandbox":true}`)
	r, err := FromSummary(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"planned": "1500.50", "sent": "1500.50", "confirmed": "1000.25", "already_done": "0"}
	if len(r.Points) != len(want) {
		t.Fatalf("points %+v", r.Points)
	}
	for _, p := range r.Points {
		if p.Operation != "allocate" || p.Amount.String() != want[p.Kind] {
			t.Errorf("%+v: want %s", p, want[p.Kind])
		}
	}
	if r.ExitCode != 3 || !r.Sandbox || r.Duration != 83250*time.Millisecond || r.Statuses["FAILED"] != 1 ||
		!r.Finished.Equal(time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("run %+v", r)
	}
	for _, bad := range []string{`{`, `{"operations":{"allocate":{"points":"1,2,3x"}}}`, `{"operations":{"allocate":3}}`} {
		if _, err := FromSummary([]byte(bad)); err == nil {
			t.Errorf("FromSummary(%s) took it", bad)
		}
	}
}
