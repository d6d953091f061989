package conformance_test

import (
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/bindings/durable/objects"
	"github.com/bindery-run/bindery/host/durablehost"
	"github.com/bindery-run/bindery/internal/testutil"
)

// BenchmarkObjectMemory makes 10,000 live counters of a Go class
// (examples/durable-counter) and of a C class (the counter of
// docs/sdk-c.md), each after one increment, and reports the memory they
// take: the process's resident set before and after.
func BenchmarkObjectMemory(b *testing.B) {
	const n = 10_000
	root := testutil.RepoRoot(b)
	for _, c := range []struct {
		lang  string
		build func(b *testing.B) string
		path  func(name string) string
	}{
		{"go", func(b *testing.B) string { return testutil.BuildGoGuest(b, "examples/durable-counter") },
			func(name string) string { return "/counter/" + name + "/increment" }},
		{"c", func(b *testing.B) string { return buildCDocCounter(b, root) },
			func(name string) string { return "/" + name }},
	} {
		b.Run(c.lang, func(b *testing.B) {
			wasm := c.build(b)
			for b.Loop() {
				var h *durablehost.Host
				w, _ := newWorker(b, c.lang+"-counter", wasm, durableGrantWith(b, "COUNTER", "Counter", objects.Config{IdleTimeout: -1}, &h))
				hit := func(name string) {
					rec := httptest.NewRecorder()
					w.ServeHTTP(rec, httptest.NewRequest("POST", c.path(name), nil))
					if rec.Code != 200 {
						b.Fatalf("%s: %d %s", c.path(name), rec.Code, rec.Body)
					}
				}
				hit("warm")
				debug.FreeOSMemory()
				before := rssOf(b)
				for i := range n {
					hit("c" + strconv.Itoa(i))
				}
				debug.FreeOSMemory()
				used := rssOf(b) - before
				s := h.Manager().Stats()
				if s.Objects < n {
					b.Fatalf("%d objects live, want %d", s.Objects, n)
				}
				b.ReportMetric(float64(used)/n, "bytes/object")
				b.ReportMetric(float64(used)/(1<<20), "MiB/10k-objects")
				b.ReportMetric(float64(s.Instances), "instances")
				w.Close(b.Context())
			}
		})
	}
}

// buildCDocCounter builds the counter of docs/sdk-c.md's Durable Objects
// section (as TestCSDKDurableDocExample does), or skips.
func buildCDocCounter(b *testing.B, root string) string {
	doc, err := os.ReadFile(filepath.Join(root, "docs", "sdk-c.md"))
	if err != nil {
		b.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "## Durable Objects")
	_, code, _ := strings.Cut(section, "```c\n")
	code, _, _ = strings.Cut(code, "```")
	dir := b.TempDir()
	src := filepath.Join(dir, "counter.c")
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		b.Fatal(err)
	}
	script := filepath.Join(root, "guest-sdk", "c", "build.sh")
	return buildOrSkip(b, "c", func() (string, error) {
		if err := probeToolchain(script); err != nil {
			return "", err
		}
		out := filepath.Join(dir, "counter.wasm")
		if out2, err := exec.Command("bash", script, "-o", out, src).CombinedOutput(); err != nil {
			return "", errors.New(err.Error() + "\n" + string(out2))
		}
		return out, nil
	})
}

// rssOf returns the process's resident set size in bytes (Linux).
func rssOf(tb testing.TB) int64 {
	raw, err := os.ReadFile("/proc/self/statm")
	testutil.NeedToolchain(tb, err)
	pages, _ := strconv.ParseInt(strings.Fields(string(raw))[1], 10, 64)
	return pages * int64(os.Getpagesize())
}
