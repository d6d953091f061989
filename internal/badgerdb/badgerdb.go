// Package badgerdb opens the one Badger v4 database a bindery host keeps its
// state in, and runs its value-log garbage collection.
//
// # Notes
//
// Badger allows one open handle per directory: a second Open of the same
// directory, even in the same process, fails with a [*LockedError]. Open the
// DB once per host and share the handle (it is safe for concurrent use);
// tools that need the data must go through the running host.
package badgerdb

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// DefaultGCInterval is how often [RunGC] runs when given a non-positive
// interval.
const DefaultGCInterval = 5 * time.Minute

// gcDiscardRatio is the fraction of a value-log file that must be garbage
// before GC rewrites it.
const gcDiscardRatio = 0.5

// LockedError is returned by [Open] when another process (or another Open in
// this process) holds the Badger directory lock of the state dir.
type LockedError struct {
	// Dir is the state directory.
	Dir string
	// Err is Badger's original error.
	Err error
}

// Error implements error.
func (e *LockedError) Error() string {
	return fmt.Sprintf("state dir %s is in use by another bindery process (Badger lock): stop it or use its admin API: %v", e.Dir, e.Err)
}

// Unwrap returns Badger's original error.
func (e *LockedError) Unwrap() error { return e.Err }

// Open opens (creating it if needed) the Badger database in dir with options
// for a development server: Badger's log goes to logger at WARN and above
// (nil discards it), and SyncWrites is off, so a write survives a process
// crash but not a power loss. When dir is locked by another process the
// error is a [*LockedError].
func Open(dir string, logger *slog.Logger) (*badger.DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := badger.DefaultOptions(dir).
		WithLogger(slogLogger{l: logger}).
		WithSyncWrites(false)
	db, err := badger.Open(opts)
	if err != nil {
		// Badger formats the flock error with %+v, not %w, so only the
		// message identifies it.
		if strings.Contains(err.Error(), "Another process is using this Badger database") {
			return nil, &LockedError{Dir: dir, Err: err}
		}
		return nil, fmt.Errorf("badgerdb: open %s: %w", dir, err)
	}
	return db, nil
}

// RunGC runs Badger's value-log garbage collection every interval
// (DefaultGCInterval if interval <= 0) until ctx is done, and then returns.
// Each round rewrites value-log files while at least half of one is
// garbage. Start it in its own goroutine and cancel ctx before closing db.
func RunGC(ctx context.Context, db *badger.DB, every time.Duration) {
	if every <= 0 {
		every = DefaultGCInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if db.IsClosed() {
			return
		}
		collect(ctx, db)
	}
}

// collect runs one round of value-log GC and returns how many value-log
// files it rewrote. Badger's nil means a file was rewritten: it tries
// again until nothing is left (ErrNoRewrite), GC is busy (ErrRejected),
// db failed or ctx is done.
func collect(ctx context.Context, db *badger.DB) int {
	n := 0
	for ctx.Err() == nil && db.RunValueLogGC(gcDiscardRatio) == nil {
		n++
	}
	return n
}

// slogLogger adapts a *slog.Logger to badger.Logger. Badger's Info and
// Debug messages are dropped: they are chatty and only useful when
// debugging Badger itself.
type slogLogger struct{ l *slog.Logger }

var _ badger.Logger = slogLogger{}

// Errorf implements badger.Logger.
func (s slogLogger) Errorf(format string, args ...any) {
	s.l.Error(badgerMessage(format, args), "component", "badger")
}

// Warningf implements badger.Logger.
func (s slogLogger) Warningf(format string, args ...any) {
	s.l.Warn(badgerMessage(format, args), "component", "badger")
}

// Infof implements badger.Logger; it discards the message.
func (slogLogger) Infof(string, ...any) {}

// Debugf implements badger.Logger; it discards the message.
func (slogLogger) Debugf(string, ...any) {}

// badgerMessage formats a Badger log line without its trailing newline.
func badgerMessage(format string, args []any) string {
	return strings.TrimRight(fmt.Sprintf(format, args...), "\n")
}
