package badgerdb

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
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
