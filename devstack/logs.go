package devstack

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// lineWriter serialises whole log lines onto one io.Writer.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// writeLine writes "time level [component] msg" plus a newline.
func (lw *lineWriter) writeLine(component, level, msg string) {
	line := fmt.Sprintf("%s %-5s [%s] %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), level, component, msg)
	lw.mu.Lock()
	defer lw.mu.Unlock()
	_, _ = io.WriteString(lw.w, line) // a failing log sink must not stop the servers
}

// temporalLogger adapts the Temporal server's structured log.Logger onto a
// lineWriter, dropping debug lines.
type temporalLogger struct {
	out  *lineWriter
	tags []tag.Tag
}

var (
	_ log.Logger     = (*temporalLogger)(nil)
	_ log.WithLogger = (*temporalLogger)(nil)
)

func (l *temporalLogger) write(level, msg string, tags []tag.Tag) string {
	var b strings.Builder
	b.WriteString(msg)
	for _, ts := range [][]tag.Tag{l.tags, tags} {
		for _, t := range ts {
			fmt.Fprintf(&b, " %s=%v", t.Key(), t.Value())
		}
	}
	line := b.String()
	l.out.writeLine("temporal", level, line)
	return line
}

// Debug drops the message: the server's debug output is too large to keep.
func (l *temporalLogger) Debug(string, ...tag.Tag) {}

// Info logs at info level.
func (l *temporalLogger) Info(msg string, tags ...tag.Tag) { l.write("INFO", msg, tags) }

// Warn logs at warn level.
func (l *temporalLogger) Warn(msg string, tags ...tag.Tag) { l.write("WARN", msg, tags) }

// Error logs at error level.
func (l *temporalLogger) Error(msg string, tags ...tag.Tag) { l.write("ERROR", msg, tags) }

// DPanic logs at error level; development panics are not raised.
func (l *temporalLogger) DPanic(msg string, tags ...tag.Tag) { l.write("ERROR", msg, tags) }

// Panic logs and then panics, as the server expects.
func (l *temporalLogger) Panic(msg string, tags ...tag.Tag) { panic(l.write("PANIC", msg, tags)) }

// Fatal logs, repeats the message on stderr (the log is usually a file) and
// exits, as the server expects.
func (l *temporalLogger) Fatal(msg string, tags ...tag.Tag) {
	line := l.write("FATAL", msg, tags)
	fmt.Fprintf(os.Stderr, "devstack: temporal server fatal error: %s\n", line)
	os.Exit(1)
}

// With returns a logger that adds tags to every line.
func (l *temporalLogger) With(tags ...tag.Tag) log.Logger {
	return &temporalLogger{out: l.out, tags: append(append([]tag.Tag(nil), l.tags...), tags...)}
}

// natsLogger adapts the NATS server's printf-style logger onto a lineWriter.
// It satisfies server.Logger from github.com/nats-io/nats-server/v2/server.
type natsLogger struct{ out *lineWriter }

// Noticef logs at info level.
func (l natsLogger) Noticef(format string, v ...any) {
	l.out.writeLine("nats", "INFO", fmt.Sprintf(format, v...))
}

// Warnf logs at warn level.
func (l natsLogger) Warnf(format string, v ...any) {
	l.out.writeLine("nats", "WARN", fmt.Sprintf(format, v...))
}

// Fatalf logs at fatal level. The NATS server itself gives up on what it was
// doing; Start then reports that the server never became ready.
func (l natsLogger) Fatalf(format string, v ...any) {
	l.out.writeLine("nats", "FATAL", fmt.Sprintf(format, v...))
}

// Errorf logs at error level.
func (l natsLogger) Errorf(format string, v ...any) {
	l.out.writeLine("nats", "ERROR", fmt.Sprintf(format, v...))
}

// Debugf drops the message (debug logging is not enabled).
func (l natsLogger) Debugf(string, ...any) {}

// Tracef drops the message (tracing is not enabled).
func (l natsLogger) Tracef(string, ...any) {}
