package jsbuild_test

import (
	"bytes"
	"context"
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
	"github.com/bindery-run/bindery/internal/jsbuild"
	"github.com/bindery-run/bindery/internal/jsbuild/jstest"
	"github.com/bindery-run/bindery/internal/testutil"
)

// toolchain returns the JavaScript toolchain in the user cache, or skips
// (fails, when js is required) without node.
func toolchain(t *testing.T) *jsbuild.Toolchain {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the JavaScript toolchain")
	}
	_, err := testutil.ProbeNode()
	testutil.NeedToolchain(t, err)
	var progress bytes.Buffer
	tc, err := jsbuild.EnsureToolchain(context.Background(), "", &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	return tc
}

func runtime(t testing.TB, logs *testutil.SyncBuffer) *host.Runtime {
	t.Helper()
	cache, _ := os.UserCacheDir()
	rt, err := host.NewRuntime(context.Background(), host.RuntimeConfig{
		CacheDir:   filepath.Join(cache, "bindery-test", "wazero"),
		Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cacheapi.WIT(), d1.WIT(), durablehost.ClientWIT(), durablehost.StateWIT(), queuehost.ProducerWIT()},
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

// TestHelloJS builds examples/hello-js from its source and serves it: the
// engine comes from the cache, the bundle is evaluated by the host's
// pre-initialisation, and a change to the script needs no new compile.
func TestHelloJS(t *testing.T) {
	tc := toolchain(t)
	ctx := context.Background()
	logs := &testutil.SyncBuffer{}
	rt := runtime(t, logs)
	src := filepath.Join(testutil.RepoRoot(t), "examples", "hello-js", "worker.js")
	v, err := vars.New(map[string]vars.Var{"GREETING": {Kind: vars.Text, Value: "howdy"}})
	if err != nil {
		t.Fatal(err)
	}
	serve := func(entry string) (*host.Worker, time.Duration) {
		start := time.Now()
		w, err := tc.Build(ctx, jsbuild.Options{Entry: entry, Dev: true})
		if err != nil {
			t.Fatal(err)
		}
		hw, err := rt.NewWorker(ctx, host.WorkerConfig{
			Name: "hello-js", Wasm: w.Wasm, Init: w.Init,
			Bindings: []host.Binding{v, kv.NewBinding(map[string]*kv.Namespace{"STORE": kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil)})},
		})
		if err != nil {
			t.Fatalf("%v\nlogs:\n%s", err, logs)
		}
		t.Cleanup(func() { hw.Close(ctx) })
		return hw, time.Since(start)
	}
	w, took := serve(src)
	t.Logf("first build and start: %v", took)
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/hello", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "howdy") {
		t.Fatalf("GET /hello: %d %q\nlogs:\n%s", rec.Code, rec.Body, logs)
	}
	// An edit: the same engine, a new bundle.
	edited := filepath.Join(t.TempDir(), "worker.js")
	b, _ := os.ReadFile(src)
	os.WriteFile(edited, bytes.ReplaceAll(b, []byte("env.GREETING"), []byte("'edited ' + env.GREETING")), 0o644)
	w, took = serve(edited)
	t.Logf("edit to serving: %v", took)
	rec = httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/hello", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "edited howdy") {
		t.Fatalf("GET /hello after the edit: %d %q", rec.Code, rec.Body)
	}
}

