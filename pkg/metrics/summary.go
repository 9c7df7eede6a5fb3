package metrics

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// summary are the fields of a run's summary.json that the metrics need.
type summary struct {
	FinishedAt      time.Time                  `json:"finishedAt"`
	DurationSeconds float64                    `json:"durationSeconds"`
	Statuses        map[string]int             `json:"statuses"`
	Operations      map[string]json.RawMessage `json:"operations"`
	ExitCode        int                        `json:"exitCode"`
	Sandbox         bool                       `json:"sandbox"`
}

// pointKinds maps the point fields of an operation in summary.json to the
// kind label.
var pointKinds = []struct{ field, kind string }{
	{"points", "planned"}, {"sentPoints", "sent"}, {"confirmedPoints", "confirmed"}, {"alreadyDonePoints", "already_done"},
}

// FromSummary reads a run's summary.json into a [Run].
func FromSummary(raw []byte) (Run, error) {
	var s summary
	if err := json.Unmarshal(raw, &s); err != nil {
		return Run{}, fmt.Errorf("metrics: summary.json: %w", err)
	}
	r := Run{Statuses: s.Statuses, ExitCode: s.ExitCode, Sandbox: s.Sandbox, Finished: s.FinishedAt,
		Duration: time.Duration(s.DurationSeconds * float64(time.Second))}
	ops := make([]string, 0, len(s.Operations))
	for op := range s.Operations {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(s.Operations[op], &fields); err != nil {
			return Run{}, fmt.Errorf("metrics: summary.json: operation %s: %w", op, err)
		}
		for _, pk := range pointKinds {
			v, ok := fields[pk.field]
			if !ok {
				continue
			}
			var a money.Amount
			if err := a.UnmarshalJSON(v); err != nil {
				return Run{}, fmt.Errorf("metrics: summary.json: %s.%s: %w", op, pk.field, err)
			}
			r.Points = append(r.Points, Points{Operation: op, Kind: pk.kind, Amount: a})
		}
	}
	return r, nil
}
