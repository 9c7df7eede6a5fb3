package engine_test

import (
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
)

// BenchmarkEngineNoLatency: the engine's own ceiling on this machine.
//
//	go test -run '^$' -bench Engine -benchtime 3x ./pkg/engine
func BenchmarkEngineNoLatency(b *testing.B) { enginetest.Bench(b, 4000, 8, 0, nil) }

// BenchmarkEngineNoLatency64Workers: the same with 64 workers.
func BenchmarkEngineNoLatency64Workers(b *testing.B) { enginetest.Bench(b, 4000, 64, 0, nil) }

// BenchmarkEngine50msLatency64Workers: the ideal is 64 / 0.05 s = 1,280
// rows/s; the target is at least 95% of it. 6,400 rows (100 per worker)
// keep the ramp at the start and the tail at the end small against the
// five seconds of the run.
func BenchmarkEngine50msLatency64Workers(b *testing.B) {
	enginetest.Bench(b, 64*100, 64, 50*time.Millisecond, nil)
}