// TestLogsPointAtSources: console.error(err) is one record at level ERROR
// whose stack frames name the TypeScript source's lines; an uncaught
// error is one failure record, mapped too; a script that throws while it
// is evaluated fails NewWorker with the source position.
func TestLogsPointAtSources(t *testing.T) {
	tc := toolchain(t)
	ctx := context.Background()
	logs := &testutil.SyncBuffer{}
	rt := runtime(t, logs)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "src"), 0o755)
	src := `// line 1
function inner(n: number): never {
  throw new Error("deep failure " + n);
}
export default {
  async fetch(req: Request): Promise<Response> {
    if (new URL(req.url).pathname === "/throw") inner(2);
    try {
      inner(1);
    } catch (e) {
      console.error("caught:", e);
    }
    console.log("multi\nline", { a: [1, 2] });
    return new Response("ok");
  },
};
`
	os.WriteFile(filepath.Join(dir, "src", "index.ts"), []byte(src), 0o644)
	w, err := tc.Build(ctx, jsbuild.Options{Entry: filepath.Join(dir, "src", "index.ts"), ProjectDir: dir, Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	hw, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "maps", Wasm: w.Wasm, Init: w.Init, MapText: w.MapText})
	if err != nil {
		t.Fatal(err)
	}
	defer hw.Close(ctx)
	rec := httptest.NewRecorder()
	hw.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /: %d %q", rec.Code, rec.Body)
	}
	var errRec, logRec string
	for _, l := range strings.Split(logs.String(), "\n") {
		switch {
		case strings.Contains(l, "caught:"):
			errRec = l
		case strings.Contains(l, "multi"):
			logRec = l
		}
	}
	for _, want := range []string{"level=ERROR", "Error: deep failure 1", "at inner (src/index.ts:3:", "at fetch (src/index.ts:9:", "stream=console"} {
		if !strings.Contains(errRec, want) {
			t.Errorf("the console.error record lacks %q: %s", want, errRec)
		}
	}
	if !strings.Contains(logRec, `multi\nline { a: [ 1, 2 ] }`) || !strings.Contains(logRec, "level=INFO") {
		t.Errorf("the console.log record: %s", logRec)
	}
	logs.Reset()
	rec = httptest.NewRecorder()
	hw.ServeHTTP(rec, httptest.NewRequest("GET", "/throw", nil))
	if rec.Code != 500 || !strings.Contains(logs.String(), "Uncaught Error: deep failure 2") || !strings.Contains(logs.String(), "at inner (src/index.ts:3:") {
		t.Errorf("uncaught: %d, logs:\n%s", rec.Code, logs)
	}

	os.WriteFile(filepath.Join(dir, "src", "index.ts"), []byte("// one\nconst x: number = 1;\nthrow new TypeError('top-level ' + x);\nexport default {};\n"), 0o644)
	w, err = tc.Build(ctx, jsbuild.Options{Entry: filepath.Join(dir, "src", "index.ts"), ProjectDir: dir, Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = rt.NewWorker(ctx, host.WorkerConfig{Name: "throws", Wasm: w.Wasm, Init: w.Init, MapText: w.MapText})
	if err == nil || !strings.Contains(err.Error(), "top-level 1") || !strings.Contains(err.Error(), "src/index.ts:3:") {
		t.Errorf("a script that throws: %v", err)
	}
}

// TestJSMemoryBounded moves 300 MiB through one JavaScript instance (256 KiB
// request bodies into KV and KV values out, the bytes crossing the
// canonical ABI both ways) and checks that its linear memory stays
// bounded: a buffer the glue or the SDK failed to free would grow it by
// the traffic.
func TestJSMemoryBounded(t *testing.T) {
	js := jstest.Build(t, filepath.Join(testutil.RepoRoot(t), "bench", "guests", "kv-rest-js", "worker.js"))
	ctx := context.Background()
	rt := runtime(t, &testutil.SyncBuffer{})
	w, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "memory-js", Wasm: js.Wasm, Init: js.Init, MaxInstances: 1,
		Bindings: []host.Binding{kv.NewBinding(map[string]*kv.Namespace{"STORE": kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil)})}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx)
	body := bytes.Repeat([]byte{'x'}, 256<<10)
	for i := range 600 {
		method, want := "PUT", 204
		if i%2 == 1 {
			method, want = "GET", 200
		}
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest(method, "/kv/k", bytes.NewReader(body)))
		if rec.Code != want || (want == 200 && rec.Body.Len() != len(body)) {
			t.Fatalf("request %d: %s /kv/k: %d, %d bytes", i, method, rec.Code, rec.Body.Len())
		}
	}
	if n := w.Stats().Instantiated; n != 1 {
		t.Fatalf("%d instances, want the one", n)
	}
	if peak := w.Stats().PeakMemory; peak > 128<<20 {
		t.Errorf("linear memory grew to %d MiB over 300 MiB of traffic", peak>>20)
	}
}

