package conformance_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/host"

	"github.com/bindery-run/bindery/internal/testutil"
)

// TestGoSDK holds the Go SDK to what net/http's server gives a handler: the
// Host header in r.Host (not in r.Header), canonical header names with
// every value, the request URI as sent, a body only when there is one, a
// recovered panic answered with a 500, content sniffing, and requests that
// stay as they were after their handler returned.
func TestGoSDK(t *testing.T) {
	w, _ := newWorker(t, "gosdk", testutil.BuildGoGuest(t, "conformance/gosdk"))
	do := func(method, target, body string, header http.Header) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if body == "" {
			req.Body = http.NoBody
		}
		for k, vs := range header {
			req.Header[k] = vs
		}
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, req)
		return rec
	}
	decode := func(rec *httptest.ResponseRecorder) map[string]any {
		t.Helper()
		var d map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
			t.Fatalf("status %d, body %q: %v", rec.Code, rec.Body, err)
		}
		return d
	}
	for _, c := range []struct {
		name, method, target, body string
		header                     http.Header
		want                       map[string]any
	}{
		{name: "get", method: "GET", target: "http://example.com:8787/a/b?x=1&y=2",
			header: http.Header{"Accept": {"text/plain"}, "X-Custom": {"one", "two"}, "x-lower": {"v"}},
			want: map[string]any{"Method": "GET", "URL": "http://example.com:8787/a/b?x=1&y=2", "Path": "/a/b", "RawQuery": "x=1&y=2",
				"Host": "example.com:8787", "RequestURI": "/a/b?x=1&y=2", "RemoteAddr": "192.0.2.1", "ContentLength": 0.0,
				"NoBody": true, "Body": "", "Proto": "HTTP/1.1",
				"Header": map[string]any{"Accept": []any{"text/plain"}, "X-Custom": []any{"one", "two"}, "X-Lower": []any{"v"},
					"Cf-Connecting-Ip": []any{"192.0.2.1"}}}},
		{name: "post", method: "POST", target: "/echo", body: "payload", header: http.Header{"Content-Length": {"7"}},
			want: map[string]any{"Method": "POST", "URL": "http://example.com/echo", "Path": "/echo", "RawQuery": "",
				"Host": "example.com", "RequestURI": "/echo", "RemoteAddr": "192.0.2.1", "ContentLength": 7.0,
				"NoBody": false, "Body": "payload", "Proto": "HTTP/1.1",
				"Header": map[string]any{"Content-Length": []any{"7"}, "Cf-Connecting-Ip": []any{"192.0.2.1"}}}},
		{name: "escaped path", method: "GET", target: "/a%20b/c?q=%41",
			want: map[string]any{"Method": "GET", "URL": "http://example.com/a%20b/c?q=%41", "Path": "/a b/c", "RawQuery": "q=%41",
				"Host": "example.com", "RequestURI": "/a%20b/c?q=%41", "RemoteAddr": "192.0.2.1", "ContentLength": 0.0,
				"NoBody": true, "Body": "", "Proto": "HTTP/1.1",
				"Header": map[string]any{"Cf-Connecting-Ip": []any{"192.0.2.1"}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := do(c.method, c.target, c.body, c.header)
			if got := decode(rec); !reflect.DeepEqual(got, c.want) {
				t.Errorf("request\n got %v\nwant %v", got, c.want)
			}
			if got := rec.Header().Values("X-Many"); !reflect.DeepEqual(got, []string{"1", "2"}) {
				t.Errorf("X-Many = %q, want [1 2]", got)
			}
		})
	}
	// The last request, kept by the Worker, is unchanged by the ones after.
	want := decode(do("GET", "/kept?k=v", "", http.Header{"X-Kept": {"yes"}}))
	delete(want, "Body")
	delete(want, "NoBody")
	do("GET", "/panic", "", nil)
	if got := decode(do("GET", "/previous", "", http.Header{"X-Other": {"no"}})); !reflect.DeepEqual(got, want) {
		t.Errorf("kept request changed:\n got %v\nwant %v", got, want)
	}
	for _, c := range []struct{ target, body, contentType string }{
		{"/panic", "worker error: the Worker failed (see the log)\n", "text/plain; charset=utf-8"},
		{"/abort", "worker error: the Worker failed (see the log)\n", "text/plain; charset=utf-8"},
		{"/sniff", "<!DOCTYPE html><p>hi", "text/html; charset=utf-8"},
	} {
		rec := do("GET", c.target, "", nil)
		wantCode := http.StatusInternalServerError
		if c.target == "/sniff" {
			wantCode = http.StatusOK
		}
		if rec.Code != wantCode || rec.Body.String() != c.body || rec.Header().Get("Content-Type") != c.contentType {
			t.Errorf("GET %s: %d %q %q, want %d %q %q", c.target, rec.Code, rec.Body, rec.Header().Get("Content-Type"), wantCode, c.body, c.contentType)
		}
	}
}

