// Package conformance_test runs the same conformance Worker, written in
// every language Bindery has an SDK for, through a real host.Worker with
// real state, and holds each to the same expectations.
//
// A language registers itself from conformance/<lang>_test.go by appending
// to languages in an init function; its Worker's sources live in
// conformance/<lang>/. A language whose toolchain is missing is skipped
// with the reason, and TestConformance's summary line says which ran and
// which were skipped (go test -v -run TestConformance ./conformance/).
//
// # The conformance Worker
//
// Bindings: KV "STORE", R2 "FILES", D1 "DB", var GREETING="hello", secret
// API_TOKEN. The D1 routes are in d1_test.go.
//
//	GET    /hello        200 "hello from <lang>", Content-Type text/plain
//	PUT    /kv/<key>     204 (stores the body); GET 200 value or 404; DELETE 204
//	GET    /vars         200 {"greeting":"hello","secret_set":true} (exactly)
//	PUT    /kv-too-long  400 with the host's error for a 513-byte key (it names 512)
//	POST   /echo         200, the request body streamed back (the suite sends 8 MiB)
//	PUT    /r2/<key>     201 {"etag":"<hex md5>","size":N}; GET 200 the bytes (splice) or 404
//	GET    /trap         the Worker traps: the host answers 500, logs one record,
//	                     replaces the instance and keeps serving
//	GET    /fail         the Worker fails the request through its SDK's failure
//	                     path (a panic, a throw, a raise, an error returned from
//	                     the handler, an explicit fail) with a reason that says
//	                     "ConformanceFailure": 500 whose body does not say it,
//	                     one log record that does, and the instance kept
//	GET    /fail-stream  the same after a streamed 200 has written 128 KiB of 'x':
//	                     the client reads the head, at least 64 KiB of 'x' and an
//	                     unexpected EOF, never a complete-looking body (run
//	                     through a real server)
//	PUT    /kv-not-utf8  a KV put with a key the language's strings can hold but
//	                     UTF-8 cannot carry (the bytes FF FE in C, Zig and Go, a
//	                     lone surrogate in JavaScript and AssemblyScript, a
//	                     surrogate-escaped str in Python): 400 with the SDK's
//	                     typed error, which says "UTF-8"; the host never sees the
//	                     key, so the instance is kept. Rust's &str cannot hold
//	                     such a key, so the Rust Worker has no such route.
//
// Every step but /trap keeps the instance (Stats().Discarded), and every
// step but /trap and the failures logs nothing at warning or above.
package conformance_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/cache/diskcache"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/durablehost"
	"github.com/bindery-run/bindery/host/queuehost"
	"github.com/bindery-run/bindery/internal/jsbuild"
	"github.com/bindery-run/bindery/internal/jsbuild/jstest"
	"github.com/bindery-run/bindery/internal/testutil"
)

// language is one SDK's conformance Worker.
type language struct {
	name string
	// build builds the conformance Worker into dir and returns the .wasm
	// path; a missing toolchain returns skip("why") so the suite skips that
	// language with the reason.
	build func(t *testing.T, dir string) (string, error)
}

// languages holds every registered language; each <lang>_test.go appends
// in an init function.
var languages []language

// skipError is a missing toolchain: the language is skipped, not failed.
type skipError struct{ reason string }

func (e *skipError) Error() string { return "skip: " + e.reason }

// skip returns an error the harness reports with t.Skipf("<lang>: ...").
func skip(format string, args ...any) error {
	return &skipError{fmt.Sprintf(format, args...)}
}

// Each run gets its own bodies: random, so that a Worker cannot pass by
// answering constant bytes.
const (
	echoSize = 8 << 20
	r2Size   = 1<<20 + 7
)

// step is one request of the table and what every language must answer.
type step struct {
	name         string
	method, path string
	body         []byte
	status       int
	// Exactly one of these checks the body (none: the body is not checked).
	want     []byte // exactly these bytes
	contains string // a substring
	// contentType is a prefix of the Content-Type header ("" = not checked).
	contentType string
	// absent must not be in the body ("" = not checked): a failure's
	// reason is for the log, never for the client.
	absent string
	// logged, when set, is in the one log record (warning or above) the
	// step must make: a failed request is one record. Unset, the step
	// must log nothing at warning or above.
	logged []string
	// discards: the step ends the instance (a trap); every other step
	// must keep it.
	discards bool
}

