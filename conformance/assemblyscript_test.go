package conformance_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/testutil"
	"github.com/tetratelabs/wazero"
)

// The AssemblyScript Worker (conformance/assemblyscript) builds with
// guest-sdk/assemblyscript/build.sh, which installs the pinned asc with
// npm ci (from npm's cache when offline) on first use; without node and
// npm, or when the install fails, the language is skipped with build.sh's
// reason.
func init() {
	languages = append(languages, language{name: "assemblyscript", build: buildAssemblyScript})
}

func buildAssemblyScript(t *testing.T, dir string) (string, error) {
	return buildAssemblyScriptFile(t, "conformance/assemblyscript/index.ts", dir)
}

// buildAssemblyScriptFile builds the Worker whose entry is file (relative
// to the repository) into dir.
func buildAssemblyScriptFile(t *testing.T, file, dir string) (string, error) {
	root := testutil.RepoRoot(t)
	script := filepath.Join(root, "guest-sdk", "assemblyscript", "build.sh")
	if err := probeToolchain(script); err != nil {
		return "", err
	}
	wasm := filepath.Join(dir, "assemblyscript.wasm")
	cmd := exec.Command("bash", script, "-o", wasm, filepath.Join(root, filepath.FromSlash(file)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New(err.Error() + "\n" + string(out))
	}
	return wasm, nil
}

// TestAssemblyScriptAbort holds AssemblyScript's abort (throw, a failed
// assert) to one log record with its message: abort cannot return to the
// SDK (asc follows every call with unreachable), so it cannot fail the
// request and recover; it writes the message to stderr, which the host
// holds and puts into the trap's one record, and the instance is replaced.
func TestAssemblyScriptAbort(t *testing.T) {
	wasm := buildOrSkip(t, "assemblyscript", func() (string, error) { return buildAssemblyScript(t, t.TempDir()) })
	logs := &testutil.SyncBuffer{}
	w, _ := newWorker(t, "assemblyscript-abort", wasm, logTo(t, logs))
	for _, s := range []step{
		{name: "abort", method: "GET", path: "/abort", status: 500, absent: "ConformanceAbort", discards: true,
			logged: []string{`msg="request failed; instance discarded"`, `stderr="abort: ConformanceAbort: aborted on purpose at`}},
		{name: "hello after abort", method: "GET", path: "/hello", status: 200},
	} {
		logs.Reset()
		discarded := w.Stats().Discarded
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest(s.method, s.path, nil))
		if rec.Code != s.status || (s.absent != "" && strings.Contains(rec.Body.String(), s.absent)) {
			t.Errorf("%s: %d %s", s.name, rec.Code, show(rec.Body.Bytes()))
		}
		checkLogs(t, s, logs.String())
		if d := w.Stats().Discarded - discarded; (d == 1) != s.discards {
			t.Errorf("%s: %d instances discarded", s.name, d)
		}
	}
}

// TestAssemblyScriptD1 runs the SDK's own D1 checks inside a real guest
// (GET /d1/sdk of the AssemblyScript Worker): every D1Value case crosses
// to the host and back whole (i64's extremes, 2^53+1, reals, text with a
// surrogate pair, blobs, NULL) with the SQLite type SQL sees, the
// accessors and JSON renderings, bind, first, firstValue (and
// D1_COLUMN_NOTFOUND), raw, results, meta, batch and its rollback, exec,
// each D1 error as its ErrorCode with the host's message, and sessions.
// The answer is a JSON object: for each check "" when it held.
func TestAssemblyScriptD1(t *testing.T) {
	wasm := buildOrSkip(t, "assemblyscript", func() (string, error) { return buildAssemblyScript(t, t.TempDir()) })
	w, _ := newWorker(t, "assemblyscript-d1", wasm, func(c *host.WorkerConfig) {
		_, b := d1DB(t, t.TempDir())
		c.Bindings = append(c.Bindings, b)
	})
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/d1/sdk", nil))
	var got map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != 200 || err != nil {
		t.Fatalf("GET /d1/sdk: %d %s (%v)", rec.Code, show(rec.Body.Bytes()), err)
	}
	if len(got) < 55 {
		t.Errorf("only %d checks ran, want 55 or more: %v", len(got), slices.Sorted(maps.Keys(got)))
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if got[name] != "" {
			t.Errorf("%s: %s", name, got[name])
		}
	}
}

