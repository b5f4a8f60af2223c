// Package toolkit is what the project's Go tools share: a logger, the cache under
// ${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app, and reading the versions things are cached by.
package toolkit

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Logger writes progress lines prefixed with the program's name and the seconds since it started:
// `[local-cluster   5.1s] message`. Safe for concurrent use.
type Logger struct {
	name    string
	started time.Time
	mu      sync.Mutex
	w       io.Writer
}

// NewLogger logs to stderr.
func NewLogger(name string) *Logger { return NewLoggerTo(name, os.Stderr) }

// NewLoggerTo logs to w.
func NewLoggerTo(name string, w io.Writer) *Logger {
	return &Logger{name: name, started: time.Now(), w: w}
}

func (l *Logger) Printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "[%s %5.1fs] %s\n", l.name, time.Since(l.started).Seconds(), fmt.Sprintf(format, a...))
}

// Since formats the time since t to a tenth of a second: "0.3s", "2m5.1s".
func Since(t time.Time) string { return FormatDuration(time.Since(t)) }

// FormatDuration rounds d to a tenth of a second.
func FormatDuration(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }
