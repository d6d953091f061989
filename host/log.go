package host

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
)

// maxLogLine bounds one guest log line; longer lines are split.
const maxLogLine = 16 << 10

// logWriter turns a guest's stdout or stderr into one slog record per line.
type logWriter struct {
	mu     sync.Mutex
	log    *slog.Logger
	level  slog.Level
	stream string
	buf    bytes.Buffer
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.buf.Write(p)
			if l.buf.Len() >= maxLogLine {
				l.flushLocked()
			}
			break
		}
		l.buf.Write(p[:i])
		l.flushLocked()
		p = p[i+1:]
	}
	return n, nil
}

func (l *logWriter) flushLocked() {
	if l.buf.Len() == 0 {
		return
	}
	l.log.Log(context.Background(), l.level, l.buf.String(), "stream", l.stream)
	l.buf.Reset()
}

// Flush logs a pending partial line.
func (l *logWriter) Flush() {
	l.mu.Lock()
	l.flushLocked()
	l.mu.Unlock()
}
