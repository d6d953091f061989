package conformance_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestR2ExtJSRust drives the rest of the R2 API — onlyIf on get and put,
// ranges, checksums, multipart (streamed and spliced parts, complete,
// abort), list with a delimiter and cursor paging, head, delete of many
// keys, and HTTP and custom metadata round trips — through the JavaScript
// and Rust conformance Workers (the /r2x routes of conformance/js/worker.js
// and conformance/rust/src/lib.rs), both held to the same table.
//
// The routes:
//
//	PUT    /r2x/obj/K      put the body; Content-Type, Cache-Control, Expires are
//	                       stored, X-Owner as customMetadata owner, X-Md5 and
//	                       X-Sha256 (hex) as checksums, If-Match and If-None-Match
//	                       as onlyIf: 201 {"etag","size"}, 412 when onlyIf failed
//	GET    /r2x/obj/K      get with onlyIf and range from the request's headers:
//	                       200 (or 206 with Content-Range) and the stored HTTP
//	                       headers, 412 when the object came without a body
//	GET    /r2x/head/K     head as JSON
//	GET    /r2x/list       ?prefix&delimiter&limit&cursor: {"keys","prefixes","truncated","cursor"}
//	POST   /r2x/delete     delete the keys in the body, one a line
//	POST   /r2x/mpu/K?action=create                  the new upload's id
//	PUT    /r2x/mpu/K?action=part&uploadId&part[&via=writer]  {"partNumber","etag"}
//	POST   /r2x/mpu/K?action=complete&uploadId       body "1:etag,2:etag": {"etag","size"}
//	DELETE /r2x/mpu/K?uploadId                       abort
//
// A binding error answers 400 (bad digest, bad part), 404 (no such upload)
// or 416 (bad range).
func TestR2ExtJSRust(t *testing.T) {
	langs := []struct {
		name  string
		build func(t *testing.T, dir string) (string, error)
	}{
		{"js", buildJS},
		{"rust", buildRust},
	}
	for _, lang := range langs {
		t.Run(lang.name, func(t *testing.T) {
			wasm := buildOrSkip(t, lang.name, func() (string, error) { return lang.build(t, t.TempDir()) })
			w, st := newWorker(t, "r2ext-"+lang.name, wasm)
			rng := rand.New(rand.NewPCG(uint64(len(lang.name)), 7))
			data := r2xData{
				doc:   random(rng, 1000),
				part1: random(rng, 5<<20), // R2's minimum for every part but the last (bindings/r2 Limits.MinPartBytes)
				part2: random(rng, 1234),
			}
			vals := map[string]string{}
			for _, s := range r2xTable(data) {
				r2xRun(t, w, s, vals)
			}
			// The completed multipart object is really in the bucket.
			b, err := st.R2().Bucket(context.Background(), "files")
			if err != nil {
				t.Fatal(err)
			}
			if obj, err := b.Head(context.Background(), "big.bin"); err != nil || obj.Size != int64(len(data.part1)+len(data.part2)) || !strings.HasSuffix(obj.ETag, "-2") {
				t.Errorf("state: big.bin = %+v, %v", obj, err)
			}
		})
	}
}

// r2xData is the bytes a run stores: random, so a Worker cannot pass by
// answering constants.
type r2xData struct{ doc, part1, part2 []byte }

// r2xStep is one request to the Worker and what it must answer. Path,
// header values and tmpl may name values earlier steps saved, as {name}.
type r2xStep struct {
	name         string
	method, path string
	header       map[string]string
	body         []byte
	tmpl         string // the body, after substitution (when body is nil)
	status       int
	want         []byte            // exactly these bytes, when not nil
	contains     string            // a substring of the body, any case
	wantHeader   map[string]string // response headers
	// check looks at the JSON body; it may save values for later steps.
	check func(t *testing.T, body []byte, vals map[string]string)
	// custom, when set, replaces the request: it makes its own.
	custom func(t *testing.T, w http.Handler)
}

const expires = "Wed, 21 Oct 2037 07:28:00 GMT"