// failure is what every Worker's /fail and /fail-stream say in their
// reason; the host logs it, the client never sees it.
const failure = "ConformanceFailure"

// failedRecord starts the record the host logs, with the guest's reason,
// for a request the guest failed (fail, not a trap): the failure is the
// host's one record, not a line the Worker printed to stderr.
const failedRecord = `msg="request failed" `

// hasNonUTF8Keys says whether lang's strings can hold a key UTF-8 cannot
// carry: every language's but Rust's, whose &str is UTF-8 by type.
func hasNonUTF8Keys(lang string) bool { return lang != "rust" }

func table(lang string, echo, object []byte) []step {
	sum := md5.Sum(object)
	steps := []step{
		{name: "hello", method: "GET", path: "/hello", status: 200, want: []byte("hello from " + lang), contentType: "text/plain"},
		{name: "kv missing", method: "GET", path: "/kv/conformance", status: 404},
		{name: "kv put", method: "PUT", path: "/kv/conformance", body: []byte("value of " + lang), status: 204},
		{name: "kv get", method: "GET", path: "/kv/conformance", status: 200, want: []byte("value of " + lang)},
		{name: "kv overwrite", method: "PUT", path: "/kv/conformance", body: []byte("second"), status: 204},
		{name: "kv get again", method: "GET", path: "/kv/conformance", status: 200, want: []byte("second")},
		{name: "kv delete", method: "DELETE", path: "/kv/conformance", status: 204},
		{name: "kv deleted", method: "GET", path: "/kv/conformance", status: 404},
		{name: "kv delete missing", method: "DELETE", path: "/kv/never", status: 204},
		{name: "kv kept", method: "PUT", path: "/kv/kept", body: []byte{0, 1, 2, 0xff}, status: 204},
		{name: "kv put empty", method: "PUT", path: "/kv/empty", body: []byte{}, status: 204},
		{name: "kv get empty", method: "GET", path: "/kv/empty", status: 200, want: []byte{}},
		{name: "vars", method: "GET", path: "/vars", status: 200, want: []byte(`{"greeting":"hello","secret_set":true}`), contentType: "application/json"},
		{name: "kv key too long", method: "PUT", path: "/kv-too-long", status: 400, contains: "512"},
		{name: "echo 8 MiB", method: "POST", path: "/echo", body: echo, status: 200, want: echo},
		{name: "echo empty", method: "POST", path: "/echo", body: nil, status: 200, want: []byte{}},
		{name: "r2 missing", method: "GET", path: "/r2/object.bin", status: 404},
		{name: "r2 put", method: "PUT", path: "/r2/object.bin", body: object, status: 201,
			want: fmt.Appendf(nil, `{"etag":"%s","size":%d}`, hex.EncodeToString(sum[:]), len(object)), contentType: "application/json"},
		{name: "r2 get", method: "GET", path: "/r2/object.bin", status: 200, want: object},
		{name: "trap", method: "GET", path: "/trap", status: 500, logged: []string{`msg="request failed; instance discarded"`}, discards: true},
		{name: "hello after trap", method: "GET", path: "/hello", status: 200, want: []byte("hello from " + lang)},
		{name: "fail", method: "GET", path: "/fail", status: 500, absent: failure, logged: []string{failedRecord, failure}},
		{name: "hello after fail", method: "GET", path: "/hello", status: 200, want: []byte("hello from " + lang)},
	}
	if hasNonUTF8Keys(lang) {
		steps = append(steps,
			step{name: "kv key not UTF-8", method: "PUT", path: "/kv-not-utf8", body: []byte("x"), status: 400, contains: "UTF-8"},
			step{name: "hello after a key not UTF-8", method: "GET", path: "/hello", status: 200, want: []byte("hello from " + lang)})
	}
	return steps
}

// result is how one language did, for the summary.
type result struct {
	name, skipped string
	failed        bool
}

