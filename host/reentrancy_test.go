package host_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/kv/kvwit"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/durablehost"
	"github.com/bindery-run/bindery/host/queuehost"
	"github.com/bindery-run/bindery/internal/jsbuild/jstest"
	"github.com/bindery-run/bindery/internal/testutil"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// The re-entrancy spike of docs/durable-objects.md, "Execution model": can
// the host, inside a host call a guest made during an export call, call
// the same instance's export again, nested on the same goroutine, and
// then let the outer call go on? Each language's conformance Worker
// (its real SDK runtime) serves GET /kv/K with a KV get of K; the test's
// KV binding answers a get of "nest-D-K" by running GET /kv/nest-(D-1)-K
// nested in the same instance (which makes host calls of its own), down
// to "nest-0-K", a real get of K; "trap-K" runs GET /trap nested.

// reentrantLangs builds each language's conformance Worker: its wasm and,
// for JavaScript, the pre-initialisation. blocker, when set, is what the
// log says when the first nested request fails, for a language whose SDK
// cannot take one yet (docs/durable-objects.md, "Execution model" says why):
// the test checks that it still fails that way, so a fix shows up here.
var reentrantLangs = []struct {
	name    string
	blocker string
	build   func(t *testing.T) ([]byte, *host.InitConfig)
}{
	// The Go runtime takes nested calls (TestReentrantGoRuntime); the
	// SDK gives a nested request a ResponseWriter of its own (the outer
	// one keeps the shared buffer and header map).
	{"go", "", func(t *testing.T) ([]byte, *host.InitConfig) {
		return readWasm(t, testutil.BuildGoGuest(t, "conformance/go")), nil
	}},
	{"c", "", func(t *testing.T) ([]byte, *host.InitConfig) {
		return buildScript(t, "c", "guest-sdk/c/build.sh", "", "conformance/c/main.c", "conformance/c/durable.c"), nil
	}},
	{"rust", "", func(t *testing.T) ([]byte, *host.InitConfig) {
		return buildScript(t, "rust", "guest-sdk/rust/cargo-wasm", "conformance/rust"), nil
	}},
	{"zig", "", func(t *testing.T) ([]byte, *host.InitConfig) {
		return buildScript(t, "zig", "guest-sdk/zig/build.sh", "", "conformance/zig/main.zig"), nil
	}},
	{"assemblyscript", "", func(t *testing.T) ([]byte, *host.InitConfig) {
		return buildScript(t, "assemblyscript", "guest-sdk/assemblyscript/build.sh", "", "conformance/assemblyscript/index.ts"), nil
	}},
	// ComponentizeJS's embedding refuses a call while one is in
	// progress; StarlingMonkey's event loop refuses to run re-entrantly.
	{"js", "post_call was not called after last call", func(t *testing.T) ([]byte, *host.InitConfig) {
		w := jstest.Build(t, filepath.Join(testutil.RepoRoot(t), "conformance", "js", "worker.js"))
		return w.Wasm, w.Init
	}},
	{"python", "", func(t *testing.T) ([]byte, *host.InitConfig) {
		return readWasm(t, testutil.BuildPythonGuest(t, "conformance/python/worker.py")), nil
	}},
}

