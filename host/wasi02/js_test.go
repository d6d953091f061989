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
	"github.com/bindery-run/bindery/host/queuehost"
	"github.com/bindery-run/bindery/internal/jsbuild/jstest"
)

// buildJS builds examples/hello-js from its source as bindery dev does
// (internal/jsbuild: an esbuild bundle, and the JavaScript engine that the
// host pre-initialises with it), or skips the test when node is missing
// (fails when js is required: testutil.NeedToolchain).
func buildJS(t *testing.T) ([]byte, *host.InitConfig) {
	t.Helper()
	start := time.Now()
	w := jstest.Build(t, "../../examples/hello-js/worker.js")
	t.Logf("build (esbuild bundle; the engine from the cache): %v", time.Since(start).Round(time.Millisecond))
	return w.Wasm, w.Init
}

func userCache() string {
	if d, err := os.UserCacheDir(); err == nil {
		return d
	}
	return os.TempDir()
}

// TestJSWorker serves GET /hello from a JavaScript Worker through
// host.Worker: Date.now, crypto.getRandomValues and console.log work, and
// the compilation cache makes the second compile fast.
func TestJSWorker(t *testing.T) {
	wasm, init := buildJS(t)
	ctx := context.Background()
	// The compilation cache outlives the test, so repeated runs are fast;
	// BINDERY_JS_COLD=1 measures a compile with an empty cache too.
	cache := filepath.Join(userCache(), "bindery-test", "wazero")
	logs := &logBuffer{}
	v, err := vars.New(map[string]vars.Var{"GREETING": {Kind: vars.Text, Value: "howdy"}})
	if err != nil {
		t.Fatal(err)
	}
	newWorker := func() (*host.Worker, time.Duration) {
		rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
			CacheDir:   cache,
			Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cacheapi.WIT(), d1.WIT(), durablehost.ClientWIT(), durablehost.StateWIT(), queuehost.ProducerWIT()},
			Logger:     slog.New(slog.NewTextHandler(logs, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rt.Close(ctx) })
		start := time.Now()
		w, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "hello-js", Wasm: wasm, Init: init, Bindings: []host.Binding{v}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close(ctx) })
		return w, time.Since(start)
	}
	if os.Getenv("BINDERY_JS_COLD") != "" {
		cache = t.TempDir()
		_, cold := newWorker()
		t.Logf("%d-byte module: new Worker %v with an empty cache", len(wasm), cold.Round(time.Millisecond))
	} else {
		newWorker() // fills the cache on the first run
	}
	w, warm := newWorker()
	t.Logf("%d-byte module: new Worker %v with the cache", len(wasm), warm.Round(time.Millisecond))
	if warm > 5*time.Second {
		t.Errorf("new Worker took %v with a warm cache: is the compilation cache used?", warm)
	}

	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/hello", nil))
	if rec.Code != 200 || rec.Body.String() != "howdy from js\n" || rec.Header().Get("Content-Type") != "text/plain" {
		t.Fatalf("GET /hello: %d %q %v\nlog:\n%s", rec.Code, rec.Body, rec.Header(), logs)
	}
	if !strings.Contains(logs.String(), "hello-js: GET /hello at 20") || !strings.Contains(logs.String(), "worker=hello-js") {
		t.Errorf("console.log did not reach the Worker's log with the date:\n%s", logs)
	}
	var got struct {
		Now    int64  `json:"now"`
		Random string `json:"random"`
	}
	seen := map[string]bool{}
	for range 3 {
		rec = httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("GET", "/random", nil))
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("GET /random: %d %q: %v", rec.Code, rec.Body, err)
		}
		if d := time.Since(time.UnixMilli(got.Now)); d < 0 || d > time.Minute {
			t.Errorf("Date.now() = %d, %v from now", got.Now, d)
		}
		if len(got.Random) != 32 || seen[got.Random] {
			t.Errorf("crypto.getRandomValues: %q (seen before: %v)", got.Random, seen[got.Random])
		}
		seen[got.Random] = true
	}

	const n = 200
	start := time.Now()
	for range n {
		rec = httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("GET", "/hello", nil))
		if rec.Code != 200 {
			t.Fatalf("GET /hello: %d", rec.Code)
		}
	}
	t.Logf("GET /hello: %v per request (%d sequential requests, console.log each)", (time.Since(start) / n).Round(time.Microsecond), n)
}
