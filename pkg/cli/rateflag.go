package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
)

// rateAuto is the --rate value that finds the rate from EnKash's answers.
const rateAuto = "auto"

// rateFlag is --rate: requests per second, or auto. It writes into an
// engine configuration.
type rateFlag struct{ cfg *engine.Config }

// addRateFlags registers --rate (defaulting to def: a number or auto) and
// --max-rate on fs, writing into cfg. what names the requests limited.
func addRateFlags(fs *pflag.FlagSet, cfg *engine.Config, def, what string) {
	f := rateFlag{cfg}
	if err := f.Set(def); err != nil {
		panic(err) // a programming error: the default is a constant
	}
	fs.Var(f, "rate", what+" per second shared by all workers, or auto: start at "+
		strconv.FormatFloat(engine.DefaultRate, 'f', -1, 64)+" and find the highest rate EnKash accepts "+
		"(lower on 429, 5xx, timeouts and rising latency; never above --max-rate)")
	fs.Float64Var(&cfg.MaxRate, "max-rate", engine.DefaultMaxRate, "the highest rate --rate auto may reach")
}

// String returns the rate as given.
func (f rateFlag) String() string {
	if f.cfg.Adaptive {
		return rateAuto
	}
	return strconv.FormatFloat(f.cfg.Rate, 'f', -1, 64)
}

// Set reads auto or a positive number.
func (f rateFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, rateAuto) {
		f.cfg.Adaptive, f.cfg.Rate = true, engine.DefaultRate
		return nil
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || r <= 0 || r != r || r > 1e6 {
		return fmt.Errorf("want auto or a number of requests per second above 0, such as 25")
	}
	f.cfg.Adaptive, f.cfg.Rate = false, r
	return nil
}

// Type names the value in help.
func (rateFlag) Type() string { return "rate|auto" }

// defaultRate is --rate's default: the adaptive rate, measured against
// servers limited to 50, 200 and 1,000 requests a second
// (BenchmarkAutoRate in pkg/engine) at 98-99.6% of their limit.
const defaultRate = rateAuto

// checkRate refuses a --max-rate no run could use (--rate checks itself).
func checkRate(cfg engine.Config) error {
	if cfg.MaxRate <= 0 {
		return fmt.Errorf("--max-rate %v: want a number of requests per second above 0", cfg.MaxRate)
	}
	return nil
}
