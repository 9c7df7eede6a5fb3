package adaptive

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// BenchmarkAgainstLimitedServer runs 64 workers through a Limiter against a
// loopback HTTP server that accepts N requests per second (a token bucket;
// 429 with Retry-After above it), for 20 s per N, and reports the share of
// N sustained after the first 10 s, the share of requests answered 429,
// and when a one-second window first reached 90% of N:
//
//	go test -run '^$' -bench AgainstLimitedServer -benchtime 1x ./pkg/adaptive
func BenchmarkAgainstLimitedServer(b *testing.B) {
	for _, n := range []float64{50, 200, 1000} {
		b.Run(fmt.Sprintf("N=%.0f", n), func(b *testing.B) {
			for b.Loop() {
				r := runAgainst(b, n, 64, 20*time.Second)
				b.ReportMetric(100*r.steady, "%-of-N")
				b.ReportMetric(100*r.throttled, "%-429")
				b.ReportMetric(r.converged.Seconds(), "s-to-90%")
			}
		})
	}
}

func runAgainst(b *testing.B, limit float64, workers int, d time.Duration) simResult {
	bucket := rate.NewLimiter(rate.Limit(limit), max(1, int(limit/10)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if !bucket.Allow() {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		time.Sleep(2 * time.Millisecond) // a little work
		_, _ = io.WriteString(w, `{"code":0}`)
	}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers + 2}, Timeout: 10 * time.Second}
	start := time.Now()
	l := New(Config{OnChange: func(from, to float64, why string) {
		b.Logf("%.1fs %.1f -> %.1f: %s", time.Since(start).Seconds(), from, to, why)
	}})
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		mu               sync.Mutex
		okAt             []time.Duration
		total, throttled int
		wg               sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for l.Wait(ctx) == nil {
				t0 := time.Now()
				resp, err := client.Post(srv.URL, "application/json", nil)
				if err != nil {
					continue // the deadline closed the connection
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				lat := time.Since(t0)
				sig := OK
				if resp.StatusCode == http.StatusTooManyRequests {
					sig = Throttled
				}
				l.Observe(lat, sig)
				mu.Lock()
				total++
				if sig == OK {
					okAt = append(okAt, time.Since(start))
				} else {
					throttled++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if total == 0 {
		b.Fatal("no request got through")
	}
	return measure(okAt, limit, d, float64(throttled)/float64(total))
}