func TestConformance(t *testing.T) {
	if len(languages) == 0 {
		t.Fatal("no language registered")
	}
	var (
		mu      sync.Mutex
		results []result
	)
	for _, lang := range languages {
		t.Run(lang.name, func(t *testing.T) {
			r := result{name: lang.name}
			defer func() {
				r.failed = t.Failed()
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
			}()
			wasm, err := lang.build(t, t.TempDir())
			if se := (*skipError)(nil); errors.As(err, &se) {
				if required(lang.name) {
					t.Fatalf("%s is required (BINDERY_CONFORMANCE_REQUIRE) but cannot be built: %s", lang.name, se.reason)
				}
				r.skipped = se.reason
				t.Skipf("%s: %s", lang.name, se.reason)
			}
			if err != nil {
				t.Fatalf("build the %s Worker: %v", lang.name, err)
			}
			run(t, lang, wasm)
		})
	}
	line := summary(results)
	t.Log(line)
	fmt.Println(line)
}

// buildOrSkip runs build for lang and returns the .wasm path. A missing
// toolchain skips the test with the reason, or fails it when lang is
// required (BINDERY_CONFORMANCE_REQUIRE); any other error fails it.
func buildOrSkip(t testing.TB, lang string, build func() (string, error)) string {
	t.Helper()
	wasm, err := build()
	if se := (*skipError)(nil); errors.As(err, &se) {
		if required(lang) {
			t.Fatalf("%s is required (BINDERY_CONFORMANCE_REQUIRE) but cannot be built: %s", lang, se.reason)
		}
		t.Skipf("%s: %s", lang, se.reason)
	}
	if err != nil {
		t.Fatalf("build the %s Worker: %v", lang, err)
	}
	return wasm
}

// probeToolchain runs a guest-sdk build script with --probe. Exit status 3
// means the toolchain is missing: a skipError with the script's reason.
// Any other failure is an error with the script's output.
func probeToolchain(script string) error {
	name := filepath.Base(script)
	if _, err := exec.LookPath("bash"); err != nil {
		return skip("no bash to run %s", name)
	}
	var stderr bytes.Buffer
	probe := exec.Command("bash", script, "--probe")
	probe.Stderr = &stderr
	if err := probe.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 3 {
			return skip("%s", strings.TrimPrefix(strings.TrimSpace(stderr.String()), name+": "))
		}
		return errors.New(err.Error() + "\n" + stderr.String())
	}
	return nil
}

// required says whether the comma-separated list in
// BINDERY_CONFORMANCE_REQUIRE names lang's toolchain: CI sets it for the
// languages whose toolchains it installs, so a broken install fails instead
// of skipping. A variant of a language ("python-cf") needs the language's
// toolchain. The tests outside this suite read the same list
// (testutil.NeedToolchain).
func required(lang string) bool {
	toolchain, _, _ := strings.Cut(lang, "-")
	return testutil.Required(toolchain)
}

