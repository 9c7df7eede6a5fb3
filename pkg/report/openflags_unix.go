//go:build !windows

package report

import "syscall"

// The open flags that keep a report path from being redirected: do not
// follow a symlink in the last element, and do not block on a FIFO.
const (
	oNoFollow = syscall.O_NOFOLLOW
	oNonBlock = syscall.O_NONBLOCK
)
