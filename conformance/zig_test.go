package conformance_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/testutil"
)

// The Zig Worker (conformance/zig) builds with guest-sdk/zig/build.sh, which
// finds Zig 0.17 ($ZIG, zig on PATH, or the one
// guest-sdk/zig/install-toolchain.sh put under ~/.cache/bindery/zig) and
// compiles the SDK over the C bindings generated from wit/; without such a
// zig the language is skipped with build.sh's reason. It has the Durable
// Objects section (conformance/zig/durable.zig).
func init() {
	languages = append(languages, language{name: "zig", build: buildZig})
}

func buildZig(t *testing.T, dir string) (string, error) {
	return buildZigFile(t, "conformance/zig/main.zig", dir)
}

// buildZigFile builds the Worker whose fetch is in file (relative to the
// repository) into dir.
func buildZigFile(t *testing.T, file, dir string) (string, error) {
	root := testutil.RepoRoot(t)
	script := filepath.Join(root, "guest-sdk", "zig", "build.sh")
	if err := probeToolchain(script); err != nil {
		return "", err
	}
	wasm := filepath.Join(dir, strings.TrimSuffix(filepath.Base(file), ".zig")+".wasm")
	cmd := exec.Command("bash", script, "-o", wasm, filepath.Join(root, filepath.FromSlash(file)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New(err.Error() + "\n" + string(out))
	}
	return wasm, nil
}

// TestZigSDK runs guest-sdk/zig/testdata/sdk.zig, which uses what the
// conformance Worker does not: headers and query, streamed and flushed
// responses, an error returned from fetch and res.fail (one log record,
// a 500 without the reason, which is cut and made UTF-8), vars' kinds, KV list and put
// options, R2 head, ranges, writers, checksums and delete, D1's value
// conversions (i64 at both ends, reals, empty and NUL-holding text, blobs,
// NULL), typed errors and sessions (D1 "DB"), and a stack overflow, which
// must trap.
func TestZigSDK(t *testing.T) {
	// everything is the shared vector "object of everything" (a Map, a Set,
	// a Date, bytes, a typed array, undefined and an Error).
	const everything = "d9d9f7a46161d90103a101d9010281c10061628243010203d8454201006163f76164d81b82654572726f72a2646e616d65654572726f72676d65737361676560"
	wasm := buildOrSkip(t, "zig", func() (string, error) { return buildZigFile(t, "guest-sdk/zig/testdata/sdk.zig", t.TempDir()) })
	logs := &testutil.SyncBuffer{}
	w, _ := newWorker(t, "zig-sdk", wasm, logTo(t, logs), func(c *host.WorkerConfig) {
		_, b := d1DB(t, t.TempDir())
		c.Bindings = append(c.Bindings, b)
	})
	big := make([]byte, 0, 200*1000)
	for i := range 200 {
		big = append(big, bytes.Repeat([]byte{byte('a' + i%26)}, 1000)...)
	}
	tests := []struct {
		name, method, path, body string
		header                   [2]string
		status                   int
		want                     string // the whole body ("" with contains set: not checked)
		contains                 string
		wantHeader               [2]string
		logged                   []string // in the one record the request logs
	}{
		{name: "request", method: "GET", path: "/request?a=1&b=2", header: [2]string{"X-Test", "yes"}, status: 200,
			want: "GET /request q=a=1&b=2 x-test=yes missing=true\nx-headers=1\n"},
		{name: "headers", method: "GET", path: "/headers", status: 202, want: "ok", wantHeader: [2]string{"X-Custom", "v1"}},
		{name: "big", method: "GET", path: "/big", status: 200, want: string(big)},
		{name: "flush", method: "GET", path: "/flush", status: 200, want: "one,two"},
		{name: "error from fetch", method: "GET", path: "/error", status: 500, want: "worker error: the Worker failed (see the log)\n",
			logged: []string{"fetch GET /error returned error.NoSuchBinding (last SDK error: no KV binding named NOPE in the worker's config)"}},
		{name: "fail with a reason", method: "GET", path: "/fail-reason", status: 500, want: "worker error: the Worker failed (see the log)\n",
			logged: []string{"bad \ufffd byte rrr"}},
		{name: "vars", method: "GET", path: "/vars", status: 200, want: "text=hello secret secret(GREETING)=true get(NOPE)=true\n"},
		{name: "kv", method: "GET", path: "/kv", status: 200, want: "list/a;list/b; InvalidArgument missing=true"},
		{name: "r2", method: "GET", path: "/r2", status: 200,
			want: "put r2/bytes 10 text/x-test;head 10 781e5e245d69b566979b86e28d23f2c7;range 234;writer 6;InvalidArgument;deleted true;"},
		{name: "d1", method: "GET", path: "/d1", status: 200,
			want: `int -9223372036854775808;int 9223372036854775807;int -1;real -0.25;text "";text "a\x00b";blob ;blob 00ff;null;` +
				"col a 0;exec 3;meta 2 1 1 true;raw 2 y;none true;InvalidArgument D1_COLUMN_NOTFOUND: Column not found (w);" +
				"Sql;Refused;InvalidArgument;Sql;LimitExceeded;NoSuchBinding;bookmark true;batch 2 3;session 3;InvalidArgument;"},
		{name: "structured", method: "POST", path: "/structured", body: string(mustHex(t, everything)), status: 200,
			want: everything + "\n" + "d9d9f7a4626964c2481000000000000000646e616d65637a69676474616773816161646e6f6e65f6" + "\n1152921504606846976 zig a null"},
		{name: "structured malformed", method: "POST", path: "/structured", body: "\xd9\xd9\xf7\x82\x01\x9f\xff", status: 200,
			want: "Malformed at byte 5: indefinite length"},
		{name: "json writer", method: "GET", path: "/json", status: 200, want: `{"greeting":"hello","n":42,"list":[1,2],"esc":"a\"b"}`, wantHeader: [2]string{"Content-Type", "application/json"}},
		{name: "read all", method: "POST", path: "/read-all", body: "0123456789", status: 200, want: "0123456789"},
		{name: "read all over limit", method: "POST", path: "/read-all", body: "0123456789a", status: 413, want: "TooLarge"},
		{name: "splice request", method: "POST", path: "/splice-request", body: strings.Repeat("s", 100000), status: 200, want: strings.Repeat("s", 100000)},
		{name: "stack overflow traps", method: "GET", path: "/recurse", status: 500},
		{name: "served after the trap", method: "GET", path: "/flush", status: 200, want: "one,two"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.header[0] != "" {
				req.Header.Set(tt.header[0], tt.header[1])
			}
			logs.Reset()
			w.ServeHTTP(rec, req)
			got := rec.Body.String()
			if tt.logged != nil {
				records := strings.Split(strings.TrimSpace(logs.String()), "\n")
				if len(records) != 1 || len(records[0]) > 20<<10 {
					t.Errorf("want one record of at most 20 KiB, got %d: %.2000q", len(records), records)
				}
				for _, l := range tt.logged {
					if !strings.Contains(records[0], l) {
						t.Errorf("the record %.2000q does not contain %q", records[0], l)
					}
				}
			}
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d (body %s)", rec.Code, tt.status, show(rec.Body.Bytes()))
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("body %s, want %s", show(rec.Body.Bytes()), show([]byte(tt.want)))
			}
			if tt.contains != "" && !strings.Contains(got, tt.contains) {
				t.Errorf("body %s does not contain %q", show(rec.Body.Bytes()), tt.contains)
			}
			if k := tt.wantHeader[0]; k != "" && rec.Header().Get(k) != tt.wantHeader[1] {
				t.Errorf("header %s = %q, want %q", k, rec.Header().Values(k), tt.wantHeader[1])
			}
		})
	}
}