func r2xTable(d r2xData) []r2xStep {
	md5hex := func(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }
	sha256hex := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	doc, docMD5 := d.doc, md5hex(d.doc)
	big := slices.Concat(d.part1, d.part2)
	obj := "/r2x/obj/doc.bin"
	return []r2xStep{
		{name: "put with metadata and md5", method: "PUT", path: obj, body: doc, status: 201,
			header: map[string]string{"Content-Type": "text/x-doc", "Cache-Control": "max-age=60", "Expires": expires, "X-Owner": "ann", "X-Md5": docMD5},
			check:  wantJSON(map[string]any{"etag": docMD5, "size": 1000.0})},
		{name: "head", method: "GET", path: "/r2x/head/doc.bin", status: 200, check: func(t *testing.T, body []byte, _ map[string]string) {
			wantJSON(map[string]any{
				"key": "doc.bin", "size": 1000.0, "etag": docMD5, "httpEtag": `"` + docMD5 + `"`, "md5": docMD5,
				"contentType": "text/x-doc", "cacheControl": "max-age=60", "customMetadata": map[string]any{"owner": "ann"},
			})(t, body, nil)
			var h struct{ Uploaded int64 }
			json.Unmarshal(body, &h)
			if d := time.Since(time.UnixMilli(h.Uploaded)); d < -time.Minute || d > 10*time.Minute {
				t.Errorf("uploaded %d is %v from now", h.Uploaded, d)
			}
		}},
		{name: "get with stored headers", method: "GET", path: obj, status: 200, want: doc,
			wantHeader: map[string]string{"Content-Type": "text/x-doc", "Cache-Control": "max-age=60", "Expires": expires, "Etag": `"` + docMD5 + `"`}},
		{name: "get onlyIf If-Match fails", method: "GET", path: obj, header: map[string]string{"If-Match": `"0123"`}, status: 412, want: []byte{},
			wantHeader: map[string]string{"Etag": `"` + docMD5 + `"`, "Content-Type": "text/x-doc"}},
		{name: "get onlyIf If-Match holds", method: "GET", path: obj, header: map[string]string{"If-Match": `"` + docMD5 + `"`}, status: 200, want: doc},
		{name: "get onlyIf If-None-Match fails", method: "GET", path: obj, header: map[string]string{"If-None-Match": `"` + docMD5 + `"`}, status: 412, want: []byte{}},
		{name: "get onlyIf If-Unmodified-Since fails", method: "GET", path: obj, header: map[string]string{"If-Unmodified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"}, status: 412},
		{name: "get onlyIf If-Modified-Since holds", method: "GET", path: obj, header: map[string]string{"If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"}, status: 200, want: doc},
		{name: "range", method: "GET", path: obj, header: map[string]string{"Range": "bytes=2-5"}, status: 206, want: doc[2:6],
			wantHeader: map[string]string{"Content-Range": "bytes 2-5/1000"}},
		{name: "range suffix", method: "GET", path: obj, header: map[string]string{"Range": "bytes=-3"}, status: 206, want: doc[997:],
			wantHeader: map[string]string{"Content-Range": "bytes 997-999/1000"}},
		{name: "range open end", method: "GET", path: obj, header: map[string]string{"Range": "bytes=990-"}, status: 206, want: doc[990:],
			wantHeader: map[string]string{"Content-Range": "bytes 990-999/1000"}},
		{name: "range past the end", method: "GET", path: obj, header: map[string]string{"Range": "bytes=5000-"}, status: 416},
		{name: "put onlyIf If-Match fails", method: "PUT", path: obj, header: map[string]string{"If-Match": `"0123"`}, body: []byte("other"), status: 412},
		{name: "put onlyIf If-None-Match * fails", method: "PUT", path: obj, header: map[string]string{"If-None-Match": "*"}, body: []byte("other"), status: 412},
		{name: "unchanged after failed puts", method: "GET", path: obj, status: 200, want: doc},
		{name: "put onlyIf If-None-Match * on a new key", method: "PUT", path: "/r2x/obj/new.bin", header: map[string]string{"If-None-Match": "*"}, body: []byte("new"), status: 201},
		{name: "sha256 mismatch", method: "PUT", path: "/r2x/obj/bad.bin", header: map[string]string{"X-Sha256": sha256hex([]byte("not it"))}, body: doc, status: 400, contains: "digest"},
		{name: "md5 mismatch", method: "PUT", path: "/r2x/obj/bad.bin", header: map[string]string{"X-Md5": md5hex([]byte("not it"))}, body: doc, status: 400, contains: "digest"},
		{name: "mismatch stored nothing", method: "GET", path: "/r2x/head/bad.bin", status: 404},
		{name: "md5 and sha256 match", method: "PUT", path: "/r2x/obj/good.bin", header: map[string]string{"X-Md5": docMD5, "X-Sha256": sha256hex(doc)}, body: doc, status: 201,
			check: wantJSON(map[string]any{"etag": docMD5})},

		// Multipart: a 5 MiB part through the Worker (part-writer), a
		// short last part moved inside the host, complete, read back.
		{name: "multipart create", method: "POST", path: "/r2x/mpu/big.bin?action=create", header: map[string]string{"Content-Type": "application/x-big", "X-Owner": "bob"}, status: 200,
			check: save("upload")},
		{name: "multipart part 1 (writer)", method: "PUT", path: "/r2x/mpu/big.bin?action=part&part=1&via=writer&uploadId={upload}", body: d.part1, status: 200,
			check: partJSON(1, md5hex(d.part1), "etag1")},
		{name: "multipart part 2 (splice)", method: "PUT", path: "/r2x/mpu/big.bin?action=part&part=2&uploadId={upload}", body: d.part2, status: 200,
			check: partJSON(2, md5hex(d.part2), "etag2")},
		{name: "multipart complete", method: "POST", path: "/r2x/mpu/big.bin?action=complete&uploadId={upload}", tmpl: "1:{etag1},2:{etag2}", status: 200,
			check: func(t *testing.T, body []byte, _ map[string]string) {
				var o struct {
					Etag string
					Size int
				}
				if err := json.Unmarshal(body, &o); err != nil || o.Size != len(big) || !strings.HasSuffix(o.Etag, "-2") {
					t.Errorf("complete = %s (%v), want size %d and an etag ending in -2", body, err, len(big))
				}
			}},
		{name: "multipart read back", method: "GET", path: "/r2x/obj/big.bin", status: 200, want: big, wantHeader: map[string]string{"Content-Type": "application/x-big"}},
		{name: "multipart metadata", method: "GET", path: "/r2x/head/big.bin", status: 200,
			check: wantJSON(map[string]any{"size": float64(len(big)), "contentType": "application/x-big", "customMetadata": map[string]any{"owner": "bob"}})},
		{name: "part after complete", method: "PUT", path: "/r2x/mpu/big.bin?action=part&part=3&uploadId={upload}", body: []byte("late"), status: 404},

		{name: "abort: create", method: "POST", path: "/r2x/mpu/gone.bin?action=create", status: 200, check: save("upload2")},
		{name: "abort: part", method: "PUT", path: "/r2x/mpu/gone.bin?action=part&part=1&uploadId={upload2}", body: []byte("part"), status: 200},
		{name: "abort", method: "DELETE", path: "/r2x/mpu/gone.bin?uploadId={upload2}", status: 204},
		{name: "part after abort", method: "PUT", path: "/r2x/mpu/gone.bin?action=part&part=2&uploadId={upload2}", body: []byte("late"), status: 404},
		{name: "complete after abort", method: "POST", path: "/r2x/mpu/gone.bin?action=complete&uploadId={upload2}", tmpl: "1:00", status: 404},
		{name: "aborted object absent", method: "GET", path: "/r2x/head/gone.bin", status: 404},

		{name: "small first part: create", method: "POST", path: "/r2x/mpu/small.bin?action=create", status: 200, check: save("upload3")},
		{name: "small first part: part 1", method: "PUT", path: "/r2x/mpu/small.bin?action=part&part=1&uploadId={upload3}", body: []byte("tiny"), status: 200, check: partJSON(1, md5hex([]byte("tiny")), "s1")},
		{name: "small first part: part 2", method: "PUT", path: "/r2x/mpu/small.bin?action=part&part=2&uploadId={upload3}", body: []byte("last"), status: 200, check: partJSON(2, md5hex([]byte("last")), "s2")},
		{name: "small first part: complete fails", method: "POST", path: "/r2x/mpu/small.bin?action=complete&uploadId={upload3}", tmpl: "1:{s1},2:{s2}", status: 400},

		// List with a delimiter, two keys a page; then delete many.
		{name: "list: put l/a", method: "PUT", path: "/r2x/obj/l/a", body: []byte("a"), status: 201},
		{name: "list: put l/b", method: "PUT", path: "/r2x/obj/l/b", body: []byte("b"), status: 201},
		{name: "list: put l/c", method: "PUT", path: "/r2x/obj/l/c", body: []byte("c"), status: 201},
		{name: "list: put l/d/x", method: "PUT", path: "/r2x/obj/l/d/x", body: []byte("x"), status: 201},
		{name: "list: put l/d/y", method: "PUT", path: "/r2x/obj/l/d/y", body: []byte("y"), status: 201},
		{name: "list with delimiter, paged", custom: func(t *testing.T, w http.Handler) {
			keys, prefixes, pages := r2xListAll(t, w, url.Values{"prefix": {"l/"}, "delimiter": {"/"}, "limit": {"2"}})
			if want := []string{"l/a", "l/b", "l/c"}; !slices.Equal(keys, want) {
				t.Errorf("keys %q, want %q", keys, want)
			}
			if want := []string{"l/d/"}; !slices.Equal(prefixes, want) {
				t.Errorf("delimited prefixes %q, want %q", prefixes, want)
			}
			if pages < 2 {
				t.Errorf("%d pages of at most 2, want at least 2", pages)
			}
		}},
		{name: "delete many", method: "POST", path: "/r2x/delete", body: []byte("l/a\nl/d/x\nnever\n"), status: 204},
		{name: "list after delete", custom: func(t *testing.T, w http.Handler) {
			keys, prefixes, pages := r2xListAll(t, w, url.Values{"prefix": {"l/"}})
			if want := []string{"l/b", "l/c", "l/d/y"}; !slices.Equal(keys, want) || len(prefixes) != 0 || pages != 1 {
				t.Errorf("keys %q, prefixes %q in %d pages, want %q in 1 page", keys, prefixes, pages, want)
			}
		}},
		{name: "head missing", method: "GET", path: "/r2x/head/l/a", status: 404},
	}
}