// TestGoSDKFailures holds the Go SDK and the host to what a failing Worker
// must get, through a real Go guest behind a real HTTP server: one log
// record per failure (a panic's reason, or a runtime crash's traceback,
// bounded), no guest insides in the 500, an aborted connection — never a
// complete-looking body — when the response had started, a sleep ended at
// the deadline, typed errors for input the host could not take, and the
// instance kept whenever the guest survived.
func TestGoSDKFailures(t *testing.T) {
	logs := &testutil.SyncBuffer{}
	w, _ := newWorker(t, "gosdk-failures", testutil.BuildGoGuest(t, "conformance/gosdk"), func(c *host.WorkerConfig) {
		c.RequestTimeout = 2 * time.Second
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
		_, d1 := d1DB(t, t.TempDir()) // for /sdk-errors
		c.Bindings = append(c.Bindings, d1)
	})
	srv := httptest.NewServer(w)
	defer srv.Close()
	get := func(path string) (int, string, error) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	records := func() []string {
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			if l != "" {
				out = append(out, l)
			}
		}
		logs.Reset()
		return out
	}
	discarded := func() int64 { return w.Stats().Discarded }

	t.Run("panic mid-stream aborts", func(t *testing.T) {
		code, body, err := get("/stream-panic")
		if code != 200 || !errors.Is(err, io.ErrUnexpectedEOF) || body != "partial " {
			t.Errorf("got %d %q, read error %v; want 200, \"partial \" and an unexpected EOF", code, body, err)
		}
		if r := records(); len(r) != 1 || !strings.Contains(r[0], "boom mid-stream") || !strings.Contains(r[0], "level=ERROR") {
			t.Errorf("want one error record with the panic, got %q", r)
		}
	})
	t.Run("panic before a response", func(t *testing.T) {
		code, body, _ := get("/panic")
		if code != 500 || strings.Contains(body, "boom") || strings.Contains(body, "goroutine") {
			t.Errorf("got %d %q; want a 500 without the panic", code, body)
		}
		if r := records(); len(r) != 1 || !strings.Contains(r[0], "panic serving GET /panic: boom") {
			t.Errorf("want one record with the panic, got %q", r)
		}
	})
	t.Run("ErrAbortHandler is quiet", func(t *testing.T) {
		if code, _, _ := get("/abort"); code != 500 {
			t.Errorf("status %d, want 500", code)
		}
		if r := records(); len(r) != 0 {
			t.Errorf("records %q, want none", r)
		}
	})
	if d := discarded(); d != 0 {
		t.Fatalf("%d instances discarded after panics the SDK recovered, want 0", d)
	}
	t.Run("typed errors for what the host could not take", func(t *testing.T) {
		code, body, _ := get("/sdk-errors")
		var got map[string]string
		if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil {
			t.Fatalf("got %d %q", code, body)
		}
		if len(got) < 20 {
			t.Errorf("only %d checks ran: %v", len(got), got)
		}
		for name, problem := range got {
			if problem != "" {
				t.Errorf("%s: %s", name, problem)
			}
		}
		if d := discarded(); d != 0 {
			t.Errorf("%d instances discarded: a call trapped", d)
		}
	})
	t.Run("a URL that is not UTF-8 arrives escaped", func(t *testing.T) {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "GET /raw/\xff?q=\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		b, _ := io.ReadAll(conn)
		if !strings.Contains(string(b), `"URL":"http://x/raw/%FF?q=%FE"`) {
			t.Errorf("answer %q lacks the escaped URL", b)
		}
	})
	t.Run("sleep ends at the deadline", func(t *testing.T) {
		start := time.Now()
		code, body, _ := get("/sleep")
		if code != 500 || time.Since(start) > 30*time.Second {
			t.Errorf("got %d %q after %v", code, body, time.Since(start))
		}
		if d := discarded(); d != 1 {
			t.Errorf("%d instances discarded, want the sleeper's", d)
		}
		records()
	})
	t.Run("a runtime crash is one record", func(t *testing.T) {
		code, body, _ := get("/recurse")
		if code != 500 || strings.Contains(body, "runtime.") {
			t.Errorf("got %d %q", code, body)
		}
		r := records()
		if len(r) != 1 || !strings.Contains(r[0], "lines left out") || !strings.Contains(r[0], "stderr=") {
			t.Errorf("want one record with the bounded traceback, got %d: %.2000q", len(r), r)
		}
		if len(r) == 1 && len(r[0]) > 64<<10 {
			t.Errorf("the record is %d bytes", len(r[0]))
		}
	})
	if code, _, _ := get("/kept"); code != 200 {
		t.Errorf("after the failures: %d", code)
	}
}