// TestAssemblyScriptSDKUnit runs the AssemblyScript SDK's unit tests
// (guest-sdk/assemblyscript/build.sh --test: test/structured_test.ts under
// node, over every shared structured-value vector in
// wit/deps/durable/testdata, and the SDK's builders and error messages;
// test/queue_test.ts: queue.ts's ack and retry rules, with their
// warnings, the bodies of each content type, and fromJSON).
func TestAssemblyScriptSDKUnit(t *testing.T) {
	script := filepath.Join(testutil.RepoRoot(t), "guest-sdk", "assemblyscript", "build.sh")
	_, err := testutil.ProbeScript("assemblyscript", script)
	testutil.NeedToolchain(t, err)
	out, err := exec.Command("bash", script, "--test").CombinedOutput()
	if err != nil {
		t.Fatalf("build.sh --test: %v\n%s", err, out)
	}
	if strings.Count(string(out), " checks, 0 failed") != 3 {
		t.Fatalf("build.sh --test did not report three passing runs:\n%s", out)
	}
}

// TestAssemblyScriptStructured runs the structured-value encoding inside
// the host, built with the SDK's own config (guest-sdk/assemblyscript/test/
// structured_worker.ts): a shared vector decoded and encoded again, a value
// built with the SDK's builders (1 << 60 is a bigint), and a decode error.
func TestAssemblyScriptStructured(t *testing.T) {
	// everything is the shared vector "object of everything" (a Map, a Set,
	// a Date, bytes, a typed array, undefined and an Error).
	const everything = "d9d9f7a46161d90103a101d9010281c10061628243010203d8454201006163f76164d81b82654572726f72a2646e616d65654572726f72676d65737361676560"
	wasm := buildOrSkip(t, "assemblyscript", func() (string, error) {
		return buildAssemblyScriptFile(t, "guest-sdk/assemblyscript/test/structured_worker.ts", t.TempDir())
	})
	// A Worker that does not import durable.ts stays in world worker.
	checkNoDurable(t, wasm)
	w, _ := newWorker(t, "assemblyscript-structured", wasm)
	body, err := hex.DecodeString(everything)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, body, want string }{
		{"round trip", string(body), everything + "\n" + "d9d9f7a4626964c2481000000000000000646e616d656261736474616773816161646e6f6e65f6"},
		{"malformed", "\xd9\xd9\xf7\x82\x01\x9f\xff", "at byte 5: indefinite length"},
	} {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("POST", "/structured", strings.NewReader(tt.body)))
		if rec.Code != 200 || rec.Body.String() != tt.want {
			t.Errorf("%s: %d %s, want %s", tt.name, rec.Code, show(rec.Body.Bytes()), tt.want)
		}
	}
}

// checkNoDurable fails unless the module at path neither imports nor
// exports a bindery:durable interface (world worker, not
// worker-with-objects).
func checkNoDurable(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range cm.ImportedFunctions() {
		if mod, name, _ := f.Import(); strings.HasPrefix(mod, "bindery:durable/") {
			t.Errorf("the Worker imports %s %s", mod, name)
		}
	}
	for name := range cm.ExportedFunctions() {
		if strings.Contains(name, "bindery:durable/") {
			t.Errorf("the Worker exports %s", name)
		}
	}
}

