// Command rewardbatch pays monthly reward points to employees through the
// EnKash Rewards API, from one CSV file. See `rewardbatch --help`.
package main

import (
	"os"
	"runtime/debug"

	"github.com/rewardbatch/rewardbatch/pkg/cli"
)

// gcPercent is the collector's setting unless GOGC says otherwise. The
// validator's duplicate sets are pointer-free and cost the collector little
// to scan; collecting at 50% growth keeps a 3,000,000-row file well under
// 150 MB. It is set here, in the program, so that tests of the packages run
// with Go's defaults.
const gcPercent = 50

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(cli.Main())
}
