// Package logging builds the zap logger of the command line: JSON for cron
// and pipelines, console for people, on stderr, with sampling off so that no
// line is silently dropped.
package logging

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/term"
)

// Format is the log encoding.
type Format string

// The formats.
const (
	FormatJSON    Format = "json"
	FormatConsole Format = "console"
	FormatAuto    Format = ""
)

// DefaultFormat picks console on a terminal and JSON otherwise (cron).
func DefaultFormat(f *os.File) Format {
	if term.IsTerminal(int(f.Fd())) {
		return FormatConsole
	}
	return FormatJSON
}

// New returns a logger writing format at level to w.
func New(w io.Writer, format Format, level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	var encoder zapcore.Encoder
	switch format {
	case FormatJSON:
		encoder = zapcore.NewJSONEncoder(enc)
	case FormatConsole:
		enc.EncodeLevel = zapcore.CapitalLevelEncoder
		encoder = zapcore.NewConsoleEncoder(enc)
	default:
		return nil, fmt.Errorf("--log-format %q: want json or console", format)
	}
	core := zapcore.NewCore(encoder, zapcore.Lock(zapcore.AddSync(w)), lvl) // no sampling
	return zap.New(core), nil
}

// Sync flushes l, ignoring the errors stderr gives when it is a terminal
// or a pipe.
func Sync(l *zap.Logger) error {
	err := l.Sync()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTTY) || errors.Is(err, syscall.EBADF) {
		return nil
	}
	return err
}