// mustHex decodes hex or ends t.
func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

// TestZigSDKUnit runs the Zig SDK's native unit tests (guest-sdk/zig/build.sh
// --test: zig test over structured_test.zig, which checks every shared
// structured-value vector in wit/deps/durable/testdata and the mapping of
// Zig values).
func TestZigSDKUnit(t *testing.T) {
	script := filepath.Join(testutil.RepoRoot(t), "guest-sdk", "zig", "build.sh")
	_, err := testutil.ProbeScript("zig", script)
	testutil.NeedToolchain(t, err)
	out, err := exec.Command("bash", script, "--test").CombinedOutput()
	if err != nil {
		t.Fatalf("zig test: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "tests passed") {
		t.Fatalf("zig test ran no tests:\n%s", out)
	}
}

// TestZigHandlersOptional: build.sh compiles the queue and scheduled
// handlers' exports (guest-sdk/c/generated-queue-consumer and
// generated-scheduled) only into a Zig Worker whose root file declares
// `pub fn queue` or `pub fn scheduled`, so a Worker without them exports
// neither (the host then never asks for them).
func TestZigHandlersOptional(t *testing.T) {
	root := testutil.RepoRoot(t)
	script := filepath.Join(root, "guest-sdk", "zig", "build.sh")
	dir := t.TempDir()
	queueOnly := filepath.Join(dir, "queue.zig")
	src := `const bindery = @import("bindery");
pub fn fetch(_: *bindery.Request, res: *bindery.Response) !void {
    try res.text(200, "ok");
}
pub fn queue(batch: *bindery.queue.Batch) !void {
    batch.ackAll();
}
`
	if err := os.WriteFile(queueOnly, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	const queueExport, cronExport = "bindery:queue/consumer@0.1.0#queue", "bindery:scheduled/handler@0.1.0#scheduled"
	tests := []struct {
		name        string
		file        string
		queue, cron bool
	}{
		{"hello", filepath.Join(root, "examples", "hello-zig", "src", "main.zig"), false, false},
		{"queue handler", queueOnly, true, false},
		{"conformance", filepath.Join(root, "conformance", "zig", "main.zig"), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wasm := buildOrSkip(t, "zig", func() (string, error) {
				if err := probeToolchain(script); err != nil {
					return "", err
				}
				out := filepath.Join(t.TempDir(), "w.wasm")
				if b, err := exec.Command("bash", script, "-o", out, tt.file).CombinedOutput(); err != nil {
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
