//go:build windows

package job

// Windows has neither flag: a symlink needs privileges to create there,
// and a path is never a FIFO.
const (
	oNoFollow = 0
	oNonBlock = 0
)
