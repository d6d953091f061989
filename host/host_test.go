package host_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/testutil"
)

func newRuntime(t *testing.T) (*host.Runtime, *testutil.SyncBuffer) {
	t.Helper()
	logs := &testutil.SyncBuffer{}
	rt, err := host.NewRuntime(context.Background(), host.RuntimeConfig{
		CacheDir:   cacheDir(t),
		Interfaces: []abi.Interface{kv.WIT(), vars.WIT()},
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt, logs
}

func cacheDir(t *testing.T) string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return d + "/bindery-test/wazero"
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newWorker(t *testing.T, rt *host.Runtime, name string, mutate func(*host.WorkerConfig)) *host.Worker {
	t.Helper()
	cfg := host.WorkerConfig{Name: name, Wasm: fixture(t, name+".wasm"), RequestTimeout: 2 * time.Second, MemoryLimit: 64 << 20}
	if mutate != nil {
		mutate(&cfg)
	}
	w, err := rt.NewWorker(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	return w
}

func do(h http.Handler, method, path string, body io.Reader) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, body))
	return rec
}

func TestHello(t *testing.T) {
	rt, _ := newRuntime(t)
	w := newWorker(t, rt, "hello", nil)
	for i := 0; i < 3; i++ {
		rec := do(w, "GET", "/hello", nil)
		if rec.Code != 200 || rec.Body.String() != "hello from wat" {
			t.Fatalf("got %d %q", rec.Code, rec.Body.String())
		}
	}
	if n := w.Stats().Instantiated; n != 1 {
		t.Errorf("instances created = %d, want 1 (reuse)", n)
	}
}

func TestEchoStreamsLargeBody(t *testing.T) {
	rt, _ := newRuntime(t)
	w := newWorker(t, rt, "echo", nil)
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	rec := do(w, "POST", "/echo", bytes.NewReader(body))
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), body) {
		t.Fatalf("got %d, %d bytes, want 200 and the %d bytes sent", rec.Code, rec.Body.Len(), len(body))
	}
}

func TestStdoutLogged(t *testing.T) {
	rt, logs := newRuntime(t)
	w := newWorker(t, rt, "stdout", nil)
	if rec := do(w, "GET", "/", nil); rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	for _, want := range []string{"log line from wat", "stream=stdout", "error line", "stream=stderr", "worker=stdout"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestBadModules(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		wantErr string
	}{
		{"not wasm", "notwasm.wasm", "not a WebAssembly module"},
		{"truncated", "truncated.wasm", "invalid WebAssembly"},
		{"no handler export", "noexport.wasm", `does not export "bindery:http/handler@0.1.0#handle"`},
		{"unknown import", "missingimport.wasm", `imports "bindery:nosuch/thing@0.1.0" "f"`},
		{"initial memory over the limit", "bigmem.wasm", `memory "memory" starts at 187.5 MiB (3000 pages of 64 KiB), more than the memory limit of 128 MiB`},
		{"handler with the wrong signature", "badsig.wasm", `export "bindery:http/handler@0.1.0#handle" has the signature (i32, i32), want (i32, i32, i32, i32, i32, i32, i32, i32)`},
		{"no cabi_realloc", "norealloc.wasm", "does not export cabi_realloc"},
	}
	rt, _ := newRuntime(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rt.NewWorker(context.Background(), host.WorkerConfig{Name: tc.name, Wasm: fixture(t, tc.file)})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.name) {
				t.Errorf("err = %v does not name the worker %q", err, tc.name)
			}
		})
	}
}

// TestMemoryLimitBelowInitialMemory: a limit smaller than what the module
// starts with is a start-up error naming both, never a panic.
func TestMemoryLimitBelowInitialMemory(t *testing.T) {
	rt, _ := newRuntime(t)
	_, err := rt.NewWorker(context.Background(), host.WorkerConfig{Name: "tiny", Wasm: fixture(t, "hello.wasm"), MemoryLimit: 32 << 10})
	want := `memory "memory" starts at 64 KiB (1 pages of 64 KiB), more than the memory limit of 32 KiB`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
}

// TestBadGuests runs misbehaving guests: each request fails with a 500 and
// a logged reason, the instance is discarded, and the host keeps serving.
func TestBadGuests(t *testing.T) {
	tests := []struct {
		name    string
		wantLog string
	}{
		{"trap", "unreachable"},
		{"loop", "deadline exceeded: stopped before it finished"},
		{"membomb", "unreachable"},
		{"oob", "out of bounds"},
		{"badutf8", "not valid UTF-8"},
		{"badhandle", "handle 12345 is not a live"},
	}
	rt, logs := newRuntime(t)
	hello := newWorker(t, rt, "hello", nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorker(t, rt, tc.name, func(c *host.WorkerConfig) {
				c.RequestTimeout = 300 * time.Millisecond
				c.Bindings = []host.Binding{kv.NewBinding(nil)}
			})
			for i := 0; i < 2; i++ {
				rec := do(w, "GET", "/", nil)
				if rec.Code != 500 {
					t.Fatalf("status %d %q, want 500", rec.Code, rec.Body.String())
				}
			}
			if !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("logs lack %q:\n%s", tc.wantLog, logs)
			}
			if d := w.Stats().Discarded; d != 2 {
				t.Errorf("discarded %d instances, want 2", d)
			}
			if rec := do(hello, "GET", "/", nil); rec.Code != 200 {
				t.Errorf("hello after %s: %d", tc.name, rec.Code)
			}
		})
	}
}

// TestInitializeStopped: a Worker whose _initialize never returns is
// stopped when NewWorker's context ends (a deadline here; Ctrl-C while
// bindery dev starts), the error says so rather than showing the stop's
// trap, and the runtime goes on serving other Workers.
func TestInitializeStopped(t *testing.T) {
	rt, _ := newRuntime(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	w, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "initloop", Wasm: fixture(t, "initloop.wasm")})
	if err == nil {
		w.Close(context.Background())
		t.Fatal("NewWorker returned a Worker whose _initialize never ends")
	}
	for _, want := range []string{`worker "initloop"`, "_initialize: stopped before it finished", "deadline exceeded"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "unreachable") || strings.Contains(err.Error(), "wasm stack trace") {
		t.Errorf("error shows the stop's trap: %q", err)
	}
	hello := newWorker(t, rt, "hello", nil)
	if rec := do(hello, "GET", "/", nil); rec.Code != 200 {
		t.Fatalf("hello after the stopped Worker: %d %q", rec.Code, rec.Body.String())
	}
}
