package conformance_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tetratelabs/wazero"

	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/testutil"
)

// The C Worker (conformance/c) builds with guest-sdk/c/build.sh, which
// finds Debian's clang (19, 16 or 14) with wasi-libc; without one the
// language is skipped with build.sh's reason.
func init() {
	languages = append(languages, language{name: "c", build: buildC})
}

func buildC(t *testing.T, dir string) (string, error) {
	root := testutil.RepoRoot(t)
	script := filepath.Join(root, "guest-sdk", "c", "build.sh")
	if err := probeToolchain(script); err != nil {
		return "", err
	}
	wasm := filepath.Join(dir, "c.wasm")
	cmd := exec.Command("bash", script, "-o", wasm, filepath.Join(root, "conformance", "c", "main.c"), filepath.Join(root, "conformance", "c", "durable.c"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New(err.Error() + "\n" + string(out))
	}
	return wasm, nil
}

// TestCSDKD1 holds guest-sdk/c's D1 layer to what the D1 section does not
// check: every value type both ways (int64 at both ends, -0.25, empty and
// NUL-holding text, which results also NUL-terminate, empty and binary
// blobs, NULL), column lookup, exec and meta, D1's errors as statuses, and
// sessions started from a bookmark (conformance/c's GET /d1x).
func TestCSDKD1(t *testing.T) {
	wasm := buildOrSkip(t, "c", func() (string, error) { return buildC(t, t.TempDir()) })
	w, _ := newWorker(t, "c-d1", wasm, func(c *host.WorkerConfig) {
		_, b := d1DB(t, t.TempDir())
		c.Bindings = append(c.Bindings, b)
	})
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/d1x", nil))
	want := `int -9223372036854775808;int 9223372036854775807;int -1;real -0.25;text "" nul=1;text "a\x00b" nul=1;blob ;blob 00ff;null;` +
		"col a 0 -1;exec BINDERY_OK 3;meta 2 1 1 1;none 0 1;" +
		"BINDERY_ERR_SQL;BINDERY_ERR_REFUSED;BINDERY_ERR_INVALID;BINDERY_ERR_SQL;BINDERY_ERR_LIMIT;BINDERY_ERR_NO_SUCH_BINDING;" +
		"bookmark 1;batch 3;session 3;BINDERY_ERR_INVALID;"
	if rec.Code != 200 || rec.Body.String() != want {
		t.Errorf("GET /d1x: %d %s, want %s", rec.Code, show(rec.Body.Bytes()), want)
	}
}

// TestCSDKDurableOptional: build.sh links Durable Objects (durable.c and
// generated-durable/) only into a Worker that uses them, found by the
// linker, or when --durable says so: a Worker without them neither
// imports bindery:durable nor exports the object events.
func TestCSDKDurableOptional(t *testing.T) {
	root := testutil.RepoRoot(t)
	script := filepath.Join(root, "guest-sdk", "c", "build.sh")
	hello := filepath.Join(root, "examples", "hello-c", "main.c")
	conf := []string{filepath.Join(root, "conformance", "c", "main.c"), filepath.Join(root, "conformance", "c", "durable.c")}
	tests := []struct {
		name    string
		args    []string
		durable bool
	}{
		{"hello", []string{hello}, false},
		{"hello --durable", []string{"--durable", hello}, true},
		{"conformance", conf, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wasm := buildOrSkip(t, "c", func() (string, error) {
				if err := probeToolchain(script); err != nil {
					return "", err
				}
				out := filepath.Join(t.TempDir(), "w.wasm")
				cmd := exec.Command("bash", append([]string{script, "-o", out}, tt.args...)...)
				if b, err := cmd.CombinedOutput(); err != nil {
					return "", errors.New(err.Error() + "\n" + string(b))
				}
				return out, nil
			})
			bin, err := os.ReadFile(wasm)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			r := wazero.NewRuntime(ctx)
			defer r.Close(ctx)
			cm, err := r.CompileModule(ctx, bin)
			if err != nil {
				t.Fatal(err)
			}
			var imports, exports []string
			for _, f := range cm.ImportedFunctions() {
				if mod, _, _ := f.Import(); strings.HasPrefix(mod, "bindery:durable/") {
					imports = append(imports, mod)
				}
			}
			for name := range cm.ExportedFunctions() {
				if strings.HasPrefix(name, "bindery:durable/") {
					exports = append(exports, name)
				}
			}
			if _, ok := cm.ExportedFunctions()["bindery:http/handler@0.1.0#handle"]; !ok {
				t.Error("no Worker handler export")
			}
			_, call := cm.ExportedFunctions()["bindery:durable/object@0.1.0#call"]
			switch {
			case tt.durable && (!call || len(imports) == 0):
				t.Errorf("Durable Objects not linked in: imports %v, exports %v", imports, exports)
			case !tt.durable && (len(imports) > 0 || len(exports) > 0):
				t.Errorf("a Worker without Durable Objects has imports %v and exports %v", imports, exports)
			}
		})
	}
}

