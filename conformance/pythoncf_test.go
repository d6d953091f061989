package conformance_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/testutil"
)

// pyStep is one request to a Python Worker written for Cloudflare, and
// what it must answer.
type pyStep struct {
	name, method, path, body string
	header                   map[string]string
	status                   int
	// want is the exact body, or wantJSON the body decoded (nil: neither
	// is checked); contains are substrings of the body.
	want     *string
	wantJSON map[string]any
	contains []string
	// absent must not be in the body: a failure's reason is for the log.
	absent string
	// headers are response header fields that must have these values.
	headers map[string]string
	// logged, when set, is in the one log record (warning or above) the
	// step must make; unset, the step must log nothing at warning or above.
	logged []string
}

func text(s string) *string { return &s }

// TestPythonCloudflare runs Python Workers written for Cloudflare, unchanged,
// through a real host.Worker with real state: conformance/python-cf (the
// current style: class Default(WorkerEntrypoint), from workers import
// Response, self.env, self.ctx.waitUntil, KV, R2 and D1 with Cloudflare's
// options and result objects, Response.json, Response.redirect,
// request.json and form_data) and conformance/python-js (the older style:
// on_fetch(request, env), from js import Response, Headers, URL, JSON,
// pyodide.ffi.to_js, D1's results as objects). Both also hold the SDK to
// what bad input gets: an exception is a 500 without the reason and one
// log record with the traceback, and an outbound fetch (no egress yet)
// raises an error the Worker can catch, or fails the request like any
// exception when it does not. No step may discard the instance.
func TestPythonCloudflare(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building a Python Worker takes ~20 s")
	}
	oneSum := md5.Sum([]byte("hello r2"))
	oneTag := `"` + hex.EncodeToString(oneSum[:]) + `"`
	jsSum := md5.Sum([]byte("from js"))
	workers := []struct {
		name, src string
		steps     []pyStep
		// after checks the state once the steps ran (nil: nothing).
		after func(t *testing.T, kvGet func(key string) (string, bool))
	}{
		{
			name: "python-cf", src: "conformance/python-cf/src/entry.py",
			steps: []pyStep{
				{name: "kv options and results", method: "GET", path: "/cf/kv", status: 200, headers: map[string]string{"Content-Type": "application/json"},
					wantJSON: map[string]any{
						"json": 1.0, "json_attr": 1.0, "text": "bee", "bytes": []any{0.0, 1.0}, "missing": nil,
						"page": []any{"cf:a", "cf:b"}, "complete": []any{false, true}, "rest": []any{"cf:c"},
						"expiration": 4102444800.0, "meta": []any{map[string]any{"n": 1.0}, map[string]any{"by": "cf"}},
						"many":    map[string]any{"cf:a": `{"n": 1}`, "cf:b": "bee", "cf:none": nil},
						"deleted": nil,
					}},
				{name: "r2 options and objects", method: "GET", path: "/cf/r2", status: 200,
					wantJSON: map[string]any{
						"put": map[string]any{"key": "cf/one.txt", "size": 8.0, "httpEtag": oneTag, "contentType": "text/x-cf",
							"customMetadata": map[string]any{"by": "cf"}, "storageClass": "Standard"},
						"head": map[string]any{"key": "cf/one.txt", "size": 8.0, "httpEtag": oneTag, "contentType": "text/x-cf",
							"customMetadata": map[string]any{"by": "cf"}, "storageClass": "Standard"},
						"range": "r2", "stale_has_body": false,
						"objects": []any{"cf/one.txt"}, "prefixes": []any{"cf/dir/"}, "truncated": false,
						"headers":      map[string]any{"content-type": "text/x-cf"},
						"multi":        []any{9.0, "only part", "application/x-multi"},
						"after_delete": nil,
					}},
				{name: "d1 objects and values", method: "GET", path: "/cf/d1", status: 200,
					wantJSON: map[string]any{
						"exec": 2.0, "changes": []any{1.0, 1.0}, "last_row_id": 2.0, "success": true,
						"titles": []any{"one", "two"}, "done": []any{1.0, 0.0}, "score": []any{nil, 2.5},
						"data": []any{"0102", "ff"}, "big": []any{"-9223372036854775808", "9223372036854775807"},
						"to_py": "two", "rows_to_py": []any{1.0, 2.0},
						"raw": []any{[]any{1.0, "one"}, []any{2.0, "two"}}, "repeated": map[string]any{"a": 2.0}, "no_row": nil,
						"type_error": "D1_TYPE_ERROR: Type 'dict' not supported for value {'an': 'object'} (parameter 1)",
						"overflow":   true, "not_found": "D1_COLUMN_NOTFOUND: Column not found (nope)",
						"bookmarks": []any{nil, 16.0},
					}},
				{name: "request json", method: "POST", path: "/cf/json", body: `{"name":"ann","n":[1,2]}`, status: 201,
					want: text(`{"name":"ann","got":{"name":"ann","n":[1,2]}}`), headers: map[string]string{"Content-Type": "application/json", "X-From": "cf"}},
				{name: "form urlencoded", method: "POST", path: "/cf/form", body: "a=1+2&b=%C3%A9",
					header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, status: 200,
					wantJSON: map[string]any{"a": "1 2", "b": "é"}},
				{name: "form multipart", method: "POST", path: "/cf/form",
					body: "--XB\r\ncontent-disposition: form-data; name=\"field\"\r\n\r\nvalue\r\n" +
						"--XB\r\ncontent-disposition: form-data; name=\"up\"; filename=\"a.txt\"\r\ncontent-type: text/plain\r\n\r\nfile body\r\n--XB--\r\n",
					header: map[string]string{"Content-Type": "multipart/form-data; boundary=XB"}, status: 200,
					wantJSON: map[string]any{"field": "value", "up": map[string]any{"filename": "a.txt", "type": "text/plain", "text": "file body"}}},
				{name: "request fields", method: "GET", path: "/cf/request?q=1", header: map[string]string{"X-Test": "yes"}, status: 200,
					wantJSON: map[string]any{"method": "GET", "url": "http://example.com/cf/request?q=1", "x-test": "yes", "missing": nil, "q": "1"}},
				{name: "status text and headers", method: "GET", path: "/cf/status", status: 418, want: text("teapot"),
					headers: map[string]string{"X-Status": "418", "Content-Type": "text/plain; charset=utf-8"}},
				{name: "redirect", method: "GET", path: "/cf/redirect", status: 301, want: text(""),
					headers: map[string]string{"Location": "https://example.com/next"}},
				{name: "wait until", method: "GET", path: "/cf/wait", status: 200, want: text("waiting")},
				{name: "vars", method: "GET", path: "/vars", status: 200, want: text(`{"greeting":"hello","secret_set":true}`)},
				{name: "outbound fetch caught", method: "GET", path: "/cf/fetch", status: 502,
					want: text("FetchError: fetch POST https://example.com/api: outbound requests are not supported by Bindery yet (no egress); nothing was sent")},
				{name: "outbound fetch uncaught", method: "GET", path: "/cf/fetch-uncaught", status: 500, absent: "egress",
					logged: []string{failedRecord, "FetchError: fetch GET https://example.com/", "no egress"}},
				{name: "exception", method: "GET", path: "/cf/boom", status: 500, absent: "cf boom",
					logged: []string{failedRecord, "Traceback (most recent call last)", "entry.py", `ValueError: cf boom: {\"why\": \"on purpose\"}`}},
				{name: "hello after failures", method: "GET", path: "/hello", status: 200, want: text("hello from python-cf")},
			},
			after: func(t *testing.T, kvGet func(string) (string, bool)) {
				if v, ok := kvGet("cf:waited"); !ok || v != "after the response" {
					t.Errorf("ctx.waitUntil: KV cf:waited = %q %v, want the value the waited coroutine put", v, ok)
				}
			},
		},
		{
			name: "python-js", src: "conformance/python-js/worker.py",
			steps: []pyStep{
				{name: "hello", method: "GET", path: "/", status: 200, want: text("hello from python-js"), headers: map[string]string{"Content-Type": "text/plain"}},
				{name: "URL and searchParams", method: "GET", path: "/url?name=bob&tag=a&tag=b", status: 200,
					want: text(`{"pathname":"/url","host":"example.com","name":"bob","all":["a","b"],"missing":null}`)},
				{name: "request json and to_js", method: "POST", path: "/json", body: `{"name":"ann","n":41}`, status: 200,
					want: text(`{"name":"ann","n":42}`), headers: map[string]string{"Content-Type": "application/json"}},
				{name: "kv and vars", method: "GET", path: "/kv", status: 200, want: text(`{"value":"js value","keys":["js:key"],"greeting":"hello"}`)},
				{name: "r2 and writeHttpMetadata", method: "GET", path: "/r2", status: 200, want: text("from js"),
					headers: map[string]string{"Content-Type": "text/x-js", "Etag": `"` + hex.EncodeToString(jsSum[:]) + `"`}},
				{name: "d1 results as objects", method: "GET", path: "/d1", status: 200,
					want: text(`{"quote":"Simplicity is prerequisite for reliability.","author":"Dijkstra","raw":[["author"],["Dijkstra"]]}`)},
				{name: "status from an init object", method: "GET", path: "/status", status: 410, want: text("gone")},
				{name: "redirect", method: "GET", path: "/redirect", status: 307, headers: map[string]string{"Location": "https://example.com/moved"}},
				{name: "outbound fetch caught", method: "GET", path: "/fetch", status: 502,
					want: text("FetchError: fetch GET https://example.com/: outbound requests are not supported by Bindery yet (no egress); nothing was sent")},
				{name: "exception", method: "GET", path: "/boom", status: 500, absent: "js boom",
					logged: []string{failedRecord, "Traceback (most recent call last)", "KeyError: 'js boom'"}},
				{name: "not found", method: "GET", path: "/nope", status: 404, want: text("not found")},
			},
		},
	}
	for _, wk := range workers {
		t.Run(wk.name, func(t *testing.T) {
			wasm := buildOrSkip(t, "python", func() (string, error) { return pythonBuilder(wk.src)(t, t.TempDir()) })
			logs := &testutil.SyncBuffer{}
			w, st := newWorker(t, wk.name, wasm, logTo(t, logs), func(c *host.WorkerConfig) {
				_, b := d1DB(t, t.TempDir())
				c.Bindings = append(c.Bindings, b)
			})
			for _, s := range wk.steps {
				logs.Reset()
				discarded := w.Stats().Discarded
				req := httptest.NewRequest(s.method, s.path, strings.NewReader(s.body))
				for k, v := range s.header {
					req.Header.Set(k, v)
				}
				rec := httptest.NewRecorder()
				w.ServeHTTP(rec, req)
				checkPyStep(t, s, rec, logs.String())
				if d := w.Stats().Discarded - discarded; d != 0 {
					t.Errorf("%s: %s %s: the instance was discarded", s.name, s.method, s.path)
				}
			}
			if wk.after != nil {
				wk.after(t, func(key string) (string, bool) {
					v, ok, err := st.KV("store").Get(context.Background(), key)
					if err != nil {
						t.Fatal(err)
					}
					return string(v), ok
				})
			}
		})
	}
}