// summary is one line: "conformance: ran go, c; skipped rust (no cargo)".
func summary(results []result) string {
	var ran, skipped []string
	for _, r := range results {
		switch {
		case r.skipped != "":
			skipped = append(skipped, fmt.Sprintf("%s (%s)", r.name, r.skipped))
		case r.failed:
			ran = append(ran, r.name+" FAILED")
		default:
			ran = append(ran, r.name)
		}
	}
	line := "conformance: ran " + orNone(ran)
	if len(skipped) > 0 {
		line += "; skipped " + strings.Join(skipped, ", ")
	}
	return line
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// run serves the Worker at wasmPath with fresh state and checks the table,
// then the failure of a streamed response through a real server.
func run(t *testing.T, l language, wasmPath string) {
	lang := l.name
	logs := &testutil.SyncBuffer{}
	var db *d1.Database
	grants := []func(*host.WorkerConfig){logTo(t, logs), func(c *host.WorkerConfig) {
		var b host.Binding
		db, b = d1DB(t, t.TempDir())
		c.Bindings = append(c.Bindings, b)
	}}
	grants = append(grants, durableGrant(t))
	var qs queueSetup
	grants = append(grants, queueGrant(t, &qs))
	w, st := newWorker(t, lang, wasmPath, grants...)
	rng := rand.New(rand.NewPCG(uint64(len(lang)), 4))
	echo, object := random(rng, echoSize), random(rng, r2Size)
	for _, s := range table(lang, echo, object) {
		logs.Reset()
		discarded := w.Stats().Discarded
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(s.method, s.path, bytes.NewReader(s.body))
		w.ServeHTTP(rec, req)
		got := rec.Body.Bytes()
		checkLogs(t, s, logs.String())
		if d := w.Stats().Discarded - discarded; d != 0 && !s.discards {
			t.Errorf("%s: %s %s: the instance was discarded", s.name, s.method, s.path)
		} else if d == 0 && s.discards {
			t.Errorf("%s: %s %s: the instance was kept, want it discarded", s.name, s.method, s.path)
		}
		if rec.Code != s.status {
			t.Errorf("%s: %s %s: status %d, want %d (body %s)", s.name, s.method, s.path, rec.Code, s.status, show(got))
			continue
		}
		switch {
		case s.want != nil && !bytes.Equal(got, s.want):
			t.Errorf("%s: %s %s: body %s, want %s", s.name, s.method, s.path, show(got), show(s.want))
		case s.contains != "" && !strings.Contains(string(got), s.contains):
			t.Errorf("%s: %s %s: body %s does not contain %q", s.name, s.method, s.path, show(got), s.contains)
		case s.absent != "" && strings.Contains(string(got), s.absent):
			t.Errorf("%s: %s %s: body %s contains %q", s.name, s.method, s.path, show(got), s.absent)
		}
		if ct := rec.Header().Get("Content-Type"); s.contentType != "" && !strings.HasPrefix(ct, s.contentType) {
			t.Errorf("%s: %s %s: Content-Type %q, want %s...", s.name, s.method, s.path, ct, s.contentType)
		}
	}
	failStream(t, w, logs)
	runD1(t, w, db)
	runDurable(t, w)
	runQueues(t, w, qs)
	// What the Worker stored is really in the state directory.
	ctx := context.Background()
	if v, ok, err := st.KV("store").Get(ctx, "kept"); err != nil || !ok || !bytes.Equal(v, []byte{0, 1, 2, 0xff}) {
		t.Errorf("state: KV kept = %q %v %v", v, ok, err)
	}
	if _, ok, _ := st.KV("store").Get(ctx, "conformance"); ok {
		t.Errorf("state: KV conformance is still there after DELETE")
	}
	b, err := st.R2().Bucket(ctx, "files")
	if err != nil {
		t.Fatal(err)
	}
	if obj, err := b.Head(ctx, "object.bin"); err != nil || obj.Size != int64(len(object)) {
		t.Errorf("state: R2 object.bin = %+v, %v", obj, err)
	}
}

// checkLogs holds what a step logged at warning or above to s.logged.
func checkLogs(t *testing.T, s step, logged string) {
	t.Helper()
	var records []string
	for _, l := range strings.Split(logged, "\n") {
		if l != "" {
			records = append(records, l)
		}
	}
	switch {
	case s.logged == nil && len(records) > 0:
		t.Errorf("%s: %s %s: logged %.2000q, want nothing", s.name, s.method, s.path, records)
	case s.logged != nil && len(records) != 1:
		t.Errorf("%s: %s %s: want one log record with %q, got %d: %.2000q", s.name, s.method, s.path, s.logged, len(records), records)
	case s.logged != nil:
		for _, l := range s.logged {
			if !strings.Contains(records[0], l) {
				t.Errorf("%s: %s %s: the log record %.2000q does not contain %q", s.name, s.method, s.path, records[0], l)
			}
		}
	}
}

// failStream asks for GET /fail-stream through a real server (an aborted
// response panics http.ErrAbortHandler out of ServeHTTP, which only a
// server turns into a cut connection): the head and at least 64 KiB of the
// 128 KiB of 'x' written arrive (what net/http still buffers is lost with
// the connection), then the body ends with an unexpected EOF, never as if
// it were complete; the host logs the failure once and keeps the instance,
// which answers the next request.
func failStream(t *testing.T, w *host.Worker, logs *testutil.SyncBuffer) {
	t.Helper()
	srv := httptest.NewServer(w)
	defer srv.Close()
	logs.Reset()
	discarded := w.Stats().Discarded
	resp, err := http.Get(srv.URL + "/fail-stream")
	if err != nil {
		t.Errorf("GET /fail-stream: %v", err)
		return
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("GET /fail-stream: status %d, read error %v after %d bytes; want 200 and an unexpected EOF", resp.StatusCode, err, len(body))
	}
	if len(body) < 64<<10 || strings.Trim(string(body), "x") != "" {
		t.Errorf("GET /fail-stream: body %s, want at least 64 KiB of 'x'", show(body))
	}
	checkLogs(t, step{name: "fail mid-stream", method: "GET", path: "/fail-stream", logged: []string{failedRecord, failure}}, logs.String())
	if d := w.Stats().Discarded - discarded; d != 0 {
		t.Errorf("GET /fail-stream: %d instances discarded, want the instance kept", d)
	}
	resp, err = http.Get(srv.URL + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /hello after /fail-stream: status %d", resp.StatusCode)
	}
}

func random(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// show describes a body: quoted when short, by length and digest when not.
func show(b []byte) string {
	if len(b) <= 200 {
		return fmt.Sprintf("%q", b)
	}
	sum := md5.Sum(b)
	return fmt.Sprintf("%d bytes (md5 %x)", len(b), sum)
}

// newWorker serves wasmPath with KV STORE, R2 FILES, GREETING and
// API_TOKEN over a fresh data directory, as bindery dev would.
func newWorker(t testing.TB, name, mainPath string, mutate ...func(*host.WorkerConfig)) (*host.Worker, *state.State) {
	t.Helper()
	wasm, init, mapText := loadMain(t, mainPath)
	cache, _ := os.UserCacheDir()
	mutate = append([]func(*host.WorkerConfig){func(c *host.WorkerConfig) { c.Init, c.MapText = init, mapText }}, mutate...)
	w, st, _ := newWorkerIn(t, name, wasm, filepath.Join(cache, "bindery-test", "wazero"), mutate...)
	return w, st
}

// loadMain reads a Worker's main as bindery dev does: a .wasm as it is, a
// JavaScript main built by internal/jsbuild (the engine and the
// pre-initialisation that evaluates the bundle).
func loadMain(t testing.TB, mainPath string) ([]byte, *host.InitConfig, func(string) string) {
	t.Helper()
	if jsbuild.IsJS(mainPath) {
		w := jstest.Build(t, mainPath)
		return w.Wasm, w.Init, w.MapText
	}
	wasm, err := os.ReadFile(mainPath)
	if err != nil {
		t.Fatal(err)
	}
	return wasm, nil, nil
}

// newWorkerIn is newWorker with the compilation cache in cacheDir ("" for
// none); it also returns how long NewWorker took. mutate changes the
// Worker's config before it is made.
func newWorkerIn(t testing.TB, name string, wasm []byte, cacheDir string, mutate ...func(*host.WorkerConfig)) (*host.Worker, *state.State, time.Duration) {
	t.Helper()
	ctx := context.Background()
	st, err := state.Open(t.TempDir(), state.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	caches, err := diskcache.Open(filepath.Join(st.Dir(), "cache"), st.DB(), diskcache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { caches.Close() })
	if err := st.R2().CreateBucket(ctx, "files"); err != nil {
		t.Fatal(err)
	}
	bucket, err := st.R2().Bucket(ctx, "files")
	if err != nil {
		t.Fatal(err)
	}
	v, err := vars.New(map[string]vars.Var{
		"GREETING":  {Kind: vars.Text, Value: "hello"},
		"API_TOKEN": {Kind: vars.Secret, Value: "s3cret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
		CacheDir:   cacheDir,
		Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cache.WIT(), d1.WIT(), durablehost.ClientWIT(), durablehost.StateWIT(), queuehost.ProducerWIT()},
		// The trap step logs an error by design; warnings and up go to the test log.
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	cfg := host.WorkerConfig{
		Name: "conformance-" + name,
		Wasm: wasm,
		Bindings: []host.Binding{
			kv.NewBinding(map[string]*kv.Namespace{"STORE": st.KV("store")}),
			r2.NewBinding(map[string]*r2.Bucket{"FILES": bucket}),
			cache.NewBinding(caches.Storage("conformance-"+name), cache.Options{}),
			v,
		},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	start := time.Now()
	w, err := rt.NewWorker(ctx, cfg)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(ctx) })
	return w, st, took
}

// logTo is a newWorker mutation that sends the Worker's log, warnings and
// up, to logs and to the test's log.
func logTo(t *testing.T, logs *testutil.SyncBuffer) func(*host.WorkerConfig) {
	return func(c *host.WorkerConfig) {
		c.Logger = slog.New(slog.NewTextHandler(io.MultiWriter(logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
}

// testWriter sends the host's log to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var _ http.Handler = (*host.Worker)(nil)