// TestCSDKHandlersOptional: build.sh links the queue handler
// (queue_handler.c and generated-queue-consumer/) and the scheduled
// handler (scheduled.c and generated-scheduled/) only into a Worker that
// registers them, so a Worker without them exports neither (the host then
// never asks for them).
func TestCSDKHandlersOptional(t *testing.T) {
	root := testutil.RepoRoot(t)
	script := filepath.Join(root, "guest-sdk", "c", "build.sh")
	dir := t.TempDir()
	only := func(name, body string) string {
		p := filepath.Join(dir, name)
		src := "#include \"bindery.h\"\n" +
			"static void handle(bindery_request *req, bindery_response *res) { (void)req; bindery_response_text(res, 200, \"ok\"); }\n" +
			"BINDERY_HANDLER(handle)\n" + body
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	queueOnly := only("queue.c", "static void consume(bindery_batch *b) { bindery_batch_ack_all(b); }\nBINDERY_QUEUE_HANDLER(consume)\n")
	cronOnly := only("cron.c", "static void tick(bindery_scheduled_controller *c) { bindery_scheduled_no_retry(c); }\nBINDERY_SCHEDULED_HANDLER(tick)\n")
	sendOnly := only("send.c", "__attribute__((export_name(\"send\"))) int send(void) { bindery_queue *q; return bindery_queue_open(\"Q\", &q); }\n")
	const queueExport, cronExport = "bindery:queue/consumer@0.1.0#queue", "bindery:scheduled/handler@0.1.0#scheduled"
	tests := []struct {
		name        string
		args        []string
		queue, cron bool
	}{
		{"hello", []string{filepath.Join(root, "examples", "hello-c", "main.c")}, false, false},
		{"producer only", []string{sendOnly}, false, false},
		{"queue handler", []string{queueOnly}, true, false},
		{"scheduled handler", []string{cronOnly}, false, true},
		{"conformance", []string{filepath.Join(root, "conformance", "c", "main.c"), filepath.Join(root, "conformance", "c", "durable.c")}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wasm := buildOrSkip(t, "c", func() (string, error) {
				if err := probeToolchain(script); err != nil {
					return "", err
				}
				out := filepath.Join(t.TempDir(), "w.wasm")
				cmd := exec.Command("bash", append([]string{script, "-o", out}, tt.args...)...)
				if b, err := cmd.CombinedOutput(); err != nil {
					return "", errors.New(err.Error() + "\n" + string(b))
				}
				return out, nil
			})
			bin, err := os.ReadFile(wasm)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			r := wazero.NewRuntime(ctx)
			defer r.Close(ctx)
			cm, err := r.CompileModule(ctx, bin)
			if err != nil {
				t.Fatal(err)
			}
			exports := cm.ExportedFunctions()
			if _, ok := exports["bindery:http/handler@0.1.0#handle"]; !ok {
				t.Error("no Worker handler export")
			}
			if _, ok := exports[queueExport]; ok != tt.queue {
				t.Errorf("exports %s: %v, want %v", queueExport, ok, tt.queue)
			}
			if _, ok := exports[cronExport]; ok != tt.cron {
				t.Errorf("exports %s: %v, want %v", cronExport, ok, tt.cron)
			}
		})
	}
}

