package host_test

// Benchmarks of the request path; how to run them and what they measured on
// the reference machine: docs/benchmarks.md. Nothing here asserts a time:
// speed is compared as ratios between benchmarks of the same run.
//
// Guests: "wat" is a hand-written module (host/testdata), "go" a Go wasip1
// reactor built from source with the Go SDK (examples/ or bench/guests/),
// "c" bench/guests/kv-rest-c built with the C SDK (skipped, saying why,
// when guest-sdk/c/build.sh finds no toolchain).

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/testutil"
)

// benchRuntime returns a Runtime with the KV and vars interfaces (and
// extra) and the same on-disk compilation cache as the tests (so Go guests
// compile once per machine, not once per benchmark).
func benchRuntime(b *testing.B, extra ...abi.Interface) *host.Runtime {
	b.Helper()
	cache := ""
	if d, err := os.UserCacheDir(); err == nil {
		cache = filepath.Join(d, "bindery-test", "wazero")
	}
	rt, err := host.NewRuntime(context.Background(), host.RuntimeConfig{
		CacheDir:   cache,
		Interfaces: append([]abi.Interface{kv.WIT(), vars.WIT()}, extra...),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

// benchWasm returns a guest's bytes: a testdata fixture ("testdata/x.wasm")
// or a Go guest built from a directory of the repository ("examples/hello").
func benchWasm(b *testing.B, src string) []byte {
	b.Helper()
	path := src
	switch {
	case strings.HasSuffix(src, "-c"):
		path = buildCGuest(b, src)
	case filepath.Ext(src) != ".wasm":
		path = testutil.BuildGoGuest(b, src)
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return wasm
}

// buildCGuest builds the C Worker in dir (relative to the repository) with
// guest-sdk/c/build.sh, or skips the benchmark with the script's reason
// (fails it when c is required: testutil.NeedToolchain).
func buildCGuest(b *testing.B, dir string) string {
	b.Helper()
	root := testutil.RepoRoot(b)
	script := filepath.Join(root, "guest-sdk/c/build.sh")
	_, err := testutil.ProbeScript("c", "guest-sdk/c/build.sh")
	testutil.NeedToolchain(b, err)
	path := filepath.Join(b.TempDir(), "worker.wasm")
	cmd := exec.Command("bash", script, "-o", path, "main.c")
	cmd.Dir = filepath.Join(root, dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build %s: %v\n%s", dir, err, out)
	}
	return path
}

// processCPU returns the CPU time (user + system) the process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-ns/op metric: the process's CPU time since start
// per iteration. On a shared machine it moves far less than ns/op (wall
// time), which also counts the time spent waiting for a core.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
}

// lazyWasm returns a function that builds (or reads) src on first use and
// then returns the same bytes, so a guest is built only by the
// sub-benchmarks that run, and one without a toolchain skips just those.
func lazyWasm(src string) func(*testing.B) []byte {
	var wasm []byte
	return func(b *testing.B) []byte {
		b.Helper()
		if wasm == nil {
			wasm = benchWasm(b, src)
		}
		return wasm
	}
}

func benchWorker(b *testing.B, rt *host.Runtime, cfg host.WorkerConfig) *host.Worker {
	b.Helper()
	w, err := rt.NewWorker(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close(context.Background()) })
	return w
}

// benchWriter is a reusable http.ResponseWriter that keeps only the status,
// the header map and the body size, so the benchmarks count the host's
// allocations rather than a recorder's.
type benchWriter struct {
	h    http.Header
	code int
	n    int
}

func newBenchWriter() *benchWriter { return &benchWriter{h: http.Header{}} }

func (w *benchWriter) Header() http.Header { return w.h }
func (w *benchWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *benchWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}
func (w *benchWriter) Flush() {}
func (w *benchWriter) reset() {
	clear(w.h)
	w.code, w.n = 0, 0
}

// serve runs one request and fails the benchmark unless it got want.
func serve(b *testing.B, h http.Handler, w *benchWriter, r *http.Request, want int) {
	w.reset()
	h.ServeHTTP(w, r)
	if w.code != want {
		b.Fatalf("%s %s: status %d, want %d", r.Method, r.URL, w.code, want)
	}
}

// checkBody runs one request through a recorder and checks the body.
func checkBody(b *testing.B, h http.Handler, method, path, want string) {
	b.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	if rec.Code != http.StatusOK || rec.Body.String() != want {
		b.Fatalf("%s %s: got %d %q, want 200 %q", method, path, rec.Code, rec.Body.String(), want)
	}
}

// helloGuests are the two hello Workers: same route, same answer modulo text.
var helloGuests = []struct {
	name, src, want string
}{
	{"wat", "testdata/hello.wasm", "hello from wat"},
	{"go", "examples/hello", "hello"},
	{"c", "bench/guests/kv-rest-c", "hello"},
}

// BenchmarkServeHTTP is one GET /hello through (*host.Worker).ServeHTTP
// with a warm pool: every request reuses an idle instance (the benchmark
// fails if the Worker creates a second one on the serial path). The
// -parallel variants run GOMAXPROCS goroutines against one Worker.
func BenchmarkServeHTTP(b *testing.B) {
	rt := benchRuntime(b)
	for _, g := range helloGuests {
		wasm := lazyWasm(g.src)
		b.Run(g.name, func(b *testing.B) {
			w := benchWorker(b, rt, host.WorkerConfig{Name: "hello-" + g.name, Wasm: wasm(b)})
			checkBody(b, w, "GET", "/hello", g.want)
			req := httptest.NewRequest("GET", "/hello", nil)
			bw := newBenchWriter()
			b.ReportAllocs()
			cpu := processCPU(b)
			for b.Loop() {
				serve(b, w, bw, req, http.StatusOK)
			}
			reportCPU(b, cpu)
			if n := w.Stats().Instantiated; n != 1 {
				b.Fatalf("%d instances created, want 1 (reuse)", n)
			}
		})
		b.Run(g.name+"-parallel", func(b *testing.B) {
			w := benchWorker(b, rt, host.WorkerConfig{Name: "hello-" + g.name, Wasm: wasm(b)})
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest("GET", "/hello", nil)
				bw := newBenchWriter()
				for pb.Next() {
					bw.reset()
					w.ServeHTTP(bw, req)
					if bw.code != http.StatusOK {
						b.Errorf("status %d", bw.code)
						return
					}
				}
			})
			b.ReportMetric(float64(w.Stats().Instantiated), "instances")
		})
	}
}