// checkPyStep holds one answer, and what the step logged, to s.
func checkPyStep(t *testing.T, s pyStep, rec *httptest.ResponseRecorder, logged string) {
	t.Helper()
	checkLogs(t, step{name: s.name, method: s.method, path: s.path, logged: s.logged}, logged)
	got := rec.Body.String()
	if rec.Code != s.status {
		t.Errorf("%s: %s %s: status %d, want %d (body %s)", s.name, s.method, s.path, rec.Code, s.status, show(rec.Body.Bytes()))
		return
	}
	if s.want != nil && got != *s.want {
		t.Errorf("%s: %s %s: body %q, want %q", s.name, s.method, s.path, got, *s.want)
	}
	if s.wantJSON != nil {
		var d map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
			t.Errorf("%s: %s %s: body %s: %v", s.name, s.method, s.path, show(rec.Body.Bytes()), err)
		} else if !reflect.DeepEqual(d, s.wantJSON) {
			t.Errorf("%s: %s %s:\n got %v\nwant %v", s.name, s.method, s.path, d, s.wantJSON)
		}
	}
	for _, c := range s.contains {
		if !strings.Contains(got, c) {
			t.Errorf("%s: %s %s: body %q does not contain %q", s.name, s.method, s.path, got, c)
		}
	}
	if s.absent != "" && strings.Contains(got, s.absent) {
		t.Errorf("%s: %s %s: body %q contains %q", s.name, s.method, s.path, got, s.absent)
	}
	for k, v := range s.headers {
		if g := rec.Header().Get(k); g != v {
			t.Errorf("%s: %s %s: %s: %q, want %q", s.name, s.method, s.path, k, g, v)
		}
	}
}