// TestAssemblyScriptOptionalExports: a Worker exports the queue handler
// only when it imports the SDK's queue.ts, and the scheduled handler only
// when it imports scheduled.ts (transform.js adds their exports), since
// the host requires them of a Worker that consumes a queue or has cron
// triggers; structured_worker.ts imports neither.
func TestAssemblyScriptOptionalExports(t *testing.T) {
	const queue, scheduled = "bindery:queue/consumer@0.1.0#queue", "bindery:scheduled/handler@0.1.0#scheduled"
	for _, tt := range []struct {
		file string
		want bool
	}{
		{"guest-sdk/assemblyscript/test/structured_worker.ts", false},
		{"conformance/assemblyscript/index.ts", true},
	} {
		wasm := buildOrSkip(t, "assemblyscript", func() (string, error) { return buildAssemblyScriptFile(t, tt.file, t.TempDir()) })
		b, err := os.ReadFile(wasm)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		rt := wazero.NewRuntime(ctx)
		cm, err := rt.CompileModule(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		exports := cm.ExportedFunctions()
		for _, name := range []string{queue, "cabi_post_" + queue, scheduled, "cabi_post_" + scheduled} {
			if _, ok := exports[name]; ok != tt.want {
				t.Errorf("%s: exports %s = %v, want %v", tt.file, name, ok, tt.want)
			}
		}
		if _, ok := exports["bindery:http/handler@0.1.0#handle"]; !ok {
			t.Errorf("%s: no fetch handler export", tt.file)
		}
		rt.Close(ctx)
	}
}

// TestAssemblyScriptDurableNested calls objects a → b → a → b with RPC:
// the second call to a runs while a's first event waits in its host call,
// nested on its instance (the SDK declares reentrant), and each level's
// result crosses back through its own return area. Then a's fetch count
// shows that it is still the same object in memory.
func TestAssemblyScriptDurableNested(t *testing.T) {
	wasm := buildOrSkip(t, "assemblyscript", func() (string, error) { return buildAssemblyScript(t, t.TempDir()) })
	w, _ := newWorker(t, "assemblyscript-nested", wasm, durableGrant(t))
	for i, s := range []durableStep{
		{"nest", "GET", "/do/a/nest", "", `["a","a-peer","a","a-peer"]`, nil},
		{"nest again", "GET", "/do/a/nest", "", `["a","a-peer","a","a-peer"]`, nil},
		{"fetch a", "POST", "/do/a/fetch", "x", `{"name":"a","method":"POST","body":"x","fetches":1}`, map[string]string{"id": `^[0-9a-f]{64}$`}},
	} {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest(s.method, s.path, strings.NewReader(s.body)))
		if rec.Code != 200 {
			t.Fatalf("%d %s: %d %s", i, s.name, rec.Code, show(rec.Body.Bytes()))
		}
		checkJSON(t, s.name, rec.Body.Bytes(), s.want, s.match)
	}
}

// TestAssemblyScriptDurableInMemorySocket accepts a web socket without
// hibernation (acceptWebSocketInMemory): its messages reach the same
// object in memory (a field counts them), and it has no tags.
func TestAssemblyScriptDurableInMemorySocket(t *testing.T) {
	wasm := buildOrSkip(t, "assemblyscript", func() (string, error) { return buildAssemblyScript(t, t.TempDir()) })
	w, _ := newWorker(t, "assemblyscript-ws-mem", wasm, durableGrant(t))
	srv := httptest.NewServer(w)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/do/mem/ws-mem", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for _, want := range []string{"count 1 tags 0", "count 2 tags 0"} {
		if err := c.Write(ctx, websocket.MessageText, []byte("count")); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.Read(ctx)
		if err != nil || string(got) != want {
			t.Errorf("count: got %q %v, want %q", got, err, want)
		}
	}
}

// TestAssemblyScriptDurableAPI runs the SDK's Durable Objects checks
// inside a real guest (guest-sdk/assemblyscript/test/durable_worker.ts):
// storage (getMultiple, deleteMultiple, list, deleteAll, a key or value
// UTF-8 cannot carry), nested transactions, the alarm, SQL (several
// statements, 64-bit integers, blobs, toArray, one, errors, the
// authorizer, databaseSize), blockConcurrency, the auto-response, the
// event timeout; and on the Worker's side a missing namespace, ids,
// fetchURL, a missing method and a plain thrown value (RpcError), and
// abort (ObjectFailed, then a fresh object). The answer is a JSON object:
// for each check "" when it held.
func TestAssemblyScriptDurableAPI(t *testing.T) {
	wasm := buildOrSkip(t, "assemblyscript", func() (string, error) {
		return buildAssemblyScriptFile(t, "guest-sdk/assemblyscript/test/durable_worker.ts", t.TempDir())
	})
	w, _ := newWorker(t, "assemblyscript-durable-api", wasm, durableGrant(t))
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/checks", nil))
	var got map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != 200 || err != nil {
		t.Fatalf("GET /checks: %d %s (%v)", rec.Code, show(rec.Body.Bytes()), err)
	}
	if len(got) < 40 {
		t.Errorf("only %d checks ran, want 40 or more: %v", len(got), slices.Sorted(maps.Keys(got)))
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if got[name] != "" {
			t.Errorf("%s: %s", name, got[name])
		}
	}
}