func readWasm(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// buildScript builds with an SDK's build script (its --probe decides
// whether the toolchain is there), run in dir (relative to the
// repository root; "" for the root) with args (files relative to it).
func buildScript(t *testing.T, toolchain, script, dir string, args ...string) []byte {
	t.Helper()
	_, err := testutil.ProbeScript(toolchain, script)
	testutil.NeedToolchain(t, err)
	root := testutil.RepoRoot(t)
	out := filepath.Join(t.TempDir(), toolchain+".wasm")
	argv := []string{filepath.Join(root, script), "-o", out}
	for _, a := range args {
		argv = append(argv, filepath.Join(root, a))
	}
	cmd := exec.Command("bash", argv...)
	cmd.Dir = filepath.Join(root, dir)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	cmd.Env = append(os.Environ(), "CARGO_TARGET_DIR="+filepath.Join(cache, "bindery-test", "rust-target"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", toolchain, err, b)
	}
	return readWasm(t, out)
}

// nestKV is a KV binding whose namespaces run nested requests.
type nestKV struct {
	real *kv.Binding
	w    **host.Worker // set once the Worker exists
	// nested counts the nested requests that completed.
	nested int
}

func (b *nestKV) WIT() abi.Interface { return kv.WIT() }

func (b *nestKV) NamespaceOpen(ctx context.Context, name string) (kvwit.Namespace, *kvwit.Error) {
	ns, e := b.real.NamespaceOpen(ctx, name)
	if e != nil {
		return nil, e
	}
	return &nestNamespace{Namespace: ns, b: b}, nil
}

type nestNamespace struct {
	kvwit.Namespace
	b *nestKV
}

func (n *nestNamespace) Get(ctx context.Context, key string) (abi.Option[[]byte], *kvwit.Error) {
	v, ok, err := n.nest(ctx, key)
	if err != nil {
		// The nested call poisoned the instance: end the outer call too.
		panic(err)
	}
	if ok {
		return abi.Option[[]byte]{Some: true, Value: v}, nil
	}
	return n.Namespace.Get(ctx, key)
}

func (n *nestNamespace) GetWithMetadata(ctx context.Context, key string) (abi.Option[kvwit.ValueWithMetadata], *kvwit.Error) {
	v, ok, err := n.nest(ctx, key)
	if err != nil {
		panic(err)
	}
	if ok {
		return abi.Option[kvwit.ValueWithMetadata]{Some: true, Value: kvwit.ValueWithMetadata{Value: v}}, nil
	}
	return n.Namespace.GetWithMetadata(ctx, key)
}

// nest runs the nested request that key asks for, if any: "nest-D-K" for
// D > 0 gets /kv/nest-(D-1)-K nested and answers "[D:<its body>]";
// "nest-0-K" is a get of K; "trap-K" gets /trap nested.
func (n *nestNamespace) nest(ctx context.Context, key string) ([]byte, bool, error) {
	var path string
	var depth int
	switch {
	case strings.HasPrefix(key, "trap-"):
		path = "/trap"
	case strings.HasPrefix(key, "nest-"):
		d, rest, _ := strings.Cut(key[len("nest-"):], "-")
		var err error
		if depth, err = strconv.Atoi(d); err != nil {
			return nil, false, err
		}
		if depth == 0 {
			o, e := n.Namespace.Get(ctx, rest)
			if e != nil || !o.Some {
				return nil, false, fmt.Errorf("nest-0: no value for %q", rest)
			}
			return o.Value, true, nil
		}
		path = fmt.Sprintf("/kv/nest-%d-%s", depth-1, rest)
	default:
		return nil, false, nil
	}
	rec, err := host.NestHandle(ctx, *n.b.w, httptest.NewRequest("GET", path, nil))
	if err != nil {
		return nil, false, fmt.Errorf("nested %s: %w", path, err)
	}
	if rec.Code != 200 {
		return nil, false, fmt.Errorf("nested %s: %d %s", path, rec.Code, rec.Body)
	}
	n.b.nested++
	return fmt.Appendf(nil, "[%d:%s]", depth, rec.Body), true, nil
}

// logWriter sends a Worker's log to the test's.
type logWriter struct{ t *testing.T }

func (l logWriter) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestReentrantCalls(t *testing.T) {
	for _, lang := range reentrantLangs {
		t.Run(lang.name, func(t *testing.T) {
			wasm, init := lang.build(t)
			testReentrant(t, wasm, init, lang.blocker)
		})
	}
}

func testReentrant(t *testing.T, wasm []byte, init *host.InitConfig, blocker string) {
	ctx := context.Background()
	cacheDir, _ := os.UserCacheDir()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
		CacheDir:   filepath.Join(cacheDir, "bindery-test", "wazero"),
		Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cache.WIT(), d1.WIT(), durablehost.ClientWIT(), durablehost.StateWIT(), queuehost.ProducerWIT()},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	ns := kv.NewNamespace(kv.NewMemory(time.Now), kv.Limits{}, time.Now)
	var w *host.Worker
	logs := &testutil.SyncBuffer{}
	b := &nestKV{real: kv.NewBinding(map[string]*kv.Namespace{"STORE": ns}), w: &w}
	w, err = rt.NewWorker(ctx, host.WorkerConfig{
		Name:         "reentrant",
		Wasm:         wasm,
		Init:         init,
		Bindings:     []host.Binding{b},
		MaxInstances: 1, // every request on the one instance
		// Each event (the outer request and each nested one) opens the
		// namespace, or reuses an open one, and gets a key: at most 2
		// operations of its own, while the deepest request makes up to
		// 8 in all. Nested events have quotas of their own.
		Operations: 2,
		Logger:     slog.New(slog.NewTextHandler(io.MultiWriter(logWriter{t}, logs), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(ctx) })

	do := func(method, path, body string) (int, string) {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		return rec.Code, rec.Body.String()
	}
	if code, body := do("PUT", "/kv/k1", "v1"); code != 204 {
		t.Fatalf("PUT /kv/k1: %d %s", code, body)
	}
	if code, body := do("GET", "/kv/k1", ""); code != 200 || body != "v1" {
		t.Fatalf("GET /kv/k1: %d %q", code, body)
	}
	base := host.LiveHandles(w)
	if blocker != "" {
		code, body := do("GET", "/kv/nest-1-k1", "")
		if code == 200 || !strings.Contains(logs.String(), blocker) {
			t.Fatalf("GET /kv/nest-1-k1: %d %q; want it to fail with %q in the log (has the SDK learnt nested calls?)", code, body, blocker)
		}
		t.Logf("nested calls fail as expected: %s; an instance's memory: %d KiB", blocker, w.Stats().PeakMemory>>10)
		return
	}

	for _, c := range []struct{ path, want string }{
		{"/kv/nest-1-k1", "[1:v1]"},
		{"/kv/nest-2-k1", "[2:[1:v1]]"},
		{"/kv/nest-3-k1", "[3:[2:[1:v1]]]"},
	} {
		code, body := do("GET", c.path, "")
		if code != 200 || body != c.want {
			t.Fatalf("GET %s: %d %q, want 200 %q", c.path, code, body, c.want)
		}
	}
	// Many nested requests, then plain ones: the SDK's state (allocator,
	// response buffers, handles) still serves. (Values are never empty:
	// a get of an empty value traps the Python Worker, nested or not,
	// in componentize-py's free of the list the host lowered without
	// calling cabi_realloc; a bug of its own.)
	for i := range 30 {
		key := fmt.Sprintf("k%d", 2+i%3)
		if code, body := do("PUT", "/kv/"+key, strings.Repeat("x", 1+i*100)); code != 204 {
			t.Fatalf("PUT %s: %d %s", key, code, body)
		}
		want := fmt.Sprintf("[2:[1:%s]]", strings.Repeat("x", 1+i*100))
		if code, body := do("GET", "/kv/nest-2-"+key, ""); code != 200 || body != want {
			t.Fatalf("round %d: GET /kv/nest-2-%s: %d %.80q…, want %.80q…", i, key, code, body, want)
		}
	}
	if code, body := do("GET", "/kv/k1", ""); code != 200 || body != "v1" {
		t.Fatalf("GET /kv/k1 after: %d %q", code, body)
	}
	if n := host.LiveHandles(w); n != base {
		t.Errorf("the instance holds %d handles, %d before the nested requests", n, base)
	}
	if s := w.Stats(); s.Instantiated != 1 || s.Discarded != 0 || s.Failed != 0 {
		t.Errorf("stats %+v: want one instance, none discarded or failed", s)
	}
	t.Logf("nested calls work; %d nested requests, an instance's memory: %d KiB", b.nested, w.Stats().PeakMemory>>10)

	// A trap in the nested call poisons the instance: the outer request
	// fails too, and the next request gets a new instance.
	if code, _ := do("GET", "/kv/trap-x", ""); code != 500 {
		t.Errorf("GET /kv/trap-x: %d, want 500", code)
	}
	if s := w.Stats(); s.Discarded != 1 {
		t.Errorf("stats %+v after the nested trap: want one instance discarded", s)
	}
	if code, body := do("GET", "/kv/nest-1-k1", ""); code != 200 || body != "[1:v1]" {
		t.Errorf("GET /kv/nest-1-k1 after the trap: %d %q", code, body)
	}
}

// TestReentrantGoRuntime is the Go runtime's half of the spike, without
// the SDK: host/testdata/goreentrant's export run calls the host, which
// calls run again on the same instance (through a fresh api.Function)
// down to depth 0. Each level checks its stack and heap values and its
// goroutines after the nested call, which grows and moves the goroutine
// stack, collects garbage, schedules goroutines, sleeps and recovers a
// panic. An unrecovered panic in a nested call kills the runtime: the
// whole instance is gone (a well-defined trap, not a contained one).
func TestReentrantGoRuntime(t *testing.T) {
	ctx := context.Background()
	wasm := readWasm(t, testutil.BuildGoGuest(t, "host/testdata/goreentrant"))
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { r.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	var mod api.Module
	calls := 0
	_, err := r.NewHostModuleBuilder("spike").NewFunctionBuilder().
		WithFunc(func(ctx context.Context, depth, mode uint32) uint64 {
			calls++
			// A fresh api.Function: wazero's may not be re-entered.
			res, err := mod.ExportedFunction("run").Call(ctx, uint64(depth), uint64(mode))
			if err != nil {
				panic(err)
			}
			return res[0]
		}).Export("call").Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mod, err = r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().
		WithStartFunctions("_initialize").WithSysNanosleep().WithSysNanotime().WithSysWalltime())
	if err != nil {
		t.Fatal(err)
	}
	const (
		deep, gc, goroutines, sleep, recovered, blockIn, trap = 1, 2, 4, 8, 16, 32, 64
	)
	want := func(depth uint32, extra uint64) uint64 {
		sum := uint64(0)
		for d := uint64(1); d <= uint64(depth); d++ {
			sum += d * 1000
		}
		return sum + extra
	}
	for _, c := range []struct {
		name  string
		depth uint32
		mode  uint32
		extra uint64
	}{
		{"plain", 0, 0, 0},
		{"depth 1", 1, 0, 0},
		{"depth 3", 3, 0, 0},
		{"stack growth", 3, deep, 0},
		{"gc", 3, gc, 0},
		{"goroutines", 3, goroutines, 0},
		{"sleep", 3, sleep, 0},
		{"recovered panic", 3, recovered, 0},
		{"all", 3, deep | gc | goroutines | sleep | recovered, 0},
		{"depth 8, all", 8, deep | gc | goroutines | sleep | recovered, 0},
		// The deepest call waits on a goroutine that level 1 started
		// before its host call: the scheduler runs it inside the nested call.
		{"blocks on an outer goroutine", 3, blockIn, 1},
	} {
		for range 3 {
			res, err := mod.ExportedFunction("run").Call(ctx, uint64(c.depth), uint64(c.mode))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if res[0] != want(c.depth, c.extra) {
				t.Fatalf("%s: run = %#x, want %#x (bit 62: a level's stack, heap or goroutine was corrupted)", c.name, res[0], want(c.depth, c.extra))
			}
		}
	}
	if calls == 0 {
		t.Fatal("the host was never called")
	}
	// An unrecovered panic in the nested call aborts the runtime (a
	// c-shared reactor traps with unreachable rather than exiting): the
	// whole call chain fails, and the instance must be discarded.
	_, err = mod.ExportedFunction("run").Call(ctx, 2, trap)
	if err == nil || !strings.Contains(err.Error(), "runtime.fatalpanic") {
		t.Fatalf("trap in a nested call: %v, want the runtime's fatal panic", err)
	}
}
