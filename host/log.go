package host

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// maxLogLine bounds one guest log line; longer lines are split.
const maxLogLine = 16 << 10

// Held stderr: while a request runs, the guest's stderr lines wait until it
// ends, so that a crash dump (Go's runtime prints a few hundred lines
// before it aborts) becomes part of the request's one failure record
// instead of hundreds of records. A request that succeeds logs them as
// usual; lines older than holdFor, or beyond holdBytes, are logged at the
// next write, so a Worker that logs to stderr while it streams is not
// silenced.
const (
	holdFor   = time.Second
	holdBytes = 64 << 10
)

// How much of the held stderr a failure record keeps: the first lines (a
// crash's message and innermost frames) and the last ones.
const (
	failHeadLines = 24
	failTailLines = 8
)

// logWriter turns a guest's stdout or stderr into one slog record per line.
type logWriter struct {
	mu      sync.Mutex
	log     *slog.Logger
	level   slog.Level
	stream  string
	mapText func(string) string // WorkerConfig.MapText, via Worker.mapText
	buf     bytes.Buffer

	holding   bool
	held      []string
	heldBytes int
	heldSince time.Time
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holding && len(l.held) > 0 && (time.Since(l.heldSince) > holdFor || l.heldBytes > holdBytes) {
		l.logHeldLocked()
	}
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
	if l.holding {
		if len(l.held) == 0 {
			l.heldSince = time.Now()
		}
		l.held = append(l.held, l.buf.String())
		l.heldBytes += l.buf.Len()
	} else {
		l.log.Log(context.Background(), l.level, l.mapText(l.buf.String()), "stream", l.stream)
	}
	l.buf.Reset()
}

func (l *logWriter) logHeldLocked() {
	for _, line := range l.held {
		l.log.Log(context.Background(), l.level, l.mapText(line), "stream", l.stream)
	}
	l.held, l.heldBytes = l.held[:0], 0
}

// Flush logs a pending partial line.
func (l *logWriter) Flush() {
	l.mu.Lock()
	l.flushLocked()
	l.mu.Unlock()
}

// hold starts holding lines, until release.
func (l *logWriter) hold() {
	l.mu.Lock()
	l.holding = true
	l.mu.Unlock()
}

// release stops holding. If the request succeeded the held lines are
// logged; if it failed they are returned instead, bounded, for the
// failure record ("" when there were none).
func (l *logWriter) release(failed bool) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
	l.holding = false
	if !failed {
		l.logHeldLocked()
		return ""
	}
	s := l.mapText(boundLines(l.held, failHeadLines, failTailLines))
	l.held, l.heldBytes = l.held[:0], 0
	return s
}

// maxFailLine bounds one line of a failure record.
const maxFailLine = 1 << 10

// boundLines joins lines, keeping the first head and the last tail of
// them (each at most maxFailLine bytes) and saying how many it left out.
func boundLines(lines []string, head, tail int) string {
	var b strings.Builder
	add := func(l string) {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		if len(l) > maxFailLine {
			l = strings.ToValidUTF8(l[:maxFailLine], "") + "…"
		}
		b.WriteString(l)
	}
	if len(lines) <= head+tail {
		for _, l := range lines {
			add(l)
		}
		return b.String()
	}
	for _, l := range lines[:head] {
		add(l)
	}
	add(fmt.Sprintf("… %d lines left out …", len(lines)-head-tail))
	for _, l := range lines[len(lines)-tail:] {
		add(l)
	}
	return b.String()
}
