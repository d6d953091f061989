package conformance_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/host"
)

// TestLanguageCosts measures what each language's conformance Worker costs
// the host, all in one run, and prints docs/benchmarks.md's per-language
// table: module size; a new Worker (load-time rewrite, compile, checks and
// the first instance) without a compilation cache and with a warm one; a
// new instance (the first request after a trap discarded the old one,
// minus a warm request); and warm GET /hello and KV GET /kv/k latency.
// It is slow (cold compiles), so it runs only with BINDERY_LANG_COSTS=1:
//
//	BINDERY_LANG_COSTS=1 go test -count=1 -v -run TestLanguageCosts ./conformance/
func TestLanguageCosts(t *testing.T) {
	if os.Getenv("BINDERY_LANG_COSTS") == "" {
		t.Skip("set BINDERY_LANG_COSTS=1 to measure (slow)")
	}
	rows := []string{
		"| language | module | new Worker, no cache | new Worker, warm cache | new instance | GET /hello | KV get |",
		"| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
	}
	for _, lang := range languages {
		t.Run(lang.name, func(t *testing.T) {
			path := buildOrSkip(t, lang.name, func() (string, error) { return lang.build(t, t.TempDir()) })
			wasm, init, _ := loadMain(t, path)
			withInit := func(c *host.WorkerConfig) { c.Init = init }
			_, _, cold := newWorkerIn(t, lang.name, wasm, "", withInit)
			cache := t.TempDir()
			newWorkerIn(t, lang.name, wasm, cache, withInit) // fills the cache
			w, _, warm := newWorkerIn(t, lang.name, wasm, cache, withInit)

			do := func(method, path, body string, want int) {
				rec := httptest.NewRecorder()
				w.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
				if rec.Code != want {
					t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
				}
			}
			do("PUT", "/kv/k", "value", http.StatusNoContent)
			hello := perOp(func() { do("GET", "/hello", "", 200) })
			kvGet := perOp(func() { do("GET", "/kv/k", "", 200) })
			// A trap discards the instance, so the next request makes one.
			var fresh time.Duration
			const n = 20
			for range n {
				do("GET", "/trap", "", 500)
				start := time.Now()
				do("GET", "/hello", "", 200)
				fresh += time.Since(start)
			}
			inst := max(fresh/n-hello, 0)
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s |", lang.name, size(len(wasm)),
				round(cold), round(warm), round(inst), round(hello), round(kvGet)))
		})
	}
	fmt.Println(strings.Join(rows, "\n"))
}

// perOp runs f for at least 300 ms (and 50 times) and returns its mean time.
func perOp(f func()) time.Duration {
	f() // warm
	start, n := time.Now(), 0
	for n < 50 || time.Since(start) < 300*time.Millisecond {
		f()
		n++
	}
	return time.Since(start) / time.Duration(n)
}

func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
}

func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
}
