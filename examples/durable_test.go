package examples_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bindery-run/bindery/internal/testutil"
)

// TestDurableCounter runs examples/durable-counter through the CLI: 1,000
// concurrent increments of one counter give exactly 1,000 (each value
// once), the value survives a restart of bindery dev, and after a kill -9
// during increments every acknowledged value is still there.
func TestDurableCounter(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the CLI")
	}
	bin := testutil.BuildCLI(t)
	wasm := testutil.BuildGoGuest(t, "examples/durable-counter")
	toml, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "durable-counter", "wrangler.toml"))
	if err != nil {
		t.Fatal(err)
	}
	_, decl, ok := strings.Cut(string(toml), "[[durable_objects.bindings]]")
	if !ok || !strings.Contains(decl, `new_sqlite_classes = ["Counter"]`) {
		t.Fatalf("examples/durable-counter/wrangler.toml does not declare the class:\n%s", toml)
	}
	dir := t.TempDir()
	cfg := "name = \"durable-counter\"\nmain = " + quote(wasm) + "\n\n[[durable_objects.bindings]]" + decl
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	base, cmd := startDev(t, bin, dir)
	const n = 1000
	seen := make([]atomic.Bool, n+1)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 100)
	for range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			v, err := counter(base, "POST", "/counter/hits/increment")
			if err != nil {
				t.Error(err)
				return
			}
			if v < 1 || v > n || seen[v].Swap(true) {
				t.Errorf("increment returned %d: out of range or twice", v)
			}
		})
	}
	wg.Wait()
	if v, err := counter(base, "GET", "/counter/hits"); err != nil || v != n {
		t.Fatalf("GET /counter/hits = %d, %v; want %d", v, err, n)
	}
	if v, err := counter(base, "GET", "/counter/other"); err != nil || v != 0 {
		t.Fatalf("GET /counter/other = %d, %v; want 0", v, err)
	}

	// bindery do reads and edits the object's storage through the
	// running server; an edit reaches the object's next event.
	if out, err := cli(t, bin, dir, "do", "storage", "get", "Counter", "hits", "value"); err != nil || out != "1000\n" {
		t.Fatalf("bindery do storage get: %q, %v", out, err)
	}
	if out, err := cli(t, bin, dir, "do", "storage", "put", "Counter", "hits", "value", "41"); err != nil {
		t.Fatalf("bindery do storage put: %q, %v", out, err)
	}
	if v, err := counter(base, "POST", "/counter/hits/increment"); err != nil || v != 42 {
		t.Fatalf("increment after bindery do storage put 41 = %d, %v; want 42", v, err)
	}
	if out, err := cli(t, bin, dir, "do", "storage", "put", "Counter", "hits", "value", fmt.Sprint(n)); err != nil {
		t.Fatalf("bindery do storage put: %q, %v", out, err)
	}
	if out, err := cli(t, bin, dir, "do", "objects", "Counter"); err != nil || strings.Count(out, "\n") != 2 {
		t.Fatalf("bindery do objects Counter: %q, %v; want the two counters with storage", out, err)
	}

	// A restart keeps the value.
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	base, cmd = startDev(t, bin, dir)
	if v, err := counter(base, "GET", "/counter/hits"); err != nil || v != n {
		t.Fatalf("after a restart, GET /counter/hits = %d, %v; want %d", v, err, n)
	}

	// kill -9 during increments: every value acknowledged before the
	// kill is in storage after the restart.
	var acked atomic.Int64
	stop := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				v, err := counter(base, "POST", "/counter/crash/increment")
				if err != nil {
					return // the server is gone
				}
				for cur := acked.Load(); v > cur && !acked.CompareAndSwap(cur, v); cur = acked.Load() {
				}
			}
		})
	}
	// Kill once some increments were acknowledged (and more are in
	// flight).
	for deadline := time.Now().Add(30 * time.Second); acked.Load() < 20 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	close(stop)
	wg.Wait()
	cmd.Wait()
	base, _ = startDev(t, bin, dir)
	v, err := counter(base, "GET", "/counter/crash")
	if err != nil || v < acked.Load() || acked.Load() == 0 {
		t.Fatalf("after kill -9, GET /counter/crash = %d, %v; %d increments were acknowledged", v, err, acked.Load())
	}
	t.Logf("kill -9 after %d acknowledged increments; stored %d", acked.Load(), v)
}

// counter sends a request to the counter Worker and returns its value.
func counter(base, method, path string) (int64, error) {
	req, _ := http.NewRequest(method, base+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v struct{ Value int64 }
	if resp.StatusCode != 200 || json.Unmarshal(b, &v) != nil {
		return 0, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return v.Value, nil
}

// TestDurableCounterCaller serves two Workers with one bindery dev, as
// examples/durable-counter/caller's config says: the first (the caller)
// reaches the second's class through script_name. Alone, the caller is a
// start-up error that says what to do.
func TestDurableCounterCaller(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the CLI")
	}
	bin := testutil.BuildCLI(t)
	counterWasm := testutil.BuildGoGuest(t, "examples/durable-counter")
	callerWasm := testutil.BuildGoGuest(t, "examples/durable-counter/caller")
	src := filepath.Join(testutil.RepoRoot(t), "examples", "durable-counter")
	dir := t.TempDir()
	for _, c := range []struct{ sub, config, main string }{
		{"counter", "wrangler.toml", counterWasm},
		{"caller", "caller/wrangler.toml", callerWasm},
	} {
		toml, err := os.ReadFile(filepath.Join(src, c.config))
		if err != nil {
			t.Fatal(err)
		}
		_, decl, _ := strings.Cut(string(toml), "[[durable_objects.bindings]]")
		name, _, _ := strings.Cut(strings.TrimPrefix(string(toml)[strings.Index(string(toml), "name = "):], "name = "), "\n")
		cfg := "name = " + name + "\nmain = " + quote(c.main) + "\n\n[[durable_objects.bindings]]" + decl
		if err := os.MkdirAll(filepath.Join(dir, c.sub), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, c.sub, "wrangler.toml"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Alone, the caller does not start.
	out, err := exec.Command(bin, "dev", "--port", "0", "-c", filepath.Join(dir, "caller", "wrangler.toml")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), `script_name "durable-counter"`) || !strings.Contains(string(out), "-c") {
		t.Fatalf("bindery dev with the caller alone: %v\n%s", err, out)
	}

	cmd := exec.Command(bin, "dev", "--port", "0", "--log-level", "warn",
		"-c", filepath.Join(dir, "caller", "wrangler.toml"), "-c", filepath.Join(dir, "counter", "wrangler.toml"))
	base := startCmd(t, cmd)
	for want := int64(1); want <= 3; want++ {
		if v, err := counter(base, "POST", "/hit/shared"); err != nil || v != want {
			t.Fatalf("POST /hit/shared = %d, %v; want %d", v, err, want)
		}
	}
	// The counter's value is in the data directory, as the counter Worker
	// keeps it, and bindery do finds the class through the dev server.
	if out, err := cli(t, bin, filepath.Join(dir, "counter"), "do", "storage", "get", "Counter", "shared", "value", "--persist-to", filepath.Join(dir, "caller", ".bindery", "state")); err != nil || out != "3\n" {
		t.Fatalf("bindery do storage get: %q, %v", out, err)
	}
}
