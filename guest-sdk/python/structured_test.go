package python_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	cacheapi "github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/durablehost"
	"github.com/bindery-run/bindery/internal/testutil"
)

// TestStructured runs tests/test_structured.py with the machine's python3:
// bindery/structured.py against every vector of the shared file
// wit/deps/durable/testdata/structured-values.json (encode, decode,
// round trip, errors) and Python's own mappings and refusals. It skips
// when python3 is missing (fails when python is required:
// testutil.NeedToolchain).
func TestStructured(t *testing.T) {
	python, err := testutil.LookPath("python", "python3", "install Python 3.9 or later")
	testutil.NeedToolchain(t, err)
	root := testutil.RepoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-B", filepath.Join("tests", "test_structured.py"), "-v")
	cmd.Dir = filepath.Join(root, "guest-sdk", "python")
	cmd.Env = append(os.Environ(), "STRUCTURED_VECTORS="+filepath.Join(root, "wit", "deps", "durable", "testdata", "structured-values.json"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 tests/test_structured.py: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^Ran (\d+) tests? in .*\n\nOK`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the tests did not report OK:\n%s", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 10 {
		t.Errorf("only %d Python tests ran:\n%s", n, out)
	}
}

// TestStructuredEngine runs every vector through bindery.structured in the
// interpreter Python Workers run in (testdata/structured_worker.py, built
// with componentize-py), and a few mappings that need the stdlib's C
// modules. It skips without componentize-py (testutil.BuildPythonGuest).
func TestStructuredEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building a Python Worker takes ~20 s")
	}
	ctx := context.Background()
	wasm, err := os.ReadFile(testutil.BuildPythonGuest(t, "guest-sdk/python/testdata/structured_worker.py"))
	if err != nil {
		t.Fatal(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	logs := &testutil.SyncBuffer{}
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
		CacheDir:   filepath.Join(cache, "bindery-test", "wazero"),
		Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cacheapi.WIT(), d1.WIT(), durablehost.ClientWIT(), durablehost.StateWIT()},
		Logger:     slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	w, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "structured-py", Wasm: wasm})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(ctx) })

	vectors, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "wit", "deps", "durable", "testdata", "structured-values.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path string
		body         []byte
		min          int
	}{
		{"POST", "/run", vectors, 300},
		{"GET", "/mappings", nil, 6},
	} {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, bytes.NewReader(c.body)))
		if rec.Code != 200 {
			t.Fatalf("%s %s: %d %s\nlog:\n%s", c.method, c.path, rec.Code, rec.Body, logs)
		}
		var got map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s %s: %v: %s", c.method, c.path, err, rec.Body)
		}
		if len(got) < c.min {
			t.Errorf("%s %s: only %d checks ran", c.method, c.path, len(got))
		}
		for _, name := range slices.Sorted(maps.Keys(got)) {
			if got[name] != "" {
				t.Errorf("%s: %s", name, got[name])
			}
		}
	}
}
