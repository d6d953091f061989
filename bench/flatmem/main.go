// Command flatmem checks that memory stays flat over many requests: it
// serves -n requests in-process through (*host.Worker).ServeHTTP (no
// sockets, so nothing but the host and the guest allocates) with -c
// goroutines, alternating GET /hello on examples/hello with GET and PUT
// /kv/k (100 bytes, always the same key, in-memory KV) on examples/kv-rest,
// and prints at every tenth of the way the process's RSS, the Go heap in
// use, and each Worker's largest guest linear memory so far.
//
//	go run ./bench/flatmem -hello examples/hello/hello.wasm -kv examples/kv-rest/kv-rest.wasm -n 1000000
//
// Flat means: RSS, heap and guest memory at the end within noise of their
// values after the warm-up (the first tenth).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
)

func main() {
	helloPath := flag.String("hello", "examples/hello/hello.wasm", "examples/hello built for wasip1")
	kvPath := flag.String("kv", "examples/kv-rest/kv-rest.wasm", "examples/kv-rest built for wasip1")
	n := flag.Int64("n", 1_000_000, "requests in all")
	conc := flag.Int("c", runtime.GOMAXPROCS(0), "goroutines sending requests")
	flag.Parse()
	if err := run(*helloPath, *kvPath, *n, *conc); err != nil {
		fmt.Fprintln(os.Stderr, "flatmem:", err)
		os.Exit(1)
	}
}

func run(helloPath, kvPath string, n int64, conc int) error {
	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{Interfaces: []abi.Interface{kv.WIT(), vars.WIT()}})
	if err != nil {
		return err
	}
	defer rt.Close(ctx)
	worker := func(name, path string, bindings ...host.Binding) (*host.Worker, error) {
		wasm, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return rt.NewWorker(ctx, host.WorkerConfig{Name: name, Wasm: wasm, Bindings: bindings})
	}
	hello, err := worker("hello", helloPath)
	if err != nil {
		return err
	}
	defer hello.Close(ctx)
	ns := kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil)
	kvw, err := worker("kv-rest", kvPath, kv.NewBinding(map[string]*kv.Namespace{"STORE": ns}))
	if err != nil {
		return err
	}
	defer kvw.Close(ctx)
	value := bytes.Repeat([]byte("v"), 100)

	fmt.Println("| requests | elapsed | RSS MiB | Go heap in use MiB | guest memory, hello (max) MiB | guest memory, kv-rest (max) MiB | instances (hello / kv-rest) |")
	fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	start := time.Now()
	report := func(done int64) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Printf("| %d | %s | %.1f | %.1f | %.1f | %.1f | %d / %d |\n", done, time.Since(start).Round(time.Second),
			rssMiB(), float64(ms.HeapInuse)/(1<<20),
			float64(hello.Stats().PeakMemory)/(1<<20), float64(kvw.Stats().PeakMemory)/(1<<20),
			hello.Stats().Instantiated, kvw.Stats().Instantiated)
	}
	var next atomic.Int64
	var failed atomic.Value
	step := max(n/10, 1)
	var mu sync.Mutex
	reported := int64(0)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > n || failed.Load() != nil {
					return
				}
				var h http.Handler
				var r *http.Request
				want := http.StatusOK
				switch i % 3 {
				case 0:
					h, r = hello, httptest.NewRequest("GET", "/hello", nil)
				case 1:
					h, r, want = kvw, httptest.NewRequest("PUT", "/kv/k", bytes.NewReader(value)), http.StatusNoContent
				default:
					h, r = kvw, httptest.NewRequest("GET", "/kv/k", nil)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != want && !(i%3 == 2 && rec.Code == http.StatusNotFound) {
					failed.Store(fmt.Errorf("request %d %s %s: %d %s", i, r.Method, r.URL, rec.Code, strings.TrimSpace(rec.Body.String())))
					return
				}
				if i%step == 0 {
					mu.Lock()
					if i > reported {
						reported = i
						report(i)
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return err
	}
	return nil
}

// rssMiB is this process's resident set, from /proc (0 elsewhere).
func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
