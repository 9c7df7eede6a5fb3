//go:build windows

package report

// Windows has neither flag: a symlink needs privileges to create there,
// and a path is never a FIFO.
const (
	oNoFollow = 0
	oNonBlock = 0
)
