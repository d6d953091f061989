package htmlrewriter_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	cacheapi "github.com/bindery-run/bindery/bindings/cache"
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

func userCache() string {
	if d, err := os.UserCacheDir(); err == nil {
		return d
	}
	return os.TempDir()
}

// sitePage is the R2 object SITE/index.html: a 1 MiB page with a head, an
// ad, a user slot and 1000 links.
func sitePage() (page, want string) {
	var p, w strings.Builder
	head := "<!DOCTYPE html><html><head><title>Site</title></head><body><div class=ad>buy</div><p id=user>x</p>"
	p.WriteString(head)
	w.WriteString(strings.Replace(strings.Replace(strings.Replace(head, "</head>", `<script src="/analytics.js"></script></head>`, 1),
		"<div class=ad>buy</div>", "", 1), "<p id=user>x</p>", "<p id=user>Ada</p>", 1))
	filler := strings.Repeat("Lorem ipsum dolor sit amet. ", 36)
	for i := range 1000 {
		fmt.Fprintf(&p, "<p>%s<a href=\"/p/%d\">%d</a> <a href=\"https://other.test/\">o</a></p>\n", filler, i, i)
		fmt.Fprintf(&w, "<p>%s<a href=\"https://example.com/p/%d\">%d</a> <a href=\"https://other.test/\">o</a></p>\n", filler, i, i)
	}
	p.WriteString("</body></html>")
	w.WriteString("</body></html><!-- rewritten -->")
	return p.String(), w.String()
}

