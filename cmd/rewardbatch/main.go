// Command rewardbatch pays monthly reward points to employees through the
// EnKash Rewards API, from one CSV file. See `rewardbatch --help`.
package main

import (
	"os"

	"github.com/rewardbatch/rewardbatch/pkg/cli"
)

func main() { os.Exit(cli.Main()) }
