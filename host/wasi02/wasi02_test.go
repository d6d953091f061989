package wasi02_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/wasi02"
)

// logBuffer collects log records.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newWorker(t *testing.T, wasmPath string, logs *logBuffer) *host.Worker {
	t.Helper()
	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		t.Fatal(err)
	}
	w, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "wasi", Wasm: wasm})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(ctx) })
	return w
}

// TestWASI runs testdata/wasi.wat, which calls clocks, poll, random,
// stdin, stdout, environment and preopens, and checks what it saw.
func TestWASI(t *testing.T) {
	logs := &logBuffer{}
	w := newWorker(t, "testdata/wasi.wasm", logs)
	before := time.Now()
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || rec.Body.Len() != 64 {
		t.Fatalf("status %d, body %d bytes: %q; log:\n%s", rec.Code, rec.Body.Len(), rec.Body.Bytes(), logs)
	}
	b := rec.Body.Bytes()
	u64 := func(off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
	u32 := func(off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
	if d := time.Duration(u64(8) - u64(0)); d < 2*time.Millisecond || d > 2*time.Second {
		t.Errorf("monotonic clock moved %v across a 2 ms poll", d)
	}
	if u32(36) != 0 {
		t.Errorf("a 2 ms timer was ready at once")
	}
	if u32(32) != 1 {
		t.Errorf("poll returned %d ready pollables, want 1", u32(32))
	}
	if s := int64(u64(16)); s < before.Unix()-1 || s > time.Now().Unix()+1 {
		t.Errorf("wall clock %d, want about %d", s, before.Unix())
	}
	if u32(28) != 16 {
		t.Errorf("random bytes: %d, want 16", u32(28))
	}
	if b[40] != 1 || b[44] != 1 {
		t.Errorf("stdin read: result tag %d, stream-error tag %d, want err(closed) = 1, 1", b[40], b[44])
	}
	if u32(48) != 0 || u32(52) != 0 {
		t.Errorf("environment has %d entries and there are %d preopens, want none", u32(48), u32(52))
	}
	if b[56] != 0 {
		t.Errorf("stdout write failed")
	}
	if !strings.Contains(logs.String(), "hello from wasi stdout") {
		t.Errorf("stdout did not reach the log:\n%s", logs)
	}
}

// TestExit: wasi:cli/exit ends the request as a trap; the host answers 500
// and the next request gets a new instance.
func TestExit(t *testing.T) {
	logs := &logBuffer{}
	w := newWorker(t, "testdata/wasi.wasm", logs)
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/exit", nil))
	if rec.Code != 500 {
		t.Fatalf("exit: status %d, want 500", rec.Code)
	}
	if !strings.Contains(logs.String(), "exit_code(1)") {
		t.Errorf("log does not name the exit code:\n%s", logs)
	}
	rec = httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 {
		t.Fatalf("after exit: status %d, want 200", rec.Code)
	}
	if got := w.Stats().Discarded; got != 1 {
		t.Errorf("%d instances discarded, want 1", got)
	}
}

// TestInterfaces: every interface at every patch version, once.
func TestInterfaces(t *testing.T) {
	seen := map[string]bool{}
	for _, i := range wasi02.Interfaces(nil) {
		if seen[i.Name] {
			t.Errorf("%s twice", i.Name)
		}
		seen[i.Name] = true
	}
	for _, want := range []string{"wasi:io/poll@0.2.0", "wasi:io/streams@0.2.10", "wasi:clocks/monotonic-clock@0.2.12", "wasi:random/random@0.2.3"} {
		if !seen[want] {
			t.Errorf("%s is not served", want)
		}
	}
}
