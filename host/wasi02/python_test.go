package wasi02_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	cacheapi "github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/durablehost"
	"github.com/bindery-run/bindery/internal/testutil"
)

// buildPython builds examples/hello-py with guest-sdk/python, or skips the
// test when componentize-py 0.25.1 is missing (fails when python is
// required: testutil.NeedToolchain).
func buildPython(t *testing.T) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: building a Python Worker takes ~20 s")
	}
	start := time.Now()
	out := testutil.BuildPythonGuest(t, "examples/hello-py/worker.py")
	t.Logf("build (componentize-py, cached by its inputs): %v", time.Since(start).Round(time.Millisecond))
	wasm, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}

// TestPythonWorker serves examples/hello-py, a componentize-py component,
// through host.Worker: print reaches the Worker's log, the clocks and
// os.urandom work, KV works, and a warm compilation cache makes a new
// Worker fast.
func TestPythonWorker(t *testing.T) {
	wasm := buildPython(t)
	ctx := context.Background()
	cache := filepath.Join(userCache(), "bindery-test", "wazero")
	logs := &logBuffer{}
	v, err := vars.New(map[string]vars.Var{"GREETING": {Kind: vars.Text, Value: "howdy"}})
	if err != nil {
		t.Fatal(err)
	}
	store := kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil)
	newWorker := func() (*host.Worker, time.Duration) {
		rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
			CacheDir:   cache,
			Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cacheapi.WIT(), d1.WIT(), durablehost.ClientWIT(), durablehost.StateWIT()},
			Logger:     slog.New(slog.NewTextHandler(logs, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rt.Close(ctx) })
		start := time.Now()
		w, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "hello-py", Wasm: wasm,
			Bindings: []host.Binding{v, kv.NewBinding(map[string]*kv.Namespace{"STORE": store})}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close(ctx) })
		return w, time.Since(start)
	}
	newWorker() // fills the cache on the first run
	w, warm := newWorker()
	t.Logf("%d-byte component: new Worker %v with the cache", len(wasm), warm.Round(time.Millisecond))
	if warm > 10*time.Second {
		t.Errorf("new Worker took %v with a warm cache: is the compilation cache used?", warm)
	}
	do := func(method, path, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		return rec
	}
	if rec := do("GET", "/hello", ""); rec.Code != 200 || rec.Body.String() != "howdy from python\n" || rec.Header().Get("Content-Type") != "text/plain" {
		t.Fatalf("GET /hello: %d %q %v\nlog:\n%s", rec.Code, rec.Body, rec.Header(), logs)
	}
	if !strings.Contains(logs.String(), "hello-py: GET /hello at 20") || !strings.Contains(logs.String(), "worker=hello-py") {
		t.Errorf("print did not reach the Worker's log with the date:\n%s", logs)
	}
	if rec := do("PUT", "/kv/greeting", "hi there"); rec.Code != 204 {
		t.Errorf("PUT /kv/greeting: %d %q", rec.Code, rec.Body)
	}
	if rec := do("GET", "/kv/greeting", ""); rec.Code != 200 || rec.Body.String() != "hi there" {
		t.Errorf("GET /kv/greeting: %d %q", rec.Code, rec.Body)
	}
	if rec := do("GET", "/kv/missing", ""); rec.Code != 404 {
		t.Errorf("GET /kv/missing: %d", rec.Code)
	}
	seen := map[string]bool{}
	for range 3 {
		var got struct {
			Now    int64  `json:"now"`
			Random string `json:"random"`
		}
		rec := do("GET", "/random", "")
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("GET /random: %d %q: %v", rec.Code, rec.Body, err)
		}
		if d := time.Since(time.UnixMilli(got.Now)); d < 0 || d > time.Minute {
			t.Errorf("time.time() = %d, %v from now", got.Now, d)
		}
		if len(got.Random) != 32 || seen[got.Random] {
			t.Errorf("os.urandom: %q (seen before: %v)", got.Random, seen[got.Random])
		}
		seen[got.Random] = true
	}
	const n = 200
	start := time.Now()
	for range n {
		if rec := do("GET", "/hello", ""); rec.Code != 200 {
			t.Fatalf("GET /hello: %d", rec.Code)
		}
	}
	t.Logf("GET /hello: %v a request (%d requests, one instance)", (time.Since(start) / n).Round(time.Microsecond), n)
}