// TestCSDKDurable holds guest-sdk/c's Durable Objects layer to what the
// section does not check (conformance/c's GET /dox and the "info" and
// "close" socket messages): the statuses of a missing binding and a bad
// id, get by id, stub fetch of a request made up by the Worker, multi-key
// storage calls, list ranges and their refusal, a savepoint rolled back
// with its transaction, SQL values both ways at their limits, the alarm,
// deleteAll, setters' limits, thrown errors of each kind, a failing
// blockConcurrencyWhile resetting the object, a socket's attachment, tags,
// key and close, and a socket accepted in memory.
func TestCSDKDurable(t *testing.T) {
	wasm := buildOrSkip(t, "c", func() (string, error) { return buildC(t, t.TempDir()) })
	w, _ := newWorker(t, "c-durable", wasm, durableGrant(t))
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/dox", nil))
	want := "namespace BINDERY_ERR_NO_SUCH_BINDING;idFromString BINDERY_ERR_INVALID;uniqueEU BINDERY_OK;get 1;" +
		"fetchUrl 200 application/json 1 1;" +
		"extras class Conformance name dox;put BINDERY_OK;get BINDERY_OK 101 0;from b,c;between b;both BINDERY_ERR_INVALID;delete BINDERY_OK 1;" +
		"nested BINDERY_OK BINDERY_NOT_FOUND;syntax BINDERY_ERR_SQL;values 1 1 1 1 1 1 1 last;size BINDERY_OK 1;" +
		"alarm BINDERY_OK 1 BINDERY_NOT_FOUND;deleteAll ;tooMany BINDERY_ERR_INVALID;autoResponseTooLong BINDERY_ERR_LIMIT;autoResponse BINDERY_OK;;" +
		"rangeError BINDERY_ERR_THROWN RangeError: out of range: 42;" +
		"failWithStatus BINDERY_ERR_THROWN Error: no Durable Object binding \"NOPE\" in the Worker's config;" +
		"blockAndFail BINDERY_ERR_OBJECT_FAILED;fetchesAfterReset 0;"
	if rec.Code != 200 || rec.Body.String() != want {
		t.Errorf("GET /dox: %d\n%s\nwant\n%s", rec.Code, rec.Body.String(), want)
	}

	srv := httptest.NewServer(w)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/do/wsx/ws", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.CloseNow()
	for _, want := range []string{"info 1 tags 1 conf key 1", "info 2 tags 1 conf key 1"} {
		if err := c.Write(ctx, websocket.MessageText, []byte("info")); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.Read(ctx); err != nil || string(got) != want {
			t.Errorf("info: %q %v, want %q", got, err, want)
		}
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("close")); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Read(ctx)
	if s := websocket.CloseStatus(err); s != 4000 {
		t.Errorf("after close: %v (status %d), want the object's close 4000", err, s)
	}

	// A socket accepted in memory has no tags.
	m, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/do/wsm/wsmem", nil)
	if err != nil {
		t.Fatalf("dial in memory: %v", err)
	}
	defer m.CloseNow()
	if err := m.Write(ctx, websocket.MessageText, []byte("info")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := m.Read(ctx); err != nil || string(got) != "info 1 tags 0  key 1" {
		t.Errorf("in memory: info: %q %v", got, err)
	}
}

// TestCSDKDurableDocExample builds and runs the counter of docs/sdk-c.md's
// Durable Objects section: each POST /<name> increments the counter
// called name.
func TestCSDKDurableDocExample(t *testing.T) {
	root := testutil.RepoRoot(t)
	doc, err := os.ReadFile(filepath.Join(root, "docs", "sdk-c.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "## Durable Objects")
	_, code, ok := strings.Cut(section, "```c\n")
	code, _, ok2 := strings.Cut(code, "```")
	if !ok || !ok2 || !strings.Contains(code, "BINDERY_DO_CLASS") {
		t.Fatalf("no C example in docs/sdk-c.md's Durable Objects section")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "counter.c")
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "guest-sdk", "c", "build.sh")
	wasm := buildOrSkip(t, "c", func() (string, error) {
		if err := probeToolchain(script); err != nil {
			return "", err
		}
		out := filepath.Join(dir, "counter.wasm")
		if b, err := exec.Command("bash", script, "-o", out, src).CombinedOutput(); err != nil {
			return "", errors.New(err.Error() + "\n" + string(b))
		}
		return out, nil
	})
	w, _ := newWorker(t, "c-counter", wasm, durableGrantOf(t, "COUNTER", "Counter"))
	for i, step := range []struct{ path, want string }{{"/a", "1\n"}, {"/a", "2\n"}, {"/b", "1\n"}, {"/a", "3\n"}} {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("POST", step.path, nil))
		if rec.Code != 200 || rec.Body.String() != step.want {
			t.Errorf("step %d: POST %s: %d %q, want %q", i, step.path, rec.Code, rec.Body.String(), step.want)
		}
	}
}
