// Package validate checks allocation rows before anything is sent: it
// normalises what is safe to normalise (spaces, mobile prefixes, title and
// gender spellings, e-mail domains), refuses what a spreadsheet has damaged
// (scientific notation, lost digits, currency signs, separators) with a
// message that says what happened and how to fix it, derives stable
// references, finds duplicates, and sums the plan a person approves.
//
// A [Validator] sees rows one at a time. To find duplicates (a reference
// used twice, a row that repeats an earlier payment, a person paid twice)
// without holding the file, a first pass keeps only a 64-bit hash of each
// row's keys, in memory up to [DefaultSpillAt] hashes and in sorted runs
// in a temporary file beyond, so memory stays bounded however large the
// file is. When some hashes occur twice, a second pass given the
// [Knowledge] of the first compares those rows by 128-bit fingerprints,
// so that a 64-bit collision never refuses a valid row. A Validator is not
// safe for concurrent use.
package validate