// newWorker runs the test Worker with a KV namespace STORE holding user=Ada
// and an R2 bucket SITE holding index.html (sitePage).
func newWorker(t *testing.T, js *jsbuild.Worker, logs io.Writer) *host.Worker {
	t.Helper()
	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{
		CacheDir:   filepath.Join(userCache(), "bindery-test", "wazero"),
		Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cacheapi.WIT(), d1.WIT(), durablehost.ClientWIT(), durablehost.StateWIT(), queuehost.ProducerWIT()},
		Logger:     slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	ns := kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil)
	if err := ns.Put(ctx, "user", []byte("Ada"), kv.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(t.TempDir(), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.R2().CreateBucket(ctx, "site"); err != nil {
		t.Fatal(err)
	}
	site, err := st.R2().Bucket(ctx, "site")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := sitePage()
	if _, err := site.Put(ctx, "index.html", strings.NewReader(page), r2.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	w, err := rt.NewWorker(ctx, host.WorkerConfig{
		Name: "htmlrewriter", Wasm: js.Wasm, Init: js.Init, MapText: js.MapText, RequestTimeout: 5 * time.Minute,
		Bindings: []host.Binding{
			kv.NewBinding(map[string]*kv.Namespace{"STORE": ns}),
			r2.NewBinding(map[string]*r2.Bucket{"SITE": site}),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(ctx) })
	return w
}

// TestJSWorker runs HTMLRewriter in a real JavaScript Worker: a page
// rewriter like Cloudflare's examples (links, an injected script, a
// removed element, an async handler, text and end-tag handlers, document
// handlers), the API's errors, and a large document streamed through it.
func TestJSWorker(t *testing.T) {
	logs := &testutil.SyncBuffer{}
	w := newWorker(t, jstest.Build(t, "testdata/worker.js"), logs)
	get := func(t *testing.T, path string) *httptest.ResponseRecorder {
		t.Helper()
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}

	t.Run("page", func(t *testing.T) {
		rec := get(t, "/page")
		want := `<!DOCTYPE html>
<html lang="en">
<head><title>Hello &amp; welcome</title><script src="/injected.js"></script></head>
<body>

<h1>HELLO!</h1>

<p id="user">&lt;Ada&gt;</p>
<a href="https://new.example/docs">Docs</a> <a href="https://new.example/x" class=ext>Old</a>
<img src=logo.png alt="Logo &quot;x&quot;">
<footer>fin<small>footer</small></footer>
</body>
</html><!-- title: Hello &amp; welcome; doctype html null null; comment  build 42 ; removed div.ad true; inside the ad: removed=true; img src=logo.png alt=Logo "x" http://www.w3.org/1999/xhtml -->`
		if rec.Code != 200 || rec.Body.String() != want {
			t.Fatalf("GET /page: %d\n%s\nwant\n%s\nlog:\n%s", rec.Code, rec.Body, want, logs)
		}
		if ct, cl := rec.Header().Get("Content-Type"), rec.Header().Get("Content-Length"); ct != "text/html; charset=utf-8" || cl != "" {
			t.Errorf("headers: content-type %q, content-length %q (the old length must go)", ct, cl)
		}
	})

	t.Run("R2 page", func(t *testing.T) {
		rec := get(t, "/r2")
		if _, want := sitePage(); rec.Code != 200 || rec.Body.String() != want {
			t.Fatalf("GET /r2: %d, %d bytes (want %d)\nlog:\n%s", rec.Code, rec.Body.Len(), len(want), logs)
		}
	})

	t.Run("selectors", func(t *testing.T) {
		tests := []struct{ sel, want string }{
			{"div > p.x:not([hidden]):nth-child(2n+1)", "ok"},
			{"li:last-child", `TypeError: Parser error: unsupported pseudo-class ":last-child" in selector "li:last-child" at offset 2`},
			{"a + b", `TypeError: Parser error: unsupported combinator '+' in selector "a + b" at offset 2`},
			{"", `TypeError: Parser error: empty selector in selector "" at offset 0`},
		}
		for _, tt := range tests {
			rec := get(t, "/selector?s="+url(tt.sel))
			if got := rec.Body.String(); got != tt.want {
				t.Errorf("on(%q): %s, want %s", tt.sel, got, tt.want)
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		rec := get(t, "/errors")
		want := "TypeError: Parser error: ` ` character is forbidden in the attribute name\n" +
			"TypeError: Parser error: Tag name can't be empty.\n" +
			"TypeError: Replacing HTML content using a ReadableStream or Response object is not implemented. You must provide a string.\n" +
			"TypeError: Parser error: br can't have content\n" +
			"TypeError: Parser error: Comment text shouldn't contain comment closing sequence (`-->`).\n" +
			"TypeError: This content token is no longer valid. Content tokens are only valid during the execution of the relevant content handler."
		if rec.Body.String() != want {
			t.Errorf("GET /errors:\n%s\nwant\n%s", rec.Body, want)
		}
	})

	t.Run("a throwing handler cuts the response", func(t *testing.T) {
		logs.Reset()
		rec := httptest.NewRecorder()
		aborted := func() (r any) {
			defer func() { r = recover() }()
			w.ServeHTTP(rec, httptest.NewRequest("GET", "/throw", nil))
			return nil
		}()
		if aborted != http.ErrAbortHandler || strings.Contains(rec.Body.String(), "really bad") || strings.Count(logs.String(), "a really bad error") != 1 {
			t.Errorf("GET /throw: %v, %d %q\nlog:\n%s", aborted, rec.Code, rec.Body, logs)
		}
		if rec := get(t, "/throw-text"); rec.Body.String() != "RangeError: async and bad" {
			t.Errorf("GET /throw-text: %q", rec.Body)
		}
	})

	t.Run("a host stream read back in JS", func(t *testing.T) {
		doc := strings.Repeat(`<p><a href="/a">a</a> <a href='/b'>b</a></p>`, 5000)
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("POST", "/rewrite-read", strings.NewReader(doc)))
		if want := fmt.Sprint(len(doc)+10000*len("https://x.test"), " ", 10000); rec.Body.String() != want {
			t.Errorf("POST /rewrite-read: %q, want %q", rec.Body, want)
		}
	})

	t.Run("no body", func(t *testing.T) {
		if rec := get(t, "/empty"); rec.Body.String() != "204 null" {
			t.Errorf("GET /empty: %q", rec.Body)
		}
	})

	t.Run("large streamed document", func(t *testing.T) {
		logs.Reset()
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("the response was aborted (%v); log:\n%s", r, logs)
			}
		}()
		largeDocument(t, w)
	})
}

func url(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// largeDocument streams a 64 MiB page with a link every 32 KiB through
// POST /rewrite, which rewrites the links as the body streams: the
// response must be right, and neither the guest's memory nor the host's
// heap may grow with the document.
func largeDocument(t *testing.T, w *host.Worker) {
	const size = 64 << 20
	small := &scanWriter{h: http.Header{}}
	w.ServeHTTP(small, httptest.NewRequest("POST", "/rewrite", &pageReader{n: 64 << 10}))
	if small.status != 200 || small.links == 0 {
		t.Fatalf("POST /rewrite (64 KiB): %d, %d links", small.status, small.links)
	}
	baseline := w.Stats().PeakMemory
	heapBefore := heapInUse()

	src := &pageReader{n: size}
	out := &scanWriter{h: http.Header{}}
	start := time.Now()
	w.ServeHTTP(out, httptest.NewRequest("POST", "/rewrite", src))
	took := time.Since(start)
	peak := w.Stats().PeakMemory
	retained := int64(heapInUse()) - int64(heapBefore)
	t.Logf("%d MiB in %v (%.1f MB/s), %d links rewritten; guest memory %d MiB (%d MiB after 64 KiB); host heap %+d KiB",
		src.off>>20, took.Round(time.Millisecond), float64(src.off)/took.Seconds()/1e6, out.links, peak>>20, baseline>>20, retained>>10)
	if out.status != 200 || out.links != src.links || out.n != int64(src.off)+int64(src.links)*int64(len("https://x.test")) || out.bad {
		t.Fatalf("POST /rewrite: %d, %d bytes, %d of %d links rewritten, mangled %v", out.status, out.n, out.links, src.links, out.bad)
	}
	if peak > baseline+16<<20 {
		t.Errorf("guest memory grew from %d to %d MiB with the document", baseline>>20, peak>>20)
	}
	if retained > 16<<20 {
		t.Errorf("host heap grew %d MiB", retained>>20)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// pageReader generates at least n bytes of HTML, in paragraphs of 32 KiB
// of text that each end with a link "/p/<i>".
type pageReader struct {
	n, off int
	links  int
	buf    []byte
}

func (p *pageReader) Read(b []byte) (int, error) {
	if len(p.buf) == 0 {
		if p.off >= p.n {
			return 0, io.EOF
		}
		p.links++
		p.buf = fmt.Appendf(nil, "<p class=t>%s <a href=\"/p/%d\">link</a></p>\n", strings.Repeat("Lorem ipsum dolor sit amet. ", 1170), p.links)
	}
	n := copy(b, p.buf)
	p.buf = p.buf[n:]
	p.off += n
	return n, nil
}

// scanWriter is a ResponseWriter that keeps nothing: it counts bytes and
// rewritten links, across writes, and notes a link that was not rewritten.
type scanWriter struct {
	h      http.Header
	status int
	n      int64
	links  int
	bad    bool
	tail   []byte
}

func (s *scanWriter) Header() http.Header { return s.h }
func (s *scanWriter) WriteHeader(c int)   { s.status = c }
func (s *scanWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = 200
	}
	s.n += int64(len(p))
	b := append(s.tail, p...)
	s.links += bytes.Count(b, []byte(`href="https://x.test/p/`))
	if bytes.Contains(b, []byte(`href="/p/`)) {
		s.bad = true
	}
	// Keep what may be the start of a link cut by the write.
	k := max(0, len(b)-32)
	if i := bytes.LastIndex(b[:k+min(32, len(b)-k)], []byte(`href="https://x.test/p/`)); i >= k {
		k = i + 1
	}
	s.tail = append(s.tail[:0], b[k:]...)
	return len(p), nil
}

func (s *scanWriter) Flush() {}
