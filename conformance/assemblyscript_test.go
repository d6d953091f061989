package conformance_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/testutil"
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
// wit/deps/durable/testdata, and the SDK's builders and error messages).
func TestAssemblyScriptSDKUnit(t *testing.T) {
	script := filepath.Join(testutil.RepoRoot(t), "guest-sdk", "assemblyscript", "build.sh")
	_, err := testutil.ProbeScript("assemblyscript", script)
	testutil.NeedToolchain(t, err)
	out, err := exec.Command("bash", script, "--test").CombinedOutput()
	if err != nil {
		t.Fatalf("build.sh --test: %v\n%s", err, out)
	}
	if strings.Count(string(out), " checks, 0 failed") != 2 {
		t.Fatalf("build.sh --test did not report two passing runs:\n%s", out)
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
