// Package examples_test runs the example Workers end to end: built from
// source as wasip1 reactors, served by the host with real Badger state, and
// (in TestDevServer) through the bindery CLI as a user runs them.
package examples_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	cacheapi "github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/testutil"
)

func newWorker(t testing.TB, dir string, bindings ...host.Binding) *host.Worker {
	t.Helper()
	ctx := context.Background()
	cache, _ := os.UserCacheDir()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
		CacheDir:   filepath.Join(cache, "bindery-test", "wazero"),
		Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cacheapi.WIT()},
		Logger:     slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	wasm, err := os.ReadFile(testutil.BuildGoGuest(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	// A generous deadline: under -race on a busy machine, streaming 1 GiB
	// through a Worker takes longer than the default 30 s.
	w, err := rt.NewWorker(ctx, host.WorkerConfig{Name: filepath.Base(dir), Wasm: wasm, Bindings: bindings, RequestTimeout: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(ctx) })
	return w
}

type call struct {
	method, path, body string
	status             int
	want               string // substring of the response body
}

func check(t *testing.T, h http.Handler, calls []call) {
	t.Helper()
	for _, c := range calls {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, strings.NewReader(c.body)))
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("%s %s: got %d %q, want %d containing %q", c.method, c.path, rec.Code, rec.Body.String(), c.status, c.want)
		}
	}
}

func TestHello(t *testing.T) {
	w := newWorker(t, "examples/hello")
	check(t, w, []call{
		{"GET", "/hello", "", 200, "hello"},
		{"GET", "/nope", "", 404, "not found"},
	})
}

func TestKVRest(t *testing.T) {
	st, err := state.Open(t.TempDir(), state.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v, err := vars.New(map[string]vars.Var{"GREETING": {Kind: vars.Text, Value: "hi"}, "API_TOKEN": {Kind: vars.Secret, Value: "s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	w := newWorker(t, "examples/kv-rest", kv.NewBinding(map[string]*kv.Namespace{"STORE": st.KV("store")}), v)
	long := strings.Repeat("k", 513)
	check(t, w, []call{
		{"GET", "/kv/a", "", 404, "not found"},
		{"PUT", "/kv/a", "alpha", 204, ""},
		{"PUT", "/kv/b", "beta", 204, ""},
		{"PUT", "/kv/c?ttl=120", "gamma", 204, ""},
		{"GET", "/kv/a", "", 200, "alpha"},
		{"GET", "/kv?limit=2", "", 200, `"list_complete":false`},
		{"GET", "/kv?prefix=c", "", 200, `"name":"c","expiration":`},
		{"DELETE", "/kv/a", "", 204, ""},
		{"GET", "/kv/a", "", 404, ""},
		{"PUT", "/kv/x?ttl=5", "x", 400, "minimum is 60"},
		{"PUT", "/kv/" + long, "x", 400, "512"},
		{"GET", "/vars", "", 200, `"api_token_set":true,"greeting":"hi"`},
		{"GET", "/whoami", "", 200, "192.0.2.1"}, // httptest's client address, as CF-Connecting-IP
		{"POST", "/kv/a", "", 405, ""},
		{"PUT", "/kv/sp%20ace", "escaped", 204, ""}, // url.Parse path: %-escapes
		{"GET", "/kv/sp%20ace?x=1", "", 200, "escaped"},
		{"GET", "/kv?prefix=sp+a", "", 200, `"name":"sp ace"`},
		{"PUT", "/kv/big", strings.Repeat("v", 25<<20+1), 413, "the limit is 26214400"},
		{"PUT", "/kv/max", strings.Repeat("v", 25<<20), 204, ""},
	})
	// A 25 MiB value streams back through the SDK's streaming response path.
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/kv/max", nil))
	if rec.Code != 200 || rec.Body.Len() != 25<<20 || strings.Trim(rec.Body.String(), "v") != "" {
		t.Errorf("GET /kv/max: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	// Paging with the cursor visits every key once.
	var names []string
	cursor := ""
	for {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("GET", "/kv?limit=1&cursor="+cursor, nil))
		var page struct {
			Keys         []struct{ Name string }
			ListComplete bool   `json:"list_complete"`
			Cursor       string `json:"cursor"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Fatalf("list: %v: %s", err, rec.Body)
		}
		for _, k := range page.Keys {
			names = append(names, k.Name)
		}
		if page.ListComplete {
			break
		}
		cursor = page.Cursor
	}
	if got := strings.Join(names, ","); got != "b,c,max,sp ace" {
		t.Errorf("paged keys = %s, want b,c,max,sp ace", got)
	}
	// The data is really in the state directory.
	if v, ok, err := st.KV("store").Get(context.Background(), "b"); err != nil || !ok || string(v) != "beta" {
		t.Errorf("state has b = %q %v %v", v, ok, err)
	}
	// Bad input is the client's error, never a trap; keys are opaque.
	check(t, w, []call{
		{"PUT", "/kv/%FF%FE", "x", 400, "not valid UTF-8"},
		{"GET", "/kv/%FF", "", 400, "not valid UTF-8"},
		{"PUT", "/kv/x?ttl=-1", "x", 400, "negative"},
		{"PUT", "/kv/x?ttl=9999999999999", "x", 400, "ttl must be"},
		{"GET", "/kv?limit=4294967297", "", 400, "out of range"},
		{"GET", "/kv?limit=-1", "", 400, "out of range"},
		{"PUT", "/kv/", "x", 400, "empty"},
		{"PUT", "/kv", "x", 405, ""},
		{"PUT", "/kv/a//b", "double", 204, ""},
		{"PUT", "/kv/x/../y", "dots", 204, ""},
		{"GET", "/kv/a//b", "", 200, "double"},
		{"GET", "/kv/a/b", "", 404, ""},
		{"GET", "/kv/x/../y", "", 200, "dots"},
		{"GET", "/kv/y", "", 404, ""},
	})
	if d := w.Stats().Discarded; d != 0 {
		t.Errorf("%d instances discarded: a request trapped", d)
	}
}

// project writes a temporary project with kv-rest's wrangler.toml and
// .dev.vars, pointing at the built Worker.
func project(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	wasm := testutil.BuildGoGuest(t, "examples/kv-rest")
	toml := fmt.Sprintf(`name = "kv-rest"
main = %q

[vars]
GREETING = "hello from test"

[[kv_namespaces]]
binding = "STORE"
id = "test-store"
`, wasm)
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".dev.vars"), []byte("API_TOKEN=abc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startDev runs `bindery dev` in dir and returns its base URL and process.
func startDev(t *testing.T, bin, dir string) (string, *exec.Cmd) {
	t.Helper()
	u, cmd, _ := startDevLines(t, bin, dir)
	return u, cmd
}

// startDevLines is startDev that also returns what the server printed
// before "Ready on".
func startDevLines(t *testing.T, bin, dir string) (string, *exec.Cmd, []string) {
	t.Helper()
	cmd := exec.Command(bin, "dev", "--port", "0", "--log-level", "warn")
	cmd.Dir = dir
	u, lines := startLines(t, cmd)
	return u, cmd, lines
}

// startCmd starts cmd, a bindery dev, and returns its URL once it is
// ready; the test's end kills it.
func startCmd(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	u, _ := startLines(t, cmd)
	return u
}

// startLines is startCmd that also returns what the server printed
// before "Ready on".
func startLines(t *testing.T, cmd *exec.Cmd) (string, []string) {
	t.Helper()
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	var lines []string
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "Ready on "); ok {
			go io.Copy(io.Discard, out)
			return u, lines
		}
		lines = append(lines, sc.Text())
	}
	t.Fatalf("bindery dev exited before it was ready")
	return "", nil
}

func cli(t *testing.T, bin, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	b, err := cmd.Output()
	return string(b), err
}

// TestDevServer runs the CLI as a user would: bindery dev on a project,
// bindery kv key against it, then kill -9 during a write load and a restart
// that must find every acknowledged write.
func TestDevServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the CLI")
	}
	bin := testutil.BuildCLI(t)
	dir := project(t)
	base, cmd := startDev(t, bin, dir)

	if _, err := cli(t, bin, dir, "kv", "key", "put", "from-cli", "v1", "--binding", "STORE"); err != nil {
		t.Fatalf("kv key put through the admin API: %v", err)
	}
	if got := get(t, base+"/kv/from-cli"); got != "v1" {
		t.Errorf("worker sees %q, want v1", got)
	}
	if got := get(t, base+"/vars"); !strings.Contains(got, `"api_token_set":true`) || !strings.Contains(got, "hello from test") {
		t.Errorf("vars = %s", got)
	}

	// Write load, then kill -9.
	var mu sync.Mutex
	acked := map[string]string{}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				k, v := fmt.Sprintf("load-%d-%d", g, i), fmt.Sprintf("value-%d-%d", g, i)
				req, _ := http.NewRequestWithContext(ctx, "PUT", base+"/kv/"+k, strings.NewReader(v))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusNoContent {
					mu.Lock()
					acked[k] = v
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	cancel()
	wg.Wait()
	if len(acked) < 10 {
		t.Fatalf("only %d writes were acknowledged before the kill", len(acked))
	}

	// With the server gone (server.json is stale), the CLI opens the state itself.
	if out, err := cli(t, bin, dir, "kv", "key", "get", "from-cli", "--binding", "STORE"); err != nil || out != "v1" {
		t.Errorf("direct kv key get = %q, %v", out, err)
	}
	base, _ = startDev(t, bin, dir)
	lost := 0
	for k, v := range acked {
		if got := get(t, base+"/kv/"+k); got != v {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged writes lost after kill -9", lost, len(acked))
	}
	t.Logf("%d acknowledged writes survived kill -9", len(acked))
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestGuestMemoryStaysFlat sends thousands of requests that each allocate
// 64 KiB in the Go guest: the SDK's GC cadence must keep the instance's
// linear memory small (without it, big Go reaches hundreds of MiB).
func TestGuestMemoryStaysFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("thousands of requests")
	}
	w := newWorker(t, "examples/kv-rest", kv.NewBinding(map[string]*kv.Namespace{
		"STORE": kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil),
	}))
	body := strings.Repeat("x", 64<<10)
	for i := 0; i < 3000; i++ {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("PUT", "/kv/k", strings.NewReader(body)))
		if rec.Code != http.StatusNoContent {
			t.Fatalf("request %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	peak := w.Stats().PeakMemory
	t.Logf("peak guest memory after 3000 × 64 KiB requests: %d MiB", peak>>20)
	if peak > 64<<20 {
		t.Errorf("guest memory grew to %d MiB", peak>>20)
	}
}

// TestUngrantedBinding: a Worker whose config grants no STORE namespace gets
// a clear error when it opens one, never a silent default.
func TestUngrantedBinding(t *testing.T) {
	other := kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil)
	w := newWorker(t, "examples/kv-rest", kv.NewBinding(map[string]*kv.Namespace{"OTHER": other}))
	check(t, w, []call{
		{"GET", "/kv/a", "", 500, "no KV binding named STORE"},
		{"GET", "/vars", "", 200, `"greeting":""`},
	})
}

// TestClientCannotSpoofAddress: a CF-Connecting-IP sent by the client is
// replaced by the real address, as Cloudflare's edge does.
func TestClientCannotSpoofAddress(t *testing.T) {
	w := newWorker(t, "examples/kv-rest")
	req := httptest.NewRequest("GET", "/whoami", nil)
	req.Header.Set("CF-Connecting-IP", "6.6.6.6")
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, req)
	if got := rec.Body.String(); got != "192.0.2.1" {
		t.Errorf("RemoteAddr = %q, want the connection's address 192.0.2.1", got)
	}
}
