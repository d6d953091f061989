package jsbuild_test

import (
	"context"
	"net/http/httptest"

	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/jsbuild/jstest"
	"github.com/bindery-run/bindery/internal/testutil"
)

// BenchmarkJSRequest serves the HTTP harness's JavaScript Worker
// (bench/guests/kv-rest-js, Miniflare's code) in-process: a hello
// response and a KV get, sequentially, so the cost of one request through
// the JS runtime shows without the network.
func BenchmarkJSRequest(b *testing.B) {
	js := jstest.Build(b, filepath.Join(testutil.RepoRoot(b), "bench", "guests", "kv-rest-js", "worker.js"))
	ctx := context.Background()
	rt := runtime(b, &testutil.SyncBuffer{})
	ns := kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil)
	if err := ns.Put(ctx, "k", make([]byte, 100), kv.PutOptions{}); err != nil {
		b.Fatal(err)
	}
	w, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "bench-js", Wasm: js.Wasm, Init: js.Init, MaxInstances: 1,
		Bindings: []host.Binding{kv.NewBinding(map[string]*kv.Namespace{"STORE": ns})}})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close(ctx)
	for _, path := range []string{"/hello", "/kv/k"} {
		b.Run(path[1:], func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				w.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if rec.Code != 200 {
					b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
				}
			}
		})
	}

}
