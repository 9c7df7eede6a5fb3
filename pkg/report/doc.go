// Package report writes the files a run leaves behind: validation.csv and
// invalid.csv from the dry run; results.csv, failed.csv and summary.json
// from a run. Every file is written to a temporary name with mode 0600 and
// renamed into place only when complete, carries its header even when it
// has no rows, and neutralises cells that a spreadsheet would run as a
// formula.
package report
