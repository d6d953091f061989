package conformance_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

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
		{"/panic", "internal server error\n", "text/plain; charset=utf-8"},
		{"/abort", "handler aborted\n", "text/plain; charset=utf-8"},
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
