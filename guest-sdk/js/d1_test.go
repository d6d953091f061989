package jssdk_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

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

// d1Worker builds testdata/d1.js as bindery dev does and serves it with a
// fresh D1 database as "DB", or skips when node is missing (fails when js
// is required: testutil.NeedToolchain).
func d1Worker(t *testing.T) (*host.Worker, *testutil.SyncBuffer) {
	t.Helper()
	ctx := context.Background()
	js := jstest.Build(t, "testdata/d1.js")
	db, err := d1.Open(ctx, filepath.Join(t.TempDir(), "d1.sqlite"), d1.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
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
	w, err := rt.NewWorker(ctx, host.WorkerConfig{
		Name: "d1-js", Wasm: js.Wasm, Init: js.Init, MapText: js.MapText,
		Bindings: []host.Binding{d1.NewBinding(map[string]*d1.Database{"DB": db})},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(ctx) })
	return w, logs
}

// get sends GET path to w and decodes its JSON answer into out.
func get(t *testing.T, w *host.Worker, logs *testutil.SyncBuffer, path string, out any) {
	t.Helper()
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	if rec.Code != 200 {
		t.Fatalf("GET %s: %d %s\nlog:\n%s", path, rec.Code, rec.Body, logs)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, rec.Body)
	}
}

// TestD1 runs the D1 cases of testdata/d1.js: the values bind converts
// (as SQLite's typeof and quote see them) and refuses (D1_TYPE_ERROR),
// integers as Numbers within 2^53 and BigInts beyond, blobs as Arrays,
// first(col)'s D1_COLUMN_NOTFOUND, result and meta shapes, immutable
// statements, batch, exec, sessions, D1's error messages, and strings
// UTF-8 cannot carry refused before the host.
func TestD1(t *testing.T) {
	w, logs := d1Worker(t)
	var got map[string]string
	get(t, w, logs, "/cases", &got)
	if len(got) < 70 {
		t.Errorf("only %d cases ran: %v", len(got), slices.Sorted(maps.Keys(got)))
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if got[name] != "" {
			t.Errorf("%s: %s", name, got[name])
		}
	}
	if d := w.Stats().Discarded; d != 0 {
		t.Errorf("%d instances discarded: a call reached the host and trapped", d)
	}
}

// TestD1SessionOutlivesRequest uses one session in two requests: its host
// handle is given back when the first ends, and it reopens at its
// bookmark, so it sees its own write and its bookmark only advances.
func TestD1SessionOutlivesRequest(t *testing.T) {
	w, logs := d1Worker(t)
	var first, second struct {
		Count    int    `json:"count"`
		Bookmark string `json:"bookmark"`
	}
	get(t, w, logs, "/keep", &first)
	get(t, w, logs, "/reuse", &second)
	hex := regexp.MustCompile(`^[0-9a-f]{16}$`)
	if !hex.MatchString(first.Bookmark) || !hex.MatchString(second.Bookmark) {
		t.Fatalf("bookmarks %q and %q, want 16 hex digits", first.Bookmark, second.Bookmark)
	}
	if second.Count != 1 || second.Bookmark <= first.Bookmark {
		t.Errorf("second request: count %d, bookmark %s after %s; want count 1 and a later bookmark", second.Count, second.Bookmark, first.Bookmark)
	}
}