// BenchmarkServeHTTPCold is GET /hello on each guest as it runs under HTTP
// load: between two requests the process does one real loopback HTTP
// exchange (net/http and the kernel's network stack, as a server under
// load does), which leaves the caches and branch predictors cold for the
// guest. Every guest's request then costs ~3× its warm price, and a guest
// that runs more code loses more (docs/benchmarks.md). The guests take
// turns in one loop, so a noisy machine shifts them alike; the metrics are
// the median time of one Worker call per guest (the loopback exchange is
// not counted).
func BenchmarkServeHTTPCold(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) }))
	b.Cleanup(srv.Close)
	client := srv.Client()
	evict := func() {
		resp, err := client.Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	rt := benchRuntime(b)
	type guest struct {
		name  string
		w     *host.Worker
		times []time.Duration
	}
	var guests []*guest
	for _, g := range helloGuests {
		if strings.HasSuffix(g.src, "-c") {
			if _, err := testutil.ProbeScript("c", "guest-sdk/c/build.sh"); err != nil && !testutil.Required("c") {
				b.Logf("%s guest left out: %v", g.name, err)
				continue
			}
		}
		w := benchWorker(b, rt, host.WorkerConfig{Name: "cold-" + g.name, Wasm: benchWasm(b, g.src)})
		guests = append(guests, &guest{name: g.name, w: w})
	}
	req := httptest.NewRequest("GET", "/hello", nil)
	bw := newBenchWriter()
	b.Run("turns", func(b *testing.B) {
		for b.Loop() {
			for _, g := range guests {
				evict()
				t0 := time.Now()
				serve(b, g.w, bw, req, http.StatusOK)
				g.times = append(g.times, time.Since(t0))
			}
		}
		for _, g := range guests {
			slices.Sort(g.times)
			b.ReportMetric(float64(g.times[len(g.times)/2].Nanoseconds()), g.name+"-p50-ns")
			g.times = g.times[:0]
		}
	})
}

