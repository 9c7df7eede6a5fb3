package job

import (
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
)

// progressEvery is how often a progress line is logged.
const progressEvery = 5 * time.Second

// startProgress logs a progress line every few seconds and, when bar is not
// nil, draws a progress bar on it. The returned function stops both.
func startProgress(log *zap.Logger, bar io.Writer, total int, eng *engine.Engine) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var pb *progressbar.ProgressBar
	if bar != nil {
		pb = progressbar.NewOptions(total, progressbar.OptionSetWriter(bar), progressbar.OptionSetDescription("rows"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish())
	}
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		lastLog := time.Now()
		for {
			select {
			case <-done:
				if pb != nil {
					n, _ := eng.Progress()
					_ = pb.Set(int(n))
					_ = pb.Finish()
				}
				return
			case now := <-tick.C:
				n, failed := eng.Progress()
				if pb != nil {
					pb.Describe("rows (" + strconv.FormatInt(failed, 10) + " not done)")
					_ = pb.Set(int(n))
				}
				if now.Sub(lastLog) >= progressEvery {
					lastLog = now
					rate := float64(n) / now.Sub(start).Seconds()
					log.Info("progress", zap.Int64("done", n), zap.Int("total", total), zap.Int64("notDone", failed),
						zap.Float64("rowsPerSecond", rate))
				}
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}
