package cache_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/abi/stream"
	"github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/cache/cachewit"
	"github.com/bindery-run/bindery/internal/testutil"
)

// These tests call the binding through its WIT types, as the generated
// glue does: names, the translation of requests and responses, and the
// one mapping of Go errors onto the WIT error variant.

func fields(kv ...string) cachewit.Fields {
	var fs cachewit.Fields
	for i := 0; i+1 < len(kv); i += 2 {
		fs = append(fs, abi.Tuple2[string, []byte]{F0: kv[i], F1: []byte(kv[i+1])})
	}
	return fs
}

func witGet(url string, kv ...string) cachewit.Request {
	return cachewit.Request{Method: "GET", URL: url, Headers: fields(kv...)}
}

// readAll reads an input-stream to its end and drops it.
func readAll(t *testing.T, s stream.InputStream) string {
	t.Helper()
	defer s.(abi.Dropper).Drop(context.Background())
	b, err := io.ReadAll(stream.Reader(context.Background(), s))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func open(t *testing.T, b *cache.Binding, name abi.Option[string]) cachewit.Cache {
	t.Helper()
	c, e := b.CacheOpen(context.Background(), name)
	if e != nil {
		t.Fatalf("open %v: %v", name, e)
	}
	return c
}

func TestBinding(t *testing.T) {
	ctx := context.Background()
	clock := testutil.NewClock(time.Now())
	b := cache.NewBinding(cache.NewMemoryStorage(clock.Now), cache.Options{Now: clock.Now, Limits: cache.Limits{MaxBodyBytes: 1 << 10}})
	def, named, empty := open(t, b, abi.None[string]()), open(t, b, abi.Some("a")), open(t, b, abi.Some(""))
	head := cachewit.ResponseHead{Status: 200, Headers: fields("cache-control", "max-age=60", "etag", `"t"`)}
	const url = "https://example.com/x"

	// Each name is a cache of its own; the default cache is not open("").
	for i, c := range []cachewit.Cache{def, named, empty} {
		ok, e := c.Put(ctx, witGet(url), head, cachewit.Body{Tag: cachewit.BodyBytes, Bytes: []byte{byte('0' + i)}})
		if !ok || e != nil {
			t.Fatalf("put %d: %v %v", i, ok, e)
		}
	}
	for i, c := range []cachewit.Cache{def, named, empty} {
		r, e := c.Match(ctx, witGet(url), cachewit.QueryOptions{})
		if e != nil || !r.Some || r.Value.Status != 200 || !r.Value.Body.Some {
			t.Fatalf("match %d: %+v %v", i, r, e)
		}
		if got := readAll(t, r.Value.Body.Value); got != string(rune('0'+i)) {
			t.Errorf("cache %d holds %q", i, got)
		}
	}
	// Reopening a name finds what it holds.
	if r, _ := open(t, b, abi.Some("a")).Match(ctx, witGet(url), cachewit.QueryOptions{}); !r.Some || readAll(t, r.Value.Body.Value) != "1" {
		t.Errorf("reopened cache a: %+v", r)
	}

	// A stream body is read through and dropped.
	src := &dropCounter{InputStream: stream.FromReadCloser(ctx, io.NopCloser(strings.NewReader("streamed")))}
	if ok, e := def.Put(ctx, witGet(url), head, cachewit.Body{Tag: cachewit.BodyStream, Stream: src}); !ok || e != nil || src.drops != 1 {
		t.Fatalf("put a stream: %v %v, %d drops", ok, e, src.drops)
	}
	// A 304 for If-None-Match, without a body.
	if r, e := def.Match(ctx, witGet(url, "if-none-match", `"t"`), cachewit.QueryOptions{}); e != nil || !r.Some || r.Value.Status != 304 || r.Value.Body.Some {
		t.Errorf("conditional match: %+v %v", r, e)
	}
	// A 206 for a Range.
	if r, e := def.Match(ctx, witGet(url, "range", "bytes=0-4"), cachewit.QueryOptions{}); e != nil || !r.Some || r.Value.Status != 206 || readAll(t, r.Value.Body.Value) != "strea" {
		t.Errorf("ranged match: %+v %v", r, e)
	}

	// The writer: none when the response is not stored, else write and finish.
	if w, e := def.PutWriter(ctx, witGet(url), cachewit.ResponseHead{Status: 200, Headers: fields("cache-control", "no-store")}); w.Some || e != nil {
		t.Errorf("put-writer of a no-store response: %+v %v", w, e)
	}
	w, e := def.PutWriter(ctx, witGet(url), head)
	if e != nil || !w.Some {
		t.Fatalf("put-writer: %+v %v", w, e)
	}
	for _, p := range []string{"wri", "tten"} {
		if e := w.Value.Write(ctx, []byte(p)); e != nil {
			t.Fatal(e)
		}
	}
	if e := w.Value.Finish(ctx); e != nil {
		t.Fatal(e)
	}
	if e := w.Value.Finish(ctx); e == nil || e.Tag != cachewit.ErrorBody {
		t.Errorf("second finish: %v", e)
	}
	if r, _ := def.Match(ctx, witGet(url), cachewit.QueryOptions{}); !r.Some || readAll(t, r.Value.Body.Value) != "written" {
		t.Errorf("after the writer: %+v", r)
	}
	// A dropped writer stores nothing.
	w, _ = def.PutWriter(ctx, witGet(url), head)
	w.Value.Write(ctx, []byte("dropped"))
	w.Value.(abi.Dropper).Drop(ctx)
	// So does one whose request ended.
	rctx, cancel := context.WithCancel(ctx)
	w, _ = def.PutWriter(rctx, witGet(url), head)
	w.Value.Write(rctx, []byte("abandoned"))
	cancel()
	for w.Value.Write(ctx, []byte("x")) == nil { // the abort runs in the context's goroutine
		time.Sleep(time.Millisecond)
	}
	if r, _ := def.Match(ctx, witGet(url), cachewit.QueryOptions{}); !r.Some || readAll(t, r.Value.Body.Value) != "written" {
		t.Errorf("after dropped writers: %+v", r)
	}

	if ok, e := def.Delete(ctx, cachewit.Request{Method: "POST", URL: url}, cachewit.QueryOptions{}); ok || e != nil {
		t.Errorf("delete of a POST: %v %v", ok, e)
	}
	if ok, e := def.Delete(ctx, cachewit.Request{Method: "POST", URL: url}, cachewit.QueryOptions{IgnoreMethod: true}); !ok || e != nil {
		t.Errorf("delete with ignore-method: %v %v", ok, e)
	}
}

type dropCounter struct {
	stream.InputStream
	drops int
}

func (d *dropCounter) Drop(ctx context.Context) {
	d.drops++
	d.InputStream.(abi.Dropper).Drop(ctx)
}

// TestBindingErrors checks the WIT error case and message of each failure:
// a refusal carries workerd's TypeError message alone.
func TestBindingErrors(t *testing.T) {
	ctx := context.Background()
	b := cache.NewBinding(cache.NewMemoryStorage(nil), cache.Options{Limits: cache.Limits{MaxBodyBytes: 4}})
	c := open(t, b, abi.None[string]())
	ok := cachewit.ResponseHead{Status: 200, Headers: fields("cache-control", "max-age=60")}
	bytes := func(s string) cachewit.Body { return cachewit.Body{Tag: cachewit.BodyBytes, Bytes: []byte(s)} }
	tests := []struct {
		name string
		call func() *cachewit.Error
		tag  cachewit.ErrorTag
		msg  string
	}{
		{"POST", func() *cachewit.Error {
			_, e := c.Put(ctx, cachewit.Request{Method: "POST", URL: "https://a/"}, ok, bytes("x"))
			return e
		}, cachewit.ErrorRefused, "Cannot cache response to non-GET request."},
		{"206", func() *cachewit.Error {
			_, e := c.PutWriter(ctx, witGet("https://a/"), cachewit.ResponseHead{Status: 206})
			return e
		}, cachewit.ErrorRefused, "Cannot cache response to a range request (206 Partial Content)."},
		{"Vary: *", func() *cachewit.Error {
			_, e := c.Put(ctx, witGet("https://a/"), cachewit.ResponseHead{Status: 200, Headers: fields("vary", "*")}, bytes("x"))
			return e
		}, cachewit.ErrorRefused, "Cannot cache response with 'Vary: *' header."},
		{"relative URL", func() *cachewit.Error {
			_, e := c.Match(ctx, witGet("/a"), cachewit.QueryOptions{})
			return e
		}, cachewit.ErrorInvalidKey, "Invalid URL"},
		{"status", func() *cachewit.Error {
			_, e := c.Put(ctx, witGet("https://a/"), cachewit.ResponseHead{Status: 99}, bytes("x"))
			return e
		}, cachewit.ErrorInvalidArgument, "status 99 is not 200 to 599"},
		{"too large", func() *cachewit.Error {
			_, e := c.Put(ctx, witGet("https://a/"), ok, bytes("12345"))
			return e
		}, cachewit.ErrorTooLarge, "over 4 bytes"},
		{"name too long", func() *cachewit.Error {
			_, e := b.CacheOpen(ctx, abi.Some(strings.Repeat("n", 1024)))
			return e
		}, cachewit.ErrorInvalidArgument, "Cache name is too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.call()
			if e == nil || e.Tag != tt.tag {
				t.Fatalf("error %v, want case %d", e, tt.tag)
			}
			if msg := e.Error(); !strings.Contains(msg, tt.msg) || strings.Contains(msg, "cache: refused") {
				t.Errorf("message %q, want %q", msg, tt.msg)
			}
		})
	}
	if _, e := b.CacheOpen(ctx, abi.Some(strings.Repeat("n", 1023))); e != nil {
		t.Errorf("a 1023-byte name: %v", e)
	}
}

// TestDeny: a Worker without a cache binding gets caches that store
// nothing, and its stream bodies are still dropped.
func TestDeny(t *testing.T) {
	ctx := context.Background()
	deny := cache.WIT().Deny.(cachewit.CacheHost)
	c, e := deny.CacheOpen(ctx, abi.None[string]())
	if e != nil {
		t.Fatal(e)
	}
	head := cachewit.ResponseHead{Status: 200, Headers: fields("cache-control", "max-age=60")}
	src := &dropCounter{InputStream: stream.FromReadCloser(ctx, io.NopCloser(strings.NewReader("x")))}
	if ok, e := c.Put(ctx, witGet("https://a/"), head, cachewit.Body{Tag: cachewit.BodyStream, Stream: src}); ok || e != nil || src.drops != 1 {
		t.Errorf("put: %v %v, %d drops", ok, e, src.drops)
	}
	if w, e := c.PutWriter(ctx, witGet("https://a/"), head); w.Some || e != nil {
		t.Errorf("put-writer: %+v %v", w, e)
	}
	if r, e := c.Match(ctx, witGet("https://a/"), cachewit.QueryOptions{}); r.Some || e != nil {
		t.Errorf("match: %+v %v", r, e)
	}
	if ok, e := c.Delete(ctx, witGet("https://a/"), cachewit.QueryOptions{}); ok || e != nil {
		t.Errorf("delete: %v %v", ok, e)
	}
	if _, e := deny.CacheOpen(ctx, abi.Some(strings.Repeat("n", 1024))); e == nil {
		t.Errorf("a 1024-byte name opened")
	}
}