// r2xRun makes one step's request and checks the answer.
func r2xRun(t *testing.T, w http.Handler, s r2xStep, vals map[string]string) {
	t.Helper()
	if s.custom != nil {
		t.Run(s.name, func(t *testing.T) { s.custom(t, w) })
		return
	}
	sub := func(v string) string {
		for k, x := range vals {
			v = strings.ReplaceAll(v, "{"+k+"}", x)
		}
		return v
	}
	body := s.body
	if body == nil && s.tmpl != "" {
		body = []byte(sub(s.tmpl))
	}
	req := httptest.NewRequest(s.method, sub(s.path), bytes.NewReader(body))
	for k, v := range s.header {
		req.Header.Set(k, sub(v))
	}
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, req)
	got := rec.Body.Bytes()
	if rec.Code != s.status {
		t.Errorf("%s: %s %s: status %d, want %d (body %s)", s.name, s.method, req.URL, rec.Code, s.status, show(got))
		return
	}
	switch {
	case s.want != nil && !bytes.Equal(got, s.want):
		t.Errorf("%s: body %s, want %s", s.name, show(got), show(s.want))
	case s.contains != "" && !strings.Contains(strings.ToLower(string(got)), strings.ToLower(s.contains)):
		t.Errorf("%s: body %s does not contain %q", s.name, show(got), s.contains)
	}
	for k, v := range s.wantHeader {
		if h := rec.Header().Get(k); h != v {
			t.Errorf("%s: header %s = %q, want %q", s.name, k, h, v)
		}
	}
	if s.check != nil {
		s.check(t, got, vals)
	}
}

