package examples_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/abi"
	cacheapi "github.com/bindery-run/bindery/bindings/cache"
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

// buildJS builds the JavaScript Worker examples/<name>/worker.js as
// bindery dev does, or skips the test without node (fails when js is
// required).
func buildJS(t *testing.T, name string) *jsbuild.Worker {
	t.Helper()
	return jstest.Build(t, filepath.Join(testutil.RepoRoot(t), "examples", name, "worker.js"))
}

// cacheWorker serves the cache-js example over the data directory dir,
// as bindery dev does; stop closes the Worker and the directory.
func cacheWorker(t *testing.T, js *jsbuild.Worker, dir string, logs io.Writer) (w *host.Worker, stop func()) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := state.Open(dir, state.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := diskcache.Open(filepath.Join(dir, "cache"), st.DB(), diskcache.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	cacheDir, _ := os.UserCacheDir()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
		CacheDir:   filepath.Join(cacheDir, "bindery-test", "wazero"),
		Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cacheapi.WIT(), d1.WIT(), durablehost.ClientWIT(), durablehost.StateWIT(), queuehost.ProducerWIT()},
		Logger:     log,
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err = rt.NewWorker(ctx, host.WorkerConfig{Name: "cache-js", Wasm: js.Wasm, Init: js.Init, MapText: js.MapText, Bindings: []host.Binding{cacheapi.NewBinding(cs.Storage("cache-js"), cacheapi.Options{})}})
	if err != nil {
		t.Fatal(err)
	}
	return w, func() {
		w.Close(ctx)
		rt.Close(ctx)
		cs.Close()
		st.Close()
	}
}

// cacheStep is one request to the cache-js Worker and what it must answer.
type cacheStep struct {
	name, method, path string
	header             []string // name, value pairs
	body               []byte
	status             int
	want               string            // the exact body ("" with none: not checked)
	contains           string            // a substring of the body
	headers            map[string]string // header values ("" = absent)
}

func (s cacheStep) run(t *testing.T, w http.Handler) *httptest.ResponseRecorder {
	t.Helper()
	method := s.method
	if method == "" {
		method = "GET"
	}
	req := httptest.NewRequest(method, "http://example.com"+s.path, bytes.NewReader(s.body))
	for i := 0; i+1 < len(s.header); i += 2 {
		req.Header.Add(s.header[i], s.header[i+1])
	}
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, req)
	got := rec.Body.String()
	switch {
	case rec.Code != s.status:
		t.Errorf("%s: %s %s: status %d, want %d (body %.300q)", s.name, method, s.path, rec.Code, s.status, got)
	case s.want != "" && got != s.want:
		t.Errorf("%s: body %.300q, want %.300q", s.name, got, s.want)
	case s.contains != "" && !strings.Contains(got, s.contains):
		t.Errorf("%s: body %.300q does not contain %q", s.name, got, s.contains)
	}
	for k, v := range s.headers {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s: %s: %q, want %q", s.name, k, got, v)
		}
	}
	return rec
}

