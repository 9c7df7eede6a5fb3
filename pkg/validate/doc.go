// Package validate checks allocation rows before anything is sent: it
// normalises what is safe to normalise (spaces, mobile prefixes, title and
// gender spellings, e-mail domains), refuses what a spreadsheet has damaged
// (scientific notation, lost digits, currency signs, separators) with a
// message that says what happened and how to fix it, derives stable
// references, finds duplicates, and sums the plan a person approves.
//
// A [Validator] sees rows one at a time and keeps only hashes, so memory
// stays small however large the file is. Rows that are only known to be
// duplicates after a later row has been seen are caught by running a
// second pass with the [Knowledge] of the first. A Validator is not safe
// for concurrent use.
package validate
