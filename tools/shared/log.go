// Package shared is what the project's Go tools share: a logger, the cache under
// ${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app, and reading the versions things are cached by.
package shared

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
	now     func() time.Time
	mu      sync.Mutex
	w       io.Writer
	// status is set while the last thing written is a line Statusf keeps rewriting in place.
	status bool
}

// NewLogger logs to stderr.
func NewLogger(name string) *Logger { return NewLoggerTo(name, os.Stderr) }

// NewLoggerTo logs to w.
func NewLoggerTo(name string, w io.Writer) *Logger {
	return &Logger{name: name, started: time.Now(), now: time.Now, w: w}
}

func (l *Logger) Printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clearStatus()
	fmt.Fprintf(l.w, "%s\n", l.line(format, a...))
}

// Statusf writes a line that the next Statusf overwrites in place (a carriage return, then erase to the
// end of the line), for a terminal; the next Printf or ClearStatus erases it.
func (l *Logger) Statusf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "\r%s\x1b[K", l.line(format, a...))
	l.status = true
}

// ClearStatus erases the line Statusf wrote, if it is still the last one.
func (l *Logger) ClearStatus() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clearStatus()
}

func (l *Logger) clearStatus() {
	if l.status {
		fmt.Fprint(l.w, "\r\x1b[K")
		l.status = false
	}
}

func (l *Logger) line(format string, a ...any) string {
	return fmt.Sprintf("[%s %5.1fs] %s", l.name, l.now().Sub(l.started).Seconds(), fmt.Sprintf(format, a...))
}

// Since formats the time since t to a tenth of a second: "0.3s", "2m5.1s".
func Since(t time.Time) string { return FormatDuration(time.Since(t)) }

// FormatDuration rounds d to a tenth of a second.
func FormatDuration(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }
