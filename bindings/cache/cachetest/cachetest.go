// Package cachetest is the conformance suite every Cache API
// [cache.Backend] must pass. It drives the backend through
// [cache.NewNamespace], so it checks Cloudflare's rules end to end (what
// is stored, for how long, what a match answers), with a fake clock for
// freshness.
//
// A backend package runs it from a test:
//
//	func TestConformance(t *testing.T) {
//		cachetest.Run(t, func(t *testing.T, now func() time.Time) cache.Backend {
//			return cache.NewMemory(now)
//		})
//	}
package cachetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/internal/testutil"
)

// NewBackend returns an empty backend for one cache that checks freshness
// against now. Backends from different calls are different caches and
// must not see each other's entries.
type NewBackend = func(t *testing.T, now func() time.Time) cache.Backend

// Run runs the conformance suite against the backends newBackend returns.
// Each subtest's clock starts at the wall-clock time (whole seconds) and
// only moves forward.
func Run(t *testing.T, newBackend NewBackend) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, newBackend NewBackend)
	}{
		{"PutMatch", testPutMatch},
		{"OpaqueKeys", testOpaqueKeys},
		{"InvalidKeys", testInvalidKeys},
		{"Refused", testRefused},
		{"Freshness", testFreshness},
		{"StoredHeaders", testStoredHeaders},
		{"Ranges", testRanges},
		{"Multipart", testMultipart},
		{"Conditionals", testConditionals},
		{"Methods", testMethods},
		{"Delete", testDelete},
		{"VaryAcceptEncoding", testVary},
		{"Overwrite", testOverwrite},
		{"Isolation", testIsolation},
		{"Expiry", testExpiry},
		{"LargeBody", testLargeBody},
		{"TooLarge", testTooLarge},
		{"FailedPuts", testFailedPuts},
		{"Concurrent", testConcurrent},
		{"ContextCanceled", testContextCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newBackend) })
	}
}

// env is one cache under test.
type env struct {
	clock *testutil.Clock
	b     cache.Backend
	ns    *cache.Namespace
}

func newEnv(t *testing.T, newBackend NewBackend, l cache.Limits) env {
	t.Helper()
	return newEnvAt(t, newBackend, l, time.Now().Truncate(time.Second))
}

// newEnvAt is newEnv with the clock at start.
func newEnvAt(t *testing.T, newBackend NewBackend, l cache.Limits, start time.Time) env {
	t.Helper()
	c := testutil.NewClock(start)
	b := newBackend(t, c.Now)
	return env{clock: c, b: b, ns: cache.NewNamespace(b, l, c.Now)}
}

// hdr builds a header from name, value pairs.
func hdr(kv ...string) cache.Header {
	h := make(cache.Header, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, cache.Field{Name: kv[i], Value: []byte(kv[i+1])})
	}
	return h
}

// get is a GET of url with the header fields kv.
func get(url string, kv ...string) cache.Request {
	return cache.Request{Method: "GET", URL: url, Header: hdr(kv...)}
}

// put stores body for req and reports whether it was stored.
func (e env) put(t *testing.T, req cache.Request, status int, h cache.Header, body string) bool {
	t.Helper()
	ok, err := e.ns.Put(context.Background(), req, cache.ResponseHead{Status: status, Header: h}, strings.NewReader(body))
	if err != nil {
		t.Fatalf("Put(%q, %d, %v): %v", req.URL, status, h, err)
	}
	return ok
}

// mustPut stores body under req with max-age=3600.
func (e env) mustPut(t *testing.T, req cache.Request, body string, kv ...string) {
	t.Helper()
	if !e.put(t, req, 200, hdr(append([]string{"cache-control", "max-age=3600"}, kv...)...), body) {
		t.Fatalf("Put(%q) was not stored", req.URL)
	}
}

// match returns the response and its body, or nil.
func (e env) match(t *testing.T, req cache.Request, o cache.QueryOptions) (*cache.Response, string) {
	t.Helper()
	r, err := e.ns.Match(context.Background(), req, o)
	if err != nil {
		t.Fatalf("Match(%q): %v", req.URL, err)
	}
	if r == nil {
		return nil, ""
	}
	if r.Body == nil {
		return r, ""
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("Match(%q): read the body: %v", req.URL, err)
	}
	return r, string(b)
}

// wantHit checks that req matches with status and body.
func (e env) wantHit(t *testing.T, req cache.Request, status int, body string) *cache.Response {
	t.Helper()
	r, got := e.match(t, req, cache.QueryOptions{})
	if r == nil {
		t.Fatalf("Match(%q %v) missed, want %d %q", req.URL, req.Header, status, short(body))
	}
	if r.Status != status || got != body {
		t.Fatalf("Match(%q %v) = %d %q, want %d %q", req.URL, req.Header, r.Status, short(got), status, short(body))
	}
	if v, _ := r.Header.Get("cf-cache-status"); v != "HIT" {
		t.Errorf("Match(%q): cf-cache-status %q, want HIT", req.URL, v)
	}
	return r
}

// wantMiss checks that req matches nothing.
func (e env) wantMiss(t *testing.T, req cache.Request) {
	t.Helper()
	if r, body := e.match(t, req, cache.QueryOptions{}); r != nil {
		t.Fatalf("Match(%q %v) = %d %q, want a miss", req.URL, req.Header, r.Status, short(body))
	}
}

func short(s string) string {
	if len(s) <= 64 {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:32], len(s))
}

func testPutMatch(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{})
	big := strings.Repeat("0123456789abcdef", 3<<16) // 3 MiB
	tests := []struct {
		name, url string
		status    int
		header    cache.Header
		body      string
	}{
		{"text", "https://example.com/a", 200, hdr("content-type", "text/plain", "cache-control", "max-age=60"), "hello"},
		{"empty body", "https://example.com/empty", 200, hdr("cache-control", "max-age=60"), ""},
		{"3 MiB", "https://example.com/big", 200, hdr("cache-control", "max-age=60"), big},
		{"404 by default TTL", "https://example.com/missing", 404, nil, "not here"},
		{"redirect", "https://example.com/old", 301, hdr("location", "/new"), ""},
		{"500 with max-age", "https://example.com/err", 500, hdr("cache-control", "max-age=60"), "oops"},
		{"repeated fields in order", "https://example.com/h", 200,
			hdr("x-b", "1", "cache-control", "max-age=60", "x-a", "2", "x-b", "3", "link", "</a>; rel=preload"), "h"},
		{"header bytes that are not UTF-8", "https://example.com/bytes", 200, cache.Header{{Name: "x-raw", Value: []byte{0xff, 0xfe}}, {Name: "cache-control", Value: []byte("max-age=60")}}, "b"},
		{"query and fragment", "https://example.com/q?x=1&y=%20#frag", 200, hdr("cache-control", "max-age=60"), "q"},
		{"unicode", "https://example.com/é/ü?k=ü", 200, hdr("cache-control", "max-age=60"), "u"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !e.put(t, get(tt.url), tt.status, tt.header, tt.body) {
				t.Fatalf("not stored")
			}
			r := e.wantHit(t, get(tt.url), tt.status, tt.body)
			if v, _ := r.Header.Get("content-length"); v != strconv.Itoa(len(tt.body)) {
				t.Errorf("content-length %q, want %d", v, len(tt.body))
			}
			want := append(tt.header[:len(tt.header):len(tt.header)], cache.Field{Name: "cf-cache-status", Value: []byte("HIT")},
				cache.Field{Name: "content-length", Value: []byte(strconv.Itoa(len(tt.body)))})
			if !equalHeader(r.Header, want) {
				t.Errorf("header %v, want %v", r.Header, want)
			}
		})
	}
}

func equalHeader(a, b cache.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

// testOpaqueKeys: a key is the URL byte for byte, never cleaned, decoded
// or lower-cased.
func testOpaqueKeys(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{})
	keys := []string{
		"http://example.com/a/../b", "http://example.com/b", "http://example.com/a/./b", "http://example.com//b",
		"http://EXAMPLE.com/b", "http://example.com/B", "http://example.com/b?", "http://example.com/b#",
		"http://example.com/%62", "http://example.com/%zz", "http://example.com:80/b", "https://example.com/b",
		"http://example.com/b/", "http://example.com/b%2F", "http://example.com/\u00e9", "http://example.com/e\u0301",
	}
	for i, k := range keys {
		e.mustPut(t, get(k), fmt.Sprint(i))
	}
	for i, k := range keys {
		e.wantHit(t, get(k), 200, fmt.Sprint(i))
	}
}

func testInvalidKeys(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{MaxKeyBytes: 100})
	ctx := context.Background()
	for _, k := range []string{
		"", "/relative", "example.com/a", "http:/a", "http://", "http:///a", "http://?q", "1http://a/", "http://a b/",
		"http://a/\n", "http://a/\x00", "://a/", "http://a/" + strings.Repeat("x", 100),
	} {
		req := get(k)
		if _, err := e.ns.Put(ctx, req, cache.ResponseHead{Status: 200, Header: hdr("cache-control", "max-age=60")}, strings.NewReader("x")); !errors.Is(err, cache.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", k, err)
		}
		if _, err := e.ns.Match(ctx, req, cache.QueryOptions{}); !errors.Is(err, cache.ErrInvalidKey) {
			t.Errorf("Match(%q) = %v, want ErrInvalidKey", k, err)
		}
		if _, err := e.ns.Delete(ctx, req, cache.QueryOptions{}); !errors.Is(err, cache.ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
	e.mustPut(t, get("http://a/"+strings.Repeat("x", 100-len("http://a/"))), "at the limit")
}

func testRefused(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{MaxHeaderBytes: 1 << 10})
	tests := []struct {
		name   string
		method string
		status int
		header cache.Header
		want   error
		msg    string
	}{
		{"POST", "POST", 200, nil, cache.ErrRefused, "Cannot cache response to non-GET request."},
		{"HEAD", "HEAD", 200, nil, cache.ErrRefused, "Cannot cache response to non-GET request."},
		{"lower-case get", "get", 200, nil, cache.ErrRefused, "non-GET"},
		{"206", "GET", 206, hdr("content-range", "bytes 0-0/2"), cache.ErrRefused, "Cannot cache response to a range request (206 Partial Content)."},
		{"Vary: *", "GET", 200, hdr("vary", "*"), cache.ErrRefused, "Cannot cache response with 'Vary: *' header."},
		{"Vary with *", "GET", 200, hdr("vary", "accept-encoding", "vary", "origin, *"), cache.ErrRefused, "'Vary: *'"},
		{"status 199", "GET", 199, nil, cache.ErrInvalidArgument, "199"},
		{"status 600", "GET", 600, nil, cache.ErrInvalidArgument, "600"},
		{"header over the limit", "GET", 200, hdr("x-big", strings.Repeat("x", 1<<10)), cache.ErrInvalidArgument, "1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := cache.Request{Method: tt.method, URL: "https://example.com/refused"}
			read := false
			body := readFunc(func([]byte) (int, error) { read = true; return 0, io.EOF })
			ok, err := e.ns.Put(context.Background(), req, cache.ResponseHead{Status: tt.status, Header: tt.header}, body)
			if ok || !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Put = %v, %v; want %v with %q", ok, err, tt.want, tt.msg)
			}
			if read {
				t.Errorf("the body of a refused put was read")
			}
			if w, err := e.ns.PutWriter(context.Background(), req, cache.ResponseHead{Status: tt.status, Header: tt.header}); w != nil || !errors.Is(err, tt.want) {
				t.Errorf("PutWriter = %v, %v; want %v", w, err, tt.want)
			}
		})
	}
	e.wantMiss(t, get("https://example.com/refused"))
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

// testFreshness: which responses are stored and for how long. Each row is
// stored in a cache of its own at start; the entry must hit one second
// before ttl and miss at ttl (ttl 0: not stored at all).
func testFreshness(t *testing.T, newBackend NewBackend) {
	start := time.Now().Truncate(time.Second)
	date := func(d time.Duration) string { return start.Add(d).UTC().Format(http.TimeFormat) }
	tests := []struct {
		name   string
		status int
		header cache.Header
		req    cache.Header
		ttl    time.Duration
	}{
		{"200 without directives", 200, nil, nil, 2 * time.Hour},
		{"301 without directives", 301, nil, nil, 2 * time.Hour},
		{"302", 302, nil, nil, 20 * time.Minute},
		{"303", 303, nil, nil, 20 * time.Minute},
		{"404", 404, nil, nil, 3 * time.Minute},
		{"410", 410, nil, nil, 3 * time.Minute},
		{"201 is not cached by default", 201, nil, nil, 0},
		{"500 is not cached by default", 500, nil, nil, 0},
		{"public alone keeps the default", 200, hdr("cache-control", "public"), nil, 2 * time.Hour},
		{"max-age", 200, hdr("cache-control", "max-age=60"), nil, time.Minute},
		{"500 with max-age", 500, hdr("cache-control", "public, max-age=90"), nil, 90 * time.Second},
		{"s-maxage wins over max-age", 200, hdr("cache-control", "max-age=60, s-maxage=30"), nil, 30 * time.Second},
		{"directives across fields and in upper case", 200, hdr("cache-control", "public", "cache-control", "MAX-AGE=45"), nil, 45 * time.Second},
		{"quoted max-age", 200, hdr("cache-control", `max-age="75"`), nil, 75 * time.Second},
		{"max-age=0", 200, hdr("cache-control", "max-age=0"), nil, 0},
		{"s-maxage=0 wins", 200, hdr("cache-control", "s-maxage=0, max-age=60"), nil, 0},
		{"max-age not a number", 200, hdr("cache-control", "max-age=soon"), nil, 0},
		{"max-age saturates", 200, hdr("cache-control", "max-age=99999999999999999999"), nil, (1<<31 - 1) * time.Second},
		{"first max-age wins", 200, hdr("cache-control", "max-age=20, max-age=40"), nil, 20 * time.Second},
		{"stale-while-revalidate ignored", 200, hdr("cache-control", "max-age=60, stale-while-revalidate=600, stale-if-error=600, must-revalidate"), nil, time.Minute},
		{"Expires", 200, hdr("expires", date(90*time.Second)), nil, 90 * time.Second},
		{"Expires against Date", 200, hdr("date", date(-30*time.Second), "expires", date(60*time.Second)), nil, 90 * time.Second},
		{"Expires in the past", 200, hdr("expires", date(-time.Second)), nil, 0},
		{"Expires not a date", 200, hdr("expires", "0"), nil, 0},
		{"max-age wins over Expires", 200, hdr("expires", date(time.Hour), "cache-control", "max-age=60"), nil, time.Minute},
		{"Age", 200, hdr("cache-control", "max-age=60", "age", "20"), nil, 40 * time.Second},
		{"Age past max-age", 200, hdr("cache-control", "max-age=60", "age", "60"), nil, 0},
		{"no-store", 200, hdr("cache-control", "no-store, max-age=60"), nil, 0},
		{"private", 200, hdr("cache-control", "private, max-age=60"), nil, 0},
		{"no-cache", 200, hdr("cache-control", "no-cache"), nil, 0},
		{"no-cache naming a field present", 200, hdr("cache-control", `no-cache="x-user", max-age=60`, "x-user", "1"), nil, 0},
		{"no-cache naming a field absent", 200, hdr("cache-control", `no-cache="x-user", max-age=60`), nil, time.Minute},
		{"Set-Cookie", 200, hdr("cache-control", "public, max-age=60", "set-cookie", "a=1"), nil, 0},
		{"Set-Cookie with private=Set-Cookie", 200, hdr("cache-control", "private=Set-Cookie, max-age=60", "set-cookie", "a=1"), nil, time.Minute},
		{"Set-Cookie with private naming others", 200, hdr("cache-control", `private="x-a, set-cookie", max-age=60`, "set-cookie", "a=1"), nil, time.Minute},
		{"Set-Cookie with private naming another", 200, hdr("cache-control", `private="x-a", max-age=60`, "set-cookie", "a=1"), nil, 0},
		{"Authorization", 200, hdr("cache-control", "max-age=60"), hdr("authorization", "Bearer x"), 0},
		{"Authorization with public", 200, hdr("cache-control", "public, max-age=60"), hdr("authorization", "Bearer x"), time.Minute},
		{"Authorization with s-maxage", 200, hdr("cache-control", "s-maxage=60"), hdr("authorization", "Bearer x"), time.Minute},
		{"Authorization with must-revalidate", 200, hdr("cache-control", "must-revalidate, max-age=60"), hdr("authorization", "Bearer x"), time.Minute},
		{"304 is dropped", 304, hdr("cache-control", "max-age=60"), nil, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvAt(t, newBackend, cache.Limits{}, start)
			url := fmt.Sprintf("https://example.com/fresh/%d", i)
			body := "body " + tt.name
			stored := e.put(t, cache.Request{Method: "GET", URL: url, Header: tt.req}, tt.status, tt.header, body)
			if stored != (tt.ttl > 0) {
				t.Fatalf("Put stored = %v, want %v", stored, tt.ttl > 0)
			}
			if tt.ttl == 0 {
				e.wantMiss(t, get(url))
				return
			}
			start := e.clock.Now()
			e.clock.Advance(tt.ttl - time.Second)
			e.wantHit(t, get(url), tt.status, body)
			e.clock.Advance(time.Second)
			e.wantMiss(t, get(url))
			if d := e.clock.Now().Sub(start); d != tt.ttl {
				t.Fatalf("clock moved %v", d)
			}
		})
	}
}

// testStoredHeaders: the fields a put drops or the cache computes.
func testStoredHeaders(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{})
	tests := []struct {
		name        string
		header      cache.Header
		gone, kept  []string
		contentType string
	}{
		{"content-length is computed", hdr("cache-control", "max-age=60", "content-length", "999"), nil, nil, ""},
		{"transfer-encoding is dropped", hdr("cache-control", "max-age=60", "transfer-encoding", "chunked"), []string{"transfer-encoding"}, nil, ""},
		{"cf-cache-status is the cache's", hdr("cache-control", "max-age=60", "cf-cache-status", "MISS"), nil, nil, ""},
		{"private= fields are not stored", hdr("cache-control", `private="Set-Cookie, X-Secret", max-age=60`, "set-cookie", "a=1", "x-secret", "s", "x-public", "p"),
			[]string{"set-cookie", "x-secret"}, []string{"x-public", "cache-control"}, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := fmt.Sprintf("https://example.com/stored/%d", i)
			if !e.put(t, get(url), 200, tt.header, "12345") {
				t.Fatal("not stored")
			}
			r := e.wantHit(t, get(url), 200, "12345")
			for _, n := range tt.gone {
				if r.Header.Has(n) {
					t.Errorf("%s was stored: %v", n, r.Header)
				}
			}
			for _, n := range tt.kept {
				if !r.Header.Has(n) {
					t.Errorf("%s was not stored: %v", n, r.Header)
				}
			}
			if vs := r.Header.Values("content-length"); len(vs) != 1 || vs[0] != "5" {
				t.Errorf("content-length %q, want [5]", vs)
			}
			if vs := r.Header.Values("cf-cache-status"); len(vs) != 1 || vs[0] != "HIT" {
				t.Errorf("cf-cache-status %q, want [HIT]", vs)
			}
		})
	}
}

func testRanges(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{})
	const url = "https://example.com/digits"
	e.mustPut(t, get(url), "0123456789", "content-type", "text/plain")
	tests := []struct {
		rng          string
		status       int
		body         string
		contentRange string
	}{
		{"bytes=0-4", 206, "01234", "bytes 0-4/10"},
		{"bytes=5-", 206, "56789", "bytes 5-9/10"},
		{"bytes=-3", 206, "789", "bytes 7-9/10"},
		{"bytes=-20", 206, "0123456789", "bytes 0-9/10"},
		{"bytes=8-20", 206, "89", "bytes 8-9/10"},
		{"bytes=9-9", 206, "9", "bytes 9-9/10"},
		{" Bytes = 3-3 ", 206, "3", "bytes 3-3/10"},
		{"bytes=0-1, 20-30", 206, "01", "bytes 0-1/10"},
		{"bytes=10-", 416, "", "bytes */10"},
		{"bytes=10-20, 30-", 416, "", "bytes */10"},
		{"bytes=-0", 416, "", "bytes */10"},
		{"bytes=5-4", 200, "0123456789", ""},
		{"bytes=abc", 200, "0123456789", ""},
		{"bytes=-", 200, "0123456789", ""},
		{"bytes=", 200, "0123456789", ""},
		{"bytes=1-2-3", 200, "0123456789", ""},
		{"bytes=+1-2", 200, "0123456789", ""},
		{"items=0-1", 200, "0123456789", ""},
		{"0-1", 200, "0123456789", ""},
		{"bytes=99999999999999999999-", 200, "0123456789", ""},
		{"bytes=" + strings.Repeat("0-0,", 101) + "0-0", 200, "0123456789", ""},
	}
	for _, tt := range tests {
		t.Run(tt.rng, func(t *testing.T) {
			r := e.wantHit(t, get(url, "range", tt.rng), tt.status, tt.body)
			if got, _ := r.Header.Get("content-range"); got != tt.contentRange {
				t.Errorf("content-range %q, want %q", got, tt.contentRange)
			}
			if got, _ := r.Header.Get("content-length"); got != strconv.Itoa(len(tt.body)) {
				t.Errorf("content-length %q, want %d", got, len(tt.body))
			}
			if tt.status == 416 && r.Body != nil {
				t.Errorf("a 416 has a body")
			}
		})
	}
	t.Run("not a 200", func(t *testing.T) {
		if !e.put(t, get(url+"/404"), 404, nil, "missing page") {
			t.Fatal("not stored")
		}
		e.wantHit(t, get(url+"/404", "range", "bytes=0-1"), 404, "missing page")
	})
	t.Run("empty body", func(t *testing.T) {
		e.mustPut(t, get(url+"/empty"), "")
		e.wantHit(t, get(url+"/empty", "range", "bytes=0-1"), 200, "")
	})
}

func testMultipart(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{})
	const url = "https://example.com/alphabet"
	body := "abcdefghijklmnopqrstuvwxyz"
	e.mustPut(t, get(url), body, "content-type", "text/plain; charset=utf-8", "etag", `"abc"`)
	tests := []struct {
		rng   string
		parts []string
		crs   []string
	}{
		{"bytes=0-1,4-5", []string{"ab", "ef"}, []string{"bytes 0-1/26", "bytes 4-5/26"}},
		{"bytes=-2, 0-0, 10-", []string{"yz", "a", "klmnopqrstuvwxyz"}, []string{"bytes 24-25/26", "bytes 0-0/26", "bytes 10-25/26"}},
		{"bytes=0-0,0-0", []string{"a", "a"}, []string{"bytes 0-0/26", "bytes 0-0/26"}},
	}
	for _, tt := range tests {
		t.Run(tt.rng, func(t *testing.T) {
			r, got := e.match(t, get(url, "range", tt.rng), cache.QueryOptions{})
			if r == nil || r.Status != 206 {
				t.Fatalf("Match = %v, want 206", r)
			}
			if cl, _ := r.Header.Get("content-length"); cl != strconv.Itoa(len(got)) {
				t.Errorf("content-length %s, body %d bytes", cl, len(got))
			}
			ct, _ := r.Header.Get("content-type")
			if n := len(r.Header.Values("content-type")); n != 1 {
				t.Errorf("%d content-type fields", n)
			}
			mt, params, err := mime.ParseMediaType(ct)
			if err != nil || mt != "multipart/byteranges" {
				t.Fatalf("content-type %q: %v", ct, err)
			}
			mr := multipart.NewReader(strings.NewReader(got), params["boundary"])
			for i := 0; ; i++ {
				p, err := mr.NextPart()
				if err == io.EOF {
					if i != len(tt.parts) {
						t.Errorf("%d parts, want %d", i, len(tt.parts))
					}
					break
				}
				if err != nil {
					t.Fatalf("part %d: %v\n%q", i, err, got)
				}
				b, _ := io.ReadAll(p)
				if i >= len(tt.parts) || string(b) != tt.parts[i] || p.Header.Get("Content-Range") != tt.crs[i] ||
					p.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
					t.Errorf("part %d: %q %v", i, b, p.Header)
				}
			}
		})
	}
}

func testConditionals(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{})
	lm := e.clock.Now().Add(-time.Hour).UTC()
	at := func(d time.Duration) string { return lm.Add(d).Format(http.TimeFormat) }
	const url, noTag = "https://example.com/cond", "https://example.com/cond-no-etag"
	e.mustPut(t, get(url), "body", "etag", `"v1"`, "last-modified", at(0))
	e.mustPut(t, get(noTag), "body")
	tests := []struct {
		name   string
		url    string
		req    []string
		status int
	}{
		{"If-None-Match the tag", url, []string{"if-none-match", `"v1"`}, 304},
		{"If-None-Match weak", url, []string{"if-none-match", `W/"v1"`}, 304},
		{"If-None-Match another", url, []string{"if-none-match", `"v2"`}, 200},
		{"If-None-Match a list", url, []string{"if-none-match", `"v2", W/"v1"`}, 304},
		{"If-None-Match fields", url, []string{"if-none-match", `"v2"`, "if-none-match", `"v1"`}, 304},
		{"If-None-Match *", url, []string{"if-none-match", "*"}, 304},
		{"If-None-Match unquoted", url, []string{"if-none-match", "v1"}, 200},
		{"If-None-Match without a stored tag", noTag, []string{"if-none-match", `"v1"`}, 200},
		{"If-None-Match * without a stored tag", noTag, []string{"if-none-match", "*"}, 304},
		{"If-None-Match wins over If-Modified-Since", url, []string{"if-none-match", `"v2"`, "if-modified-since", at(time.Hour)}, 200},
		{"If-Modified-Since the same second", url, []string{"if-modified-since", at(0)}, 304},
		{"If-Modified-Since later", url, []string{"if-modified-since", at(time.Minute)}, 304},
		{"If-Modified-Since earlier", url, []string{"if-modified-since", at(-time.Second)}, 200},
		{"If-Modified-Since not a date", url, []string{"if-modified-since", "yesterday"}, 200},
		{"If-Modified-Since without Last-Modified", noTag, []string{"if-modified-since", at(time.Hour)}, 200},
		{"304 wins over Range", url, []string{"if-none-match", `"v1"`, "range", "bytes=0-0"}, 304},
		{"Range when the tag differs", url, []string{"if-none-match", `"v2"`, "range", "bytes=0-0"}, 206},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := e.match(t, get(tt.url, tt.req...), cache.QueryOptions{})
			if r == nil || r.Status != tt.status {
				t.Fatalf("Match = %v, want %d", r, tt.status)
			}
			if tt.status == 304 {
				if r.Body != nil || body != "" {
					t.Errorf("a 304 has a body")
				}
				if r.Header.Has("content-length") {
					t.Errorf("a 304 has a content-length: %v", r.Header)
				}
				if v, _ := r.Header.Get("cf-cache-status"); v != "HIT" {
					t.Errorf("cf-cache-status %q", v)
				}
				if tt.url == url {
					if v, _ := r.Header.Get("etag"); v != `"v1"` {
						t.Errorf("a 304 without the stored etag: %v", r.Header)
					}
				}
			}
		})
	}
}

func testMethods(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{})
	const url = "https://example.com/m"
	e.mustPut(t, get(url), "body")
	ctx := context.Background()
	for _, m := range []string{"POST", "HEAD", "PUT", "get"} {
		req := cache.Request{Method: m, URL: url}
		if r, err := e.ns.Match(ctx, req, cache.QueryOptions{}); r != nil || err != nil {
			t.Errorf("Match(%s) = %v, %v; want nothing", m, r, err)
		}
		if r, body := e.match(t, req, cache.QueryOptions{IgnoreMethod: true}); r == nil || body != "body" {
			t.Errorf("Match(%s, ignoreMethod) = %v %q, want the body", m, r, body)
		}
		if ok, err := e.ns.Delete(ctx, req, cache.QueryOptions{}); ok || err != nil {
			t.Errorf("Delete(%s) = %v, %v; want false", m, ok, err)
		}
	}
	e.wantHit(t, get(url), 200, "body")
	if ok, err := e.ns.Delete(ctx, cache.Request{Method: "POST", URL: url}, cache.QueryOptions{IgnoreMethod: true}); !ok || err != nil {
		t.Errorf("Delete(POST, ignoreMethod) = %v, %v; want true", ok, err)
	}
	e.wantMiss(t, get(url))
}

func testDelete(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{})
	ctx := context.Background()
	const url = "https://example.com/d"
	del := func() bool {
		ok, err := e.ns.Delete(ctx, get(url), cache.QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if del() {
		t.Errorf("Delete of a missing key = true")
	}
	e.mustPut(t, get(url), "x")
	e.mustPut(t, get(url+"/other"), "y")
	if !del() {
		t.Errorf("Delete of a stored key = false")
	}
	if del() {
		t.Errorf("second Delete = true")
	}
	e.wantMiss(t, get(url))
	e.wantHit(t, get(url+"/other"), 200, "y")
	e.mustPut(t, get(url), "again")
	e.wantHit(t, get(url), 200, "again")
}

func testVary(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{})
	const url = "https://example.com/v"
	vary := []string{"vary", "Accept-Encoding"}
	e.mustPut(t, get(url, "accept-encoding", "gzip"), "gzip body", vary...)
	e.mustPut(t, get(url, "accept-encoding", "br, gzip"), "br body", vary...)
	e.wantHit(t, get(url, "accept-encoding", "gzip"), 200, "gzip body")
	e.wantHit(t, get(url, "accept-encoding", "GZIP;q=1.0, identity;q=0"), 200, "gzip body")
	e.wantHit(t, get(url, "accept-encoding", "gzip", "accept-encoding", "br"), 200, "br body")
	e.wantHit(t, get(url, "accept-encoding", "gzip,br,gzip"), 200, "br body")
	e.wantMiss(t, get(url, "accept-encoding", "deflate"))
	e.wantMiss(t, get(url))
	// A variant replaces only its own set of codings.
	e.mustPut(t, get(url, "accept-encoding", "gzip"), "gzip body 2", vary...)
	e.wantHit(t, get(url, "accept-encoding", "gzip"), 200, "gzip body 2")
	e.wantHit(t, get(url, "accept-encoding", "br,gzip"), 200, "br body")
	// A response that does not vary replaces every variant.
	e.mustPut(t, get(url, "accept-encoding", "gzip"), "plain", "vary", "origin")
	for _, ae := range []string{"gzip", "br, gzip", "deflate", ""} {
		e.wantHit(t, get(url, "accept-encoding", ae), 200, "plain")
	}
	// And a variant replaces the response that did not vary.
	e.mustPut(t, get(url, "accept-encoding", "gzip"), "gzip body 3", "vary", "origin, accept-encoding")
	e.wantHit(t, get(url, "accept-encoding", "gzip"), 200, "gzip body 3")
	e.wantMiss(t, get(url, "accept-encoding", "br, gzip"))
	// Delete removes every variant.
	e.mustPut(t, get(url), "identity body", vary...)
	if ok, err := e.ns.Delete(context.Background(), get(url), cache.QueryOptions{}); !ok || err != nil {
		t.Fatalf("Delete = %v, %v", ok, err)
	}
	e.wantMiss(t, get(url, "accept-encoding", "gzip"))
	e.wantMiss(t, get(url))
}

func testOverwrite(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{})
	const url = "https://example.com/o"
	e.put(t, get(url), 200, hdr("cache-control", "max-age=600", "x-v", "1"), "first, and longer")
	e.put(t, get(url), 200, hdr("cache-control", "max-age=60", "x-v", "2"), "second")
	r := e.wantHit(t, get(url), 200, "second")
	if v, _ := r.Header.Get("x-v"); v != "2" {
		t.Errorf("x-v %q, want 2", v)
	}
	e.clock.Advance(time.Minute)
	e.wantMiss(t, get(url)) // the second entry's TTL, not the first's
	// A put that is not stored leaves the old entry alone.
	e.put(t, get(url), 200, hdr("cache-control", "max-age=60"), "third")
	e.put(t, get(url), 200, hdr("cache-control", "no-store"), "not stored")
	e.wantHit(t, get(url), 200, "third")
}

func testIsolation(t *testing.T, newBackend NewBackend) {
	c := testutil.NewClock(time.Now().Truncate(time.Second))
	a := cache.NewNamespace(newBackend(t, c.Now), cache.Limits{}, c.Now)
	b := cache.NewNamespace(newBackend(t, c.Now), cache.Limits{}, c.Now)
	ea, eb := env{clock: c, ns: a}, env{clock: c, ns: b}
	const url = "https://example.com/i"
	ea.mustPut(t, get(url), "a")
	eb.wantMiss(t, get(url))
	eb.mustPut(t, get(url), "b")
	ea.wantHit(t, get(url), 200, "a")
	if ok, _ := b.Delete(context.Background(), get(url), cache.QueryOptions{}); !ok {
		t.Fatal("Delete in b = false")
	}
	ea.wantHit(t, get(url), 200, "a")
}

func testExpiry(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{})
	ctx := context.Background()
	for i, ttl := range []int{10, 20, 30} {
		e.put(t, get(fmt.Sprintf("https://example.com/e/%d", i)), 200, hdr("cache-control", fmt.Sprintf("max-age=%d", ttl)), "x")
	}
	e.clock.Advance(20 * time.Second)
	e.wantMiss(t, get("https://example.com/e/0"))
	if ok, err := e.ns.Delete(ctx, get("https://example.com/e/1"), cache.QueryOptions{}); ok || err != nil {
		t.Errorf("Delete of an expired entry = %v, %v; want false", ok, err)
	}
	e.wantHit(t, get("https://example.com/e/2"), 200, "x")
	s, ok := e.b.(cache.Sweeper)
	if !ok {
		return
	}
	e.put(t, get("https://example.com/e/3"), 200, hdr("cache-control", "max-age=5"), "x")
	e.put(t, get("https://example.com/e/4"), 200, hdr("cache-control", "max-age=50"), "x")
	e.clock.Advance(10 * time.Second)
	n, err := s.Sweep(ctx)
	if err != nil || n < 2 {
		t.Errorf("Sweep = %d, %v; want at least the 2 entries expired here (e/0 may already be gone)", n, err)
	}
	if n, err := s.Sweep(ctx); err != nil || n != 0 {
		t.Errorf("second Sweep = %d, %v; want 0", n, err)
	}
	e.wantHit(t, get("https://example.com/e/4"), 200, "x")
	e.mustPut(t, get("https://example.com/e/3"), "back")
	e.wantHit(t, get("https://example.com/e/3"), 200, "back")
}

func testLargeBody(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	body := make([]byte, 5<<20+3)
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	sum := md5.Sum(body)
	const url = "https://example.com/large"
	w, err := e.ns.PutWriter(ctx, get(url), cache.ResponseHead{Status: 200, Header: hdr("cache-control", "max-age=60")})
	if err != nil || w == nil {
		t.Fatalf("PutWriter = %v, %v", w, err)
	}
	for p := body; len(p) > 0; {
		n := min(len(p), 1+rng.IntN(100<<10))
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r, got := e.match(t, get(url), cache.QueryOptions{})
	if r == nil || md5.Sum([]byte(got)) != sum {
		t.Fatalf("Match: %d bytes, md5 differs", len(got))
	}
	const off, n = 3<<20 + 5, 1<<20 + 9
	r, got = e.match(t, get(url, "range", fmt.Sprintf("bytes=%d-%d", off, off+n-1)), cache.QueryOptions{})
	if r == nil || r.Status != 206 || got != string(body[off:off+n]) {
		t.Fatalf("ranged Match: %v, %d bytes", r, len(got))
	}
	// The body reaches a writer through WriteTo as well.
	r, err = e.ns.Match(ctx, get(url), cache.QueryOptions{})
	if err != nil || r == nil {
		t.Fatal(err)
	}
	h := md5.New()
	if _, err := r.Body.(io.WriterTo).WriteTo(h); err != nil || hex.EncodeToString(h.Sum(nil)) != hex.EncodeToString(sum[:]) {
		t.Errorf("WriteTo: %v, md5 differs", err)
	}
	r.Body.Close()
}

// endless is a body that never ends.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.n += int64(len(p))
	return len(p), nil
}

func testTooLarge(t *testing.T, newBackend NewBackend) {
	const limit = 1 << 20
	e := newEnv(t, newBackend, cache.Limits{MaxBodyBytes: limit})
	ctx := context.Background()
	const url = "https://example.com/too-large"
	e.mustPut(t, get(url), "old")
	head := cache.ResponseHead{Status: 200, Header: hdr("cache-control", "max-age=60")}
	body := &endless{}
	if ok, err := e.ns.Put(ctx, get(url), head, body); ok || !errors.Is(err, cache.ErrTooLarge) {
		t.Fatalf("Put of an endless body = %v, %v; want ErrTooLarge", ok, err)
	}
	if body.n > 2*limit {
		t.Errorf("read %d bytes of an endless body, the limit is %d", body.n, limit)
	}
	e.wantHit(t, get(url), 200, "old")
	if ok, err := e.ns.Put(ctx, get(url), head, strings.NewReader(strings.Repeat("x", limit))); !ok || err != nil {
		t.Fatalf("Put at the limit = %v, %v", ok, err)
	}
	w, _ := e.ns.PutWriter(ctx, get(url), head)
	if _, err := w.Write(make([]byte, limit)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte{1}); !errors.Is(err, cache.ErrTooLarge) {
		t.Fatalf("Write past the limit = %v", err)
	}
	if err := w.Commit(ctx); !errors.Is(err, cache.ErrTooLarge) {
		t.Fatalf("Commit after too large = %v", err)
	}
	e.wantHit(t, get(url), 200, strings.Repeat("x", limit))
}

func testFailedPuts(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{})
	ctx := context.Background()
	const url = "https://example.com/failed"
	e.mustPut(t, get(url), "old")
	head := cache.ResponseHead{Status: 200, Header: hdr("cache-control", "max-age=60")}
	broken := io.MultiReader(strings.NewReader("partial"), readFunc(func([]byte) (int, error) { return 0, errors.New("connection reset") }))
	if ok, err := e.ns.Put(ctx, get(url), head, broken); ok || !errors.Is(err, cache.ErrBody) || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("Put of a failing body = %v, %v; want ErrBody", ok, err)
	}
	e.wantHit(t, get(url), 200, "old")
	w, err := e.ns.PutWriter(ctx, get(url), head)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("aborted"))
	w.Abort()
	w.Abort()
	if err := w.Commit(ctx); err == nil {
		t.Errorf("Commit after Abort succeeded")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Errorf("Write after Abort succeeded")
	}
	e.wantHit(t, get(url), 200, "old")
	w, _ = e.ns.PutWriter(ctx, get(url), head)
	w.Write([]byte("new"))
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	w.Abort() // after Commit: nothing
	if err := w.Commit(ctx); err == nil {
		t.Errorf("second Commit succeeded")
	}
	e.wantHit(t, get(url), 200, "new")
}

// testConcurrent: puts and matches of one key race; every match returns
// one put's whole body, never a mix or a part.
func testConcurrent(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{})
	ctx := context.Background()
	const url = "https://example.com/race"
	bodyOf := func(i int) string { return strings.Repeat(strconv.Itoa(i%10), 64<<10+i) }
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 10 {
				n := g*10 + i
				if _, err := e.ns.Put(ctx, get(url), cache.ResponseHead{Status: 200, Header: hdr("cache-control", "max-age=60", "x-n", strconv.Itoa(n))}, strings.NewReader(bodyOf(n))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 20 {
				r, err := e.ns.Match(ctx, get(url, "range", "bytes=100-"), cache.QueryOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				if r == nil {
					continue
				}
				b, err := io.ReadAll(r.Body)
				r.Body.Close()
				nv, _ := r.Header.Get("x-n")
				n, _ := strconv.Atoi(nv)
				if err != nil || string(b) != bodyOf(n)[100:] {
					t.Errorf("Match: x-n %s, %d bytes, %v", nv, len(b), err)
				}
			}
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if _, err := e.ns.Delete(ctx, get(url), cache.QueryOptions{}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}

func testContextCanceled(t *testing.T, newBackend NewBackend) {
	e := newEnv(t, newBackend, cache.Limits{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	const url = "https://example.com/ctx"
	head := cache.ResponseHead{Status: 200, Header: hdr("cache-control", "max-age=60")}
	if _, err := e.ns.Put(ctx, get(url), head, strings.NewReader("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Put = %v, want context.Canceled", err)
	}
	if _, err := e.ns.Match(ctx, get(url), cache.QueryOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Match = %v, want context.Canceled", err)
	}
	if _, err := e.ns.Delete(ctx, get(url), cache.QueryOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete = %v, want context.Canceled", err)
	}
	e.wantMiss(t, get(url))
}
