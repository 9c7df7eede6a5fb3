// Package inbox is the folder a scheduled job takes its files from. A
// person or a transfer job drops a file into DIR/incoming; [Inbox.Process]
// takes each file (oldest first) once its size and time have not changed
// for the settle time, moves it to DIR/processing, runs it through a
// callback, and moves it to DIR/done/<run folder>/ or
// DIR/failed/<run folder>/, with its approval beside it.
//
// The moves are renames within one file system and a small result marker
// is written before the last one, so a crash at any point loses no file
// and never takes one twice: a file found in processing/ at start is
// resumed (run again, which the ledger makes safe: rows already done are
// skipped), and one whose run had already ended is only moved on. With
// RequireApproval a file is taken only when FILE.approved beside it holds
// the plan hash that `rewardbatch validate` printed for it; without one it
// waits, and with another (the file changed since) it is refused. Only one
// Process runs on a folder at a time (a lock file, DIR/.inbox.lock).
package inbox
