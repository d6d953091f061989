package badgerdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// syncBuffer is a bytes.Buffer safe for Badger's background goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	_, err = Open(dir, nil)
	var locked *LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("second Open = %v, want a *LockedError", err)
	}
	if locked.Dir != dir || locked.Err == nil {
		t.Fatalf("LockedError = %+v", locked)
	}
	want := "state dir " + dir + " is in use by another bindery process (Badger lock): stop it or use its admin API: "
	if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "Another process is using this Badger database") {
		t.Fatalf("error = %q, want it to start with %q and keep Badger's message", err, want)
	}
}

func TestOpenOtherError(t *testing.T) {
	// A regular file where the directory should be.
	file := t.TempDir() + "/file"
	if err := writeFile(file); err != nil {
		t.Fatal(err)
	}
	_, err := Open(file, nil)
	var locked *LockedError
	if err == nil || errors.As(err, &locked) {
		t.Fatalf("Open(file) = %v, want a non-lock error", err)
	}
}

func TestLogger(t *testing.T) {
	var buf syncBuffer
	l := slogLogger{l: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Debugf("debug %d\n", 1)
	l.Infof("info %d\n", 2)
	l.Warningf("warn %d\n", 3)
	l.Errorf("error %d\n", 4)
	out := buf.String()
	for _, want := range []string{`level=WARN msg="warn 3" component=badger`, `level=ERROR msg="error 4" component=badger`} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
	if strings.Contains(out, "info 2") || strings.Contains(out, "debug 1") {
		t.Errorf("log %q has Badger's info or debug lines", out)
	}
}

func TestOpenLogsToSlog(t *testing.T) {
	var buf syncBuffer
	db, err := Open(t.TempDir(), slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Opening and closing logs only at INFO and below.
	if out := buf.String(); out != "" {
		t.Fatalf("unexpected log output %q", out)
	}
}

func TestRunGC(t *testing.T) {
	db, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		RunGC(ctx, db, time.Millisecond)
		close(done)
	}()
	time.Sleep(20 * time.Millisecond) // a few rounds with nothing to collect
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunGC did not return after ctx was cancelled")
	}
}

// gcKeys and gcValue make 2 MiB of values, two value-log files' worth.
const gcKeys = 64

var gcValue = bytes.Repeat([]byte("v"), 32<<10)

// openGCDB opens a Badger DB in dir whose value-log files are 1 MiB (Open's
// are 1 GiB: GC would need gigabytes of garbage), whose values of 1 KiB or
// more go to the value log, and whose level 0 is compacted as soon as it
// holds a second table, so that compaction finds the overwritten values
// and records them as the value log's garbage.
func openGCDB(t *testing.T, dir string) *badger.DB {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).
		WithLogger(nil).
		WithValueLogFileSize(1 << 20).
		WithValueThreshold(1 << 10).
		WithNumLevelZeroTables(1))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// fillGCDB writes every key of gcKeys with gcValue rounds times, closing
// and reopening the DB after each round (which flushes the memtable to a
// level-0 table and starts a new value-log file), then compacts: every
// round but the last is garbage in the value log.
func fillGCDB(t *testing.T, dir string, rounds int) *badger.DB {
	t.Helper()
	db := openGCDB(t, dir)
	for range rounds {
		for i := range gcKeys {
			if err := db.Update(func(txn *badger.Txn) error { return txn.Set(fmt.Appendf(nil, "k%03d", i), gcValue) }); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db = openGCDB(t, dir)
	}
	// Badger marks its read watermark done up to the last commit when it
	// opens (db.go: readMark.Done(nextTxnTs)), but a goroutine applies
	// the mark: a compaction that runs before it has (a loaded machine)
	// sees an older watermark, keeps every version and records no
	// garbage. Let the mark land before Flatten.
	time.Sleep(time.Second)
	if err := db.Flatten(1); err != nil {
		t.Fatal(err)
	}
	return db
}

// vlogFiles returns how many value-log files dir holds and their size.
func vlogFiles(t *testing.T, dir string) (n int, size int64) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.vlog"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil { // GC may delete it meanwhile
			n++
			size += fi.Size()
		}
	}
	return n, size
}

// checkGCValues fails unless every key still reads back gcValue.
func checkGCValues(t *testing.T, db *badger.DB) {
	t.Helper()
	err := db.View(func(txn *badger.Txn) error {
		for i := range gcKeys {
			item, err := txn.Get(fmt.Appendf(nil, "k%03d", i))
			if err != nil {
				return err
			}
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			if !bytes.Equal(v, gcValue) {
				return fmt.Errorf("k%03d has %d bytes, want %d", i, len(v), len(gcValue))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("after GC: %v", err)
	}
}

// TestCollect: one round of GC rewrites the value-log files that are mostly
// garbage, and only those, and every live value survives it.
func TestCollect(t *testing.T) {
	tests := []struct {
		name   string
		rounds int // how many times every key is written
		// rewrites is whether the round must rewrite at least one file.
		rewrites bool
	}{
		{"no garbage", 1, false},
		{"half garbage", 2, true},
		{"two thirds garbage", 3, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := fillGCDB(t, dir, tc.rounds)
			defer db.Close()
			files, size := vlogFiles(t, dir)
			n := collect(context.Background(), db)
			afterFiles, afterSize := vlogFiles(t, dir)
			t.Logf("rewrote %d value-log files: %d files, %d bytes -> %d files, %d bytes", n, files, size, afterFiles, afterSize)
			if tc.rewrites {
				if n == 0 {
					t.Fatal("GC rewrote no value-log file")
				}
				if afterFiles >= files || afterSize >= size {
					t.Errorf("the value log did not shrink: %d files, %d bytes -> %d files, %d bytes", files, size, afterFiles, afterSize)
				}
			} else if n != 0 || afterFiles != files {
				t.Errorf("GC rewrote %d files without garbage (%d files -> %d)", n, files, afterFiles)
			}
			if again := collect(context.Background(), db); again != 0 {
				t.Errorf("a second round rewrote %d files; the first should have left nothing", again)
			}
			checkGCValues(t, db)
		})
	}
}

// TestRunGCReclaims: RunGC, on its own schedule, deletes the value-log files
// that hold only garbage, and the live values survive.
func TestRunGCReclaims(t *testing.T) {
	dir := t.TempDir()
	db := fillGCDB(t, dir, 2)
	defer db.Close()
	files, size := vlogFiles(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		RunGC(ctx, db, time.Millisecond)
		close(done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, s := vlogFiles(t, dir)
		if n < files && s < size {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("RunGC reclaimed nothing in 10 s: still %d value-log files, %d bytes", n, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunGC did not return after ctx was cancelled")
	}
	checkGCValues(t, db)
}

func TestRunGCStopsOnClosedDB(t *testing.T) {
	db, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		RunGC(context.Background(), db, time.Millisecond)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunGC did not return for a closed DB")
	}
}

// writeFile creates a small regular file at path.
func writeFile(path string) error {
	return os.WriteFile(path, []byte("not a directory"), 0o600)
}