// BenchmarkNewWorkerFirstRequest is the cost of a request on a fresh
// instance, measured without any host API for it: each iteration is
// rt.NewWorker (decode and validate the module, check imports, instantiate
// and run _initialize) + the first GET /hello + Worker.Close. Compare with
// BenchmarkServeHTTP (warm instance) for the price of instance-per-request.
//
//   - compiled: another Worker of the same module stays open, so the machine
//     code comes from wazero's in-memory cache (the cheapest possible new
//     instance through the public API; still includes decoding the module).
//   - disk-cache: nothing else holds the module, so each iteration loads the
//     machine code from the warm on-disk compilation cache (a Worker
//     (re)started in a running process).
func BenchmarkNewWorkerFirstRequest(b *testing.B) {
	ctx := context.Background()
	for _, g := range helloGuests {
		wasm := lazyWasm(g.src)
		for _, pinned := range []bool{true, false} {
			variant := "disk-cache"
			if pinned {
				variant = "compiled"
			}
			b.Run(g.name+"/"+variant, func(b *testing.B) {
				rt := benchRuntime(b)
				cfg := host.WorkerConfig{Name: "hello-" + g.name, Wasm: wasm(b)}
				// The first Worker compiles (or fills the disk cache); keep it
				// open only in the pinned variant.
				first := benchWorker(b, rt, cfg)
				if !pinned {
					first.Close(ctx)
				}
				req := httptest.NewRequest("GET", "/hello", nil)
				bw := newBenchWriter()
				b.ReportAllocs()
				for b.Loop() {
					w, err := rt.NewWorker(ctx, cfg)
					if err != nil {
						b.Fatal(err)
					}
					serve(b, w, bw, req, http.StatusOK)
					w.Close(ctx)
				}
			})
		}
	}
}

// hostCallGuests call bindery:config/vars@0.1.0 get N times per request
// (GET /calls/N).
var hostCallGuests = []struct{ name, src string }{
	{"wat", "testdata/bench_hostcall.wasm"},
	{"go", "bench/guests/hostcall"},
}

// BenchmarkHostCall is the cost of one guest→host call: a request that
// calls vars.get N times, for N = 0 (the request alone) and N = 10000.
// ns/hostcall = (ns/op(N) − ns/op(0)) / N, with ns/op(0) from the calls=0
// sub-benchmark just before (if it was filtered out, nothing is subtracted).
// miss: no such variable (lift a string, one map lookup, store a byte);
// hit: the variable exists, so the host also lowers its 16-byte value, which
// calls back into the guest's cabi_realloc.
func BenchmarkHostCall(b *testing.B) {
	rt := benchRuntime(b)
	const calls = 10000
	for _, g := range hostCallGuests {
		wasm := benchWasm(b, g.src)
		for _, hit := range []bool{false, true} {
			vs := map[string]vars.Var{}
			variant := "miss"
			if hit {
				variant = "hit"
				vs["BENCH_VAR"] = vars.Var{Kind: vars.Text, Value: "0123456789abcdef"}
			}
			binding, err := vars.New(vs)
			if err != nil {
				b.Fatal(err)
			}
			base := 0.0 // ns/op of calls=0
			for _, n := range []int{0, calls} {
				b.Run(fmt.Sprintf("%s/%s/calls=%d", g.name, variant, n), func(b *testing.B) {
					w := benchWorker(b, rt, host.WorkerConfig{Name: "hostcall-" + g.name, Wasm: wasm, Bindings: []host.Binding{binding}, Operations: -1})
					checkBody(b, w, "GET", "/calls/3", "ok")
					req := httptest.NewRequest("GET", "/calls/"+strconv.Itoa(n), nil)
					bw := newBenchWriter()
					b.ReportAllocs()
					for b.Loop() {
						serve(b, w, bw, req, http.StatusOK)
					}
					if g.name == "go" {
						found := 0
						if hit {
							found = n
						}
						if got := bw.h.Get("X-Found"); got != strconv.Itoa(found) {
							b.Fatalf("X-Found = %q, want %d", got, found)
						}
					}
					perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
					if n == 0 {
						base = perOp
						return
					}
					b.ReportMetric((perOp-base)/float64(n), "ns/hostcall")
				})
			}
		}
	}
}

