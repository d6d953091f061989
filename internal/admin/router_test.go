package admin

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func testRouter() (*router, *string) {
	var got string
	rt := &router{}
	rt.handle("GET /api/kv/namespaces/{id}/keys", func(w http.ResponseWriter, r *http.Request) {
		got = "list " + r.PathValue("id")
	})
	rt.handle("GET /api/kv/namespaces/{id}/values/{key...}", func(w http.ResponseWriter, r *http.Request) {
		got = "get " + r.PathValue("id") + " " + r.PathValue("key")
	})
	rt.handle("DELETE /api/kv/namespaces/{id}/values/{key...}", func(w http.ResponseWriter, r *http.Request) {
		got = "delete " + r.PathValue("id") + " " + r.PathValue("key")
	})
	return rt, &got
}

// TestRouterKeepsPaths: the router hands keys over exactly as sent, never
// cleaned or redirected.
func TestRouterKeepsPaths(t *testing.T) {
	tests := []struct {
		method, path string
		status       int
		want         string
	}{
		{"GET", "/api/kv/namespaces/ns/values/a//b", 200, "get ns a//b"},
		{"DELETE", "/api/kv/namespaces/ns/values/x/../etc", 200, "delete ns x/../etc"},
		{"GET", "/api/kv/namespaces/ns/values/p/./q", 200, "get ns p/./q"},
		{"GET", "/api/kv/namespaces/ns/values/a%2Fb", 200, "get ns a/b"},
		{"GET", "/api/kv/namespaces/ns/values/%2E%2E", 200, "get ns .."},
		{"GET", "/api/kv/namespaces/ns/values/trail/", 200, "get ns trail/"},
		{"GET", "/api/kv/namespaces/ns/values/", 200, "get ns "},
		{"HEAD", "/api/kv/namespaces/n%20s/values/k", 200, "get n s k"},
		{"GET", "/api/kv/namespaces/ns/keys", 200, "list ns"},
		{"GET", "/api/kv/namespaces//keys", 404, ""},
		{"GET", "/api/kv/namespaces/ns/keys/", 404, ""},
		{"GET", "/api/kv/namespaces/ns/values", 404, ""},
		{"PUT", "/api/kv/namespaces/ns/values/k", 405, ""},
		{"GET", "//api/kv/namespaces/ns/keys", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rt, got := testRouter()
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(tc.method, "http://admin"+tc.path, nil)
			rt.ServeHTTP(rec, req)
			if rec.Code != tc.status || *got != tc.want {
				t.Errorf("got %d %q, want %d %q", rec.Code, *got, tc.status, tc.want)
			}
			if tc.status == 405 && rec.Header().Get("Allow") != "DELETE, GET" {
				t.Errorf("Allow = %q", rec.Header().Get("Allow"))
			}
		})
	}
}

// FuzzKeyPath: any key the client escapes reaches the handler unchanged.
func FuzzKeyPath(f *testing.F) {
	for _, k := range []string{"a//b", "x/../etc", "..", ".", "%2F", "a b?c#d", "/", "", "é/ü", "\x00\xff"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		rt, got := testRouter()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "http://admin/api/kv/namespaces/ns/values/"+EscapeKey(key), nil)
		rt.ServeHTTP(rec, req)
		if rec.Code != 200 || *got != "get ns "+key {
			t.Fatalf("key %q: got %d %q", key, rec.Code, *got)
		}
	})
}
