package jssdk_test

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
	"github.com/bindery-run/bindery/host/queuehost"
	"github.com/bindery-run/bindery/internal/jsbuild/jstest"
	"github.com/bindery-run/bindery/internal/testutil"
)

// TestStructured runs test/structured.test.mjs under node (node --test):
// src/structured.js against every vector of the shared file
// wit/deps/durable/testdata/structured-values.json (encode, decode,
// round trip, errors) and JavaScript's own mappings and refusals. It
// skips when node is missing (fails when js is required:
// testutil.NeedToolchain).
func TestStructured(t *testing.T) {
	node, err := testutil.ProbeNode()
	testutil.NeedToolchain(t, err)
	root := testutil.RepoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=tap", filepath.Join("test", "structured.test.mjs"))
	cmd.Dir = filepath.Join(root, "guest-sdk", "js")
	cmd.Env = append(os.Environ(), "STRUCTURED_VECTORS="+filepath.Join(root, "wit", "deps", "durable", "testdata", "structured-values.json"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test test/structured.test.mjs: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^# pass (\d+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("node --test printed no pass count:\n%s", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 100 {
		t.Errorf("only %d node tests passed:\n%s", n, out)
	}
}

// TestStructuredEngine runs the same vectors and cases as TestStructured
// in the engine Workers run in (testdata/structured.js, built as bindery
// dev builds it), and checks that @bindery/worker exports serialize and
// deserialize and that they refuse a binding (a KV namespace).
func TestStructuredEngine(t *testing.T) {
	ctx := context.Background()
	js := jstest.Build(t, "testdata/structured.js")
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	logs := &testutil.SyncBuffer{}
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
		CacheDir:   filepath.Join(cache, "bindery-test", "wazero"),
		Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cacheapi.WIT(), d1.WIT(), durablehost.ClientWIT(), durablehost.StateWIT(), queuehost.ProducerWIT()},
		Logger:     slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	ns := kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil)
	w, err := rt.NewWorker(ctx, host.WorkerConfig{
		Name: "structured-js", Wasm: js.Wasm, Init: js.Init, MapText: js.MapText,
		Bindings: []host.Binding{kv.NewBinding(map[string]*kv.Namespace{"KV": ns})},
	})
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
		{"GET", "/sdk", nil, 2},
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