// TestCacheJS runs the Cache API through a real JavaScript Worker
// (examples/cache-js) over a real data directory: a cache-aside page with
// Range, If-None-Match and If-Modified-Since, what HTTP says not to store,
// named caches, delete with and without ignoreMethod, bodies streamed in
// (a request body moved inside the host, a generated ReadableStream
// written chunk by chunk) and out, workerd's TypeErrors, and the entries
// still there after the Worker and the data directory are reopened.
func TestCacheJS(t *testing.T) {
	js := buildJS(t, "cache-js")
	dir := t.TempDir()
	logs := &testutil.SyncBuffer{}
	w, stop := cacheWorker(t, js, dir, logs)
	defer func() { stop() }()

	page := "upstream /page?n=3\n"
	page = strings.Repeat(page, 3)
	size := strconv.Itoa(len(page))
	hit := map[string]string{"cf-cache-status": "HIT", "x-cache": ""}
	miss := map[string]string{"cf-cache-status": "", "x-cache": "MISS"}
	keyOf := func(path string) string { return url.QueryEscape("http://example.com" + path) }
	rng := rand.New(rand.NewPCG(7, 8))
	blob := make([]byte, 3<<20+11)
	for i := range blob {
		blob[i] = byte(rng.Uint32())
	}
	const streamed = 8 << 20
	alphabet := make([]byte, streamed)
	for i := range alphabet {
		alphabet[i] = byte('a' + i%26)
	}

	steps := []cacheStep{
		{name: "miss", path: "/page?n=3", status: 200, want: page, headers: miss},
		{name: "hit", path: "/page?n=3", status: 200, want: page, headers: map[string]string{
			"cf-cache-status": "HIT", "content-length": size, "etag": `"v1"`, "content-type": "text/plain; charset=utf-8"}},
		{name: "range", path: "/page?n=3", header: []string{"range", "bytes=0-7"}, status: 206, want: "upstream",
			headers: map[string]string{"content-range": "bytes 0-7/" + size, "content-length": "8", "cf-cache-status": "HIT"}},
		{name: "suffix range", path: "/page?n=3", header: []string{"range", "bytes=-4"}, status: 206, want: "n=3\n"},
		{name: "unsatisfiable range", path: "/page?n=3", header: []string{"range", "bytes=9999-"}, status: 416,
			headers: map[string]string{"content-range": "bytes */" + size}},
		{name: "if-none-match", path: "/page?n=3", header: []string{"if-none-match", `"v0", "v1"`}, status: 304,
			headers: map[string]string{"etag": `"v1"`, "cf-cache-status": "HIT"}},
		{name: "if-none-match other", path: "/page?n=3", header: []string{"if-none-match", `"v2"`}, status: 200, want: page},
		{name: "if-modified-since", path: "/page?n=3", header: []string{"if-modified-since", "Tue, 01 Dec 2026 10:00:00 GMT"}, status: 304},
		{name: "modified since", path: "/page?n=3", header: []string{"if-modified-since", "Mon, 30 Nov 2026 10:00:00 GMT"}, status: 200, want: page},
		{name: "no-store", path: "/page?cc=no-store", status: 200, headers: miss},
		{name: "no-store again", path: "/page?cc=no-store", status: 200, headers: miss},
		{name: "set-cookie", path: "/page?cookie=id%3D1", status: 200, headers: miss},
		{name: "set-cookie again", path: "/page?cookie=id%3D1", status: 200, headers: miss},
		{name: "private=set-cookie", path: "/page?cookie=id%3D1&cc=private%3Dset-cookie%2C%20max-age%3D60", status: 200,
			headers: map[string]string{"x-cache": "MISS", "set-cookie": "id=1"}},
		{name: "private=set-cookie hit", path: "/page?cookie=id%3D1&cc=private%3Dset-cookie%2C%20max-age%3D60", status: 200,
			headers: map[string]string{"cf-cache-status": "HIT", "set-cookie": ""}},
		{name: "named cache miss", path: "/match?cache=other&key=" + keyOf("/page?n=3"), status: 404},
		{name: "default cache hit", path: "/match?key=" + keyOf("/page?n=3"), status: 200, want: "200\n"},
		{name: "match a POST", path: "/match?method=POST&key=" + keyOf("/page?n=3"), status: 404},
		{name: "match a POST ignoring the method", path: "/match?method=POST&ignoreMethod=1&key=" + keyOf("/page?n=3"), status: 200},
		{name: "named cache put", path: "/page?v=named&cache=other", status: 200, headers: miss},
		{name: "named cache hit", path: "/page?v=named&cache=other", status: 200, headers: hit},
		{name: "not in the default cache", path: "/match?key=" + keyOf("/page?v=named&cache=other"), status: 404},
		{name: "put for delete", path: "/page?v=gone", status: 200, headers: miss},
		{name: "delete a POST", path: "/delete?method=POST&key=" + keyOf("/page?v=gone"), status: 200, want: `{"deleted":false}`},
		{name: "delete", path: "/delete?key=" + keyOf("/page?v=gone"), status: 200, want: `{"deleted":true}`},
		{name: "delete again", path: "/delete?key=" + keyOf("/page?v=gone"), status: 200, want: `{"deleted":false}`},
		{name: "deleted", path: "/match?key=" + keyOf("/page?v=gone"), status: 404},
		{name: "delete ignoring the method", path: "/delete?method=POST&ignoreMethod=1&key=" + keyOf("/page?v=named&cache=other") + "&cache=other", status: 200, want: `{"deleted":true}`},
		{name: "store a request body", method: "PUT", path: "/store/blob", body: blob, status: 204},
		{name: "stored request body", path: "/store/blob", status: 200, want: string(blob),
			headers: map[string]string{"cf-cache-status": "HIT", "content-length": strconv.Itoa(len(blob))}},
		{name: "stored request body, a range", path: "/store/blob", header: []string{"range", "bytes=1048576-2097151"}, status: 206, want: string(blob[1<<20 : 2<<20])},
		{name: "stream 8 MiB through the writer", path: "/stream?size=" + strconv.Itoa(streamed), status: 200, want: string(alphabet),
			headers: map[string]string{"content-length": strconv.Itoa(streamed), "cf-cache-status": "HIT"}},
		{name: "refused POST", path: "/refused?kind=post", status: 400, want: "TypeError: Cannot cache response to non-GET request.\n"},
		{name: "refused 206", path: "/refused?kind=206", status: 400, want: "TypeError: Cannot cache response to a range request (206 Partial Content).\n"},
		{name: "refused Vary: *", path: "/refused?kind=vary", status: 400, want: "TypeError: Cannot cache response with 'Vary: *' header.\n"},
		{name: "name too long", path: "/refused?kind=name", status: 400, want: "TypeError: Cache name is too long.\n"},
	}
	for _, s := range steps {
		s.run(t, w)
	}
	// Several ranges: one multipart/byteranges body.
	rec := cacheStep{name: "ranges", path: "/page?n=3", header: []string{"range", "bytes=0-7, -4"}, status: 206}.run(t, w)
	mt, params, err := mime.ParseMediaType(rec.Header().Get("content-type"))
	if err != nil || mt != "multipart/byteranges" {
		t.Fatalf("ranges: content-type %q: %v", rec.Header().Get("content-type"), err)
	}
	var parts []string
	mr := multipart.NewReader(rec.Body, params["boundary"])
	for p, err := mr.NextPart(); err == nil; p, err = mr.NextPart() {
		b, _ := io.ReadAll(p)
		parts = append(parts, p.Header.Get("content-range")+" "+string(b))
	}
	if want := []string{"bytes 0-7/" + size + " upstream", fmt.Sprintf("bytes %d-%d/%s n=3\n", len(page)-4, len(page)-1, size)}; strings.Join(parts, "|") != strings.Join(want, "|") {
		t.Errorf("ranges: parts %q, want %q", parts, want)
	}
	// A matched body leaves through a real connection by splice.
	srv := httptest.NewServer(w)
	resp, err := http.Get(srv.URL + "/stream?size=" + strconv.Itoa(streamed))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	srv.Close()
	if err != nil || md5.Sum(got) != md5.Sum(alphabet) {
		t.Errorf("stream through a server: %d bytes, %v", len(got), err)
	}
	if strings.Contains(logs.String(), "level=ERROR") || strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("the Worker logged:\n%s", logs)
	}

	// The entries outlive the Worker and the open data directory.
	stop()
	w, stop = cacheWorker(t, js, dir, logs)
	for _, s := range []cacheStep{
		{name: "hit after a restart", path: "/page?n=3", status: 200, want: page, headers: hit},
		{name: "range after a restart", path: "/page?n=3", header: []string{"range", "bytes=0-7"}, status: 206, want: "upstream"},
		{name: "stored body after a restart", path: "/store/blob", status: 200, want: string(blob)},
		{name: "deleted after a restart", path: "/match?key=" + keyOf("/page?v=gone"), status: 404},
	} {
		s.run(t, w)
	}
	// And on disk they are files under the data directory's cache/.
	n := 0
	filepath.WalkDir(filepath.Join(dir, "cache", "blobs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	if n < 4 {
		t.Errorf("%d body files under %s, want at least 4", n, filepath.Join(dir, "cache"))
	}
}