// BenchmarkKV compares KV through a Worker (GET/PUT /kv/<key> via
// ServeHTTP: HTTP bridge, guest, SDK, Canonical ABI, KV semantics, Badger)
// with the same operation as a direct kv.Namespace call on the same Badger
// state directory (bindings/state, as bindery dev opens it). The Workers
// are examples/kv-rest (Go) and bench/guests/kv-rest-c (C). 100-byte values
// over 1000 keys, preloaded.
func BenchmarkKV(b *testing.B) {
	ctx := context.Background()
	rt := benchRuntime(b)
	st, err := state.Open(b.TempDir(), state.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	ns := st.KV("kv-rest-store")
	const nKeys = 1000
	value := bytes.Repeat([]byte("v"), 100)
	keys := make([]string, nKeys)
	gets := make([]*http.Request, nKeys)
	puts := make([]*http.Request, nKeys)
	bodies := make([]*bytes.Reader, nKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%04d", i)
		if err := ns.Put(ctx, keys[i], value, kv.PutOptions{}); err != nil {
			b.Fatal(err)
		}
		gets[i] = httptest.NewRequest("GET", "/kv/"+keys[i], nil)
		bodies[i] = bytes.NewReader(value)
		puts[i] = httptest.NewRequest("PUT", "/kv/"+keys[i], bodies[i])
	}
	guests := []struct {
		name string
		wasm func(*testing.B) []byte
	}{{"go", lazyWasm("examples/kv-rest")}, {"c", lazyWasm("bench/guests/kv-rest-c")}}
	worker := func(b *testing.B, i int) *host.Worker {
		w := benchWorker(b, rt, host.WorkerConfig{
			Name: "kv-rest-" + guests[i].name, Wasm: guests[i].wasm(b),
			Bindings: []host.Binding{kv.NewBinding(map[string]*kv.Namespace{"STORE": ns})},
		})
		checkBody(b, w, "GET", "/kv/"+keys[0], string(value))
		return w
	}

	b.Run("get/direct", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if v, found, err := ns.Get(ctx, keys[i%nKeys]); err != nil || !found || len(v) != len(value) {
				b.Fatal(found, err)
			}
		}
	})
	for gi, g := range guests {
		b.Run("get/worker-"+g.name, func(b *testing.B) {
			w := worker(b, gi)
			bw := newBenchWriter()
			b.ReportAllocs()
			cpu := processCPU(b)
			for i := 0; b.Loop(); i++ {
				serve(b, w, bw, gets[i%nKeys], http.StatusOK)
				if bw.n != len(value) {
					b.Fatalf("GET: %d bytes, want %d", bw.n, len(value))
				}
			}
			reportCPU(b, cpu)
		})
	}
	b.Run("put/direct", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := ns.Put(ctx, keys[i%nKeys], value, kv.PutOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for gi, g := range guests {
		b.Run("put/worker-"+g.name, func(b *testing.B) {
			w := worker(b, gi)
			bw := newBenchWriter()
			b.ReportAllocs()
			cpu := processCPU(b)
			for i := 0; b.Loop(); i++ {
				k := i % nKeys
				bodies[k].Reset(value)
				serve(b, w, bw, puts[k], http.StatusNoContent)
			}
			reportCPU(b, cpu)
		})
	}
}

// TestBenchFixtures keeps the benchmark-only WAT guest honest in the
// ordinary test run (no timing): GET /calls/N answers 200 "ok" with or
// without the variable, and its bump heap is reset between calls (100,000
// lowered 64-byte values would not fit in the 1 MiB memory limit otherwise).
func TestBenchFixtures(t *testing.T) {
	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{Interfaces: []abi.Interface{kv.WIT(), vars.WIT()}})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	wasm, err := os.ReadFile("testdata/bench_hostcall.wasm")
	if err != nil {
		t.Fatal(err)
	}
	for _, vs := range []map[string]vars.Var{{}, {"BENCH_VAR": {Kind: vars.Text, Value: strings.Repeat("x", 64)}}} {
		binding, err := vars.New(vs)
		if err != nil {
			t.Fatal(err)
		}
		w, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "bench_hostcall", Wasm: wasm, Bindings: []host.Binding{binding},
			MemoryLimit: 1 << 20, RequestTimeout: 5 * time.Second, Operations: -1})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/calls/0", "/calls/1", "/calls/100000", "/calls/100000"} {
			rec := httptest.NewRecorder()
			w.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			if rec.Code != 200 || rec.Body.String() != "ok" {
				t.Fatalf("%v %s: got %d %q", vs, path, rec.Code, rec.Body.String())
			}
		}
		if n := w.Stats().Instantiated; n != 1 {
			t.Errorf("%d instances, want 1", n)
		}
		w.Close(ctx)
	}
}