// wantJSON checks that the body is a JSON object with (at least) these fields.
func wantJSON(want map[string]any) func(*testing.T, []byte, map[string]string) {
	return func(t *testing.T, body []byte, _ map[string]string) {
		t.Helper()
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("body %s is not a JSON object: %v", show(body), err)
			return
		}
		for k, v := range want {
			if !reflect.DeepEqual(got[k], v) {
				t.Errorf("%s = %#v, want %#v (body %s)", k, got[k], v, body)
			}
		}
	}
}

// save keeps the body (text) as {name}.
func save(name string) func(*testing.T, []byte, map[string]string) {
	return func(t *testing.T, body []byte, vals map[string]string) {
		if len(body) == 0 {
			t.Errorf("empty body, want the value of %s", name)
		}
		vals[name] = string(body)
	}
}

// partJSON checks an uploaded part's number and etag and keeps the etag as {name}.
func partJSON(n int, etag, name string) func(*testing.T, []byte, map[string]string) {
	return func(t *testing.T, body []byte, vals map[string]string) {
		t.Helper()
		var p struct {
			PartNumber int
			Etag       string
		}
		if err := json.Unmarshal(body, &p); err != nil || p.PartNumber != n || strings.Trim(p.Etag, `"`) != etag {
			t.Errorf("part = %s (%v), want number %d etag %s", body, err, n, etag)
		}
		vals[name] = p.Etag
	}
}

// r2xListAll pages through GET /r2x/list with q until a page is not
// truncated, and returns the keys and prefixes of all pages in order.
func r2xListAll(t *testing.T, w http.Handler, q url.Values) (keys, prefixes []string, pages int) {
	t.Helper()
	for cursor := ""; pages < 20; {
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("GET", "/r2x/list?"+q.Encode(), nil))
		pages++
		var page struct {
			Keys, Prefixes []string
			Truncated      bool
			Cursor         string
		}
		if rec.Code != 200 {
			t.Fatalf("list %s: status %d (%s)", q.Encode(), rec.Code, rec.Body)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Fatalf("list %s: %s: %v", q.Encode(), rec.Body, err)
		}
		keys, prefixes = append(keys, page.Keys...), append(prefixes, page.Prefixes...)
		if !page.Truncated {
			return keys, prefixes, pages
		}
		if page.Cursor == "" || page.Cursor == cursor {
			t.Fatalf("list %s: truncated with cursor %q", q.Encode(), page.Cursor)
		}
		cursor = page.Cursor
	}
	t.Fatalf("list %s: still truncated after %d pages", q.Encode(), pages)
	return nil, nil, pages
}