// TestUnicodeWorker: a Worker with \p{…} in regular expression literals
// starts (the engine would refuse them) and matches as V8 does; an error
// thrown after a literal on the same line still points at its source
// column; only a Worker that names Intl gets the SDK's Intl.
func TestUnicodeWorker(t *testing.T) {
	tc := toolchain(t)
	ctx := context.Background()
	logs := &testutil.SyncBuffer{}
	rt := runtime(t, logs)
	dir := t.TempDir()
	src := `const words = (s: string) => s.match(/\p{L}+/gu) ?? [];
export default {
  async fetch(req: Request): Promise<Response> {
    const q = new URL(req.url).searchParams.get("q") ?? "";
    if (q === "throw") { /\p{Lu}/u.test(q); throw new Error("after " + q); }
    return new Response(words(q).join("|") + " " + q.normalize("NFD").length);
  },
};
`
	os.WriteFile(filepath.Join(dir, "index.ts"), []byte(src), 0o644)
	w, err := tc.Build(ctx, jsbuild.Options{Entry: filepath.Join(dir, "index.ts"), ProjectDir: dir, Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(w.Bundle.Code), `/\p{L}+/gu`) || strings.Contains(string(w.Bundle.Code), `/\p{Lu}/u`) {
		t.Error("a literal's property escape is left in the bundle")
	}
	hw, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "unicode", Wasm: w.Wasm, Init: w.Init, MapText: w.MapText})
	if err != nil {
		t.Fatal(err)
	}
	defer hw.Close(ctx)
	rec := httptest.NewRecorder()
	hw.ServeHTTP(rec, httptest.NewRequest("GET", "/?q=h%C3%A9llo,+w%C3%B6rld+42", nil))
	if got, want := rec.Body.String(), "héllo|wörld 17"; rec.Code != 200 || got != want {
		t.Errorf("GET: %d %q, want %q", rec.Code, got, want)
	}
	rec = httptest.NewRecorder()
	hw.ServeHTTP(rec, httptest.NewRequest("GET", "/?q=throw", nil))
	// Column 51 of line 5: new Error, after the literal.
	if rec.Code != 500 || !strings.Contains(logs.String(), "after throw") || !strings.Contains(logs.String(), "index.ts:5:") {
		t.Errorf("throw after a literal: %d, log:\n%s", rec.Code, logs)
	}
	if i := strings.Index(logs.String(), "index.ts:5:"); i >= 0 {
		col := strings.TrimLeft(logs.String()[i+len("index.ts:5:"):], "0123456789")
		col = logs.String()[i+len("index.ts:5:") : len(logs.String())-len(col)]
		if col != "51" {
			t.Errorf("the throw maps to column %s of line 5, want 51 (new Error)", col)
		}
	}
	for _, s := range []string{"bindery/intl-full.js", "intl-numberformat"} {
		if strings.Contains(string(w.Bundle.SourceMap), s) {
			t.Errorf("a Worker that uses no Intl got %s", s)
		}
	}

	os.WriteFile(filepath.Join(dir, "index.ts"), []byte(`export default { fetch: () => new Response(new Intl.NumberFormat("de").format(1234.5)) };`), 0o644)
	w, err = tc.Build(ctx, jsbuild.Options{Entry: filepath.Join(dir, "index.ts"), ProjectDir: dir, Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(w.Bundle.SourceMap), "bindery/intl-full.js") {
		t.Error("a Worker that uses Intl did not get the SDK's")
	}
	hw2, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "intl", Wasm: w.Wasm, Init: w.Init, MapText: w.MapText})
	if err != nil {
		t.Fatal(err)
	}
	defer hw2.Close(ctx)
	rec = httptest.NewRecorder()
	hw2.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Body.String() != "1.234,5" {
		t.Errorf("NumberFormat de: %d %q", rec.Code, rec.Body)
	}
}
