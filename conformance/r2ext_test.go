package conformance_test

// TestR2Ext holds the C, Zig and AssemblyScript SDKs to the rest of R2
// (head, list, onlyIf, ranges, checksums, metadata, delete of many keys,
// multipart uploads): their conformance Workers serve these /r2x routes
// besides the shared contract, and each step below runs against a real
// host.Worker with a real bucket. (The Go SDK's R2 is tested through
// examples/r2-files and Rust's in rust_test.go; they do not serve /r2x.)
//
// Bindings as in the conformance suite (R2 "FILES"). Errors answer with the
// status of their kind (400 invalid argument, bad digest or invalid part;
// 404 missing object or upload; 412 precondition failed; 416 invalid range;
// 413 too large; else 500) and the host's message.
//
//	PUT    /r2x/obj/<key>           stores the body (streamed in the host) with httpMetadata
//	                                {contentType: the request's Content-Type, cacheControl: "max-age=60"},
//	                                customMetadata {a: "1", b: "two"}; x-md5: <hex> sets checksums.md5;
//	                                x-if-match: <etag> sets onlyIf.etagMatches. 201 "<etag>"
//	GET    /r2x/head/<key>          200 "size=N etag=E ct=CT cc=CC meta=k:v,k:v" ("-" for unset), or 404
//	GET    /r2x/get/<key>           the body (spliced), Content-Type from httpMetadata;
//	                                x-if-none-match: <etag> sets onlyIf.etagDoesNotMatch (304 with
//	                                x-etag when it fails); x-range: <offset>,<length> or x-suffix: <n>
//	                                set the range (x-range answers the object's range)
//	GET    /r2x/list                x-prefix, x-delimiter, x-cursor, x-start-after, x-limit, x-include
//	                                (any value: httpMetadata and customMetadata) → 200 lines
//	                                "o <key> <size> ct=<ct|-> meta=<pairs>", "p <prefix>",
//	                                then "truncated=<bool> cursor=<cursor|->"
//	POST   /r2x/delete              deletes the body's keys (one a line) in one call: 204
//	POST   /r2x/mpu/<key>           creates an upload (httpMetadata contentType application/x-mpu,
//	                                customMetadata {mp: "yes"}): 200 "<uploadId>"
//	PUT    /r2x/mpu/<key>           resumes x-upload-id and uploads the body as part x-part: streamed,
//	                                from bytes in the Worker's memory with x-bytes: 1, or through a
//	                                part writer with x-writer: 1. 200 "<n> <etag>"
//	POST   /r2x/mpu-complete/<key>  resumes x-upload-id and completes it with the body's parts
//	                                ("<n> <etag>" a line): 200 "<etag> <size>"
//	DELETE /r2x/mpu/<key>           resumes x-upload-id and aborts it: 204
//	PUT    /r2x/writer/<key>        stores the body through a put writer, at most 1000 bytes a write
//	                                (httpMetadata contentType text/x-writer): 201 "<etag>"

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/host"
)

// r2extLanguages are the SDKs whose conformance Workers serve /r2x.
var r2extLanguages = []language{
	{name: "c", build: buildC},
	{name: "zig", build: buildZig},
	{name: "assemblyscript", build: buildAssemblyScript},
}

// r2partSize is the first part of the multipart upload: R2's (and the
// host's, bindings/r2 Limits.MinPartBytes) minimum for every part but the
// last.
const r2partSize = 5 << 20

func TestR2Ext(t *testing.T) {
	for _, lang := range r2extLanguages {
		t.Run(lang.name, func(t *testing.T) {
			wasm := buildOrSkip(t, lang.name, func() (string, error) { return lang.build(t, t.TempDir()) })
			w, _ := newWorker(t, "r2ext-"+lang.name, wasm)
			runR2Ext(t, w)
		})
	}
}

// r2x is one request of the /r2x table.
type r2x struct {
	name, method, path string
	header             map[string]string
	body               []byte
	status             int
	// want is the whole body, contains a substring ("" = not checked);
	// check, when set, looks at the response and may note what later steps need.
	want, contains string
	wantHeader     [2]string
	check          func(t *testing.T, body string)
}

// r2xState is what steps learn from earlier answers.
type r2xState struct {
	etag, etag2, uploadID, goneID string
	parts                         []string // "<n> <etag>"
	cursor                        string
	listed                        []string
}

func runR2Ext(t *testing.T, w *host.Worker) {
	rng := rand.New(rand.NewPCG(5, 5))
	part1, part2, written := random(rng, r2partSize), random(rng, 1000+7), random(rng, 2500)
	sum := func(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }
	text, text2 := []byte("hello, r2x"), []byte("hello, r2x!!")
	var st r2xState
	h := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	// Steps are built lazily: later ones use what earlier ones learned.
	steps := []func() r2x{
		// put with metadata, head, and onlyIf on put.
		func() r2x {
			return r2x{name: "put with metadata", method: "PUT", path: "/r2x/obj/docs/a.txt", header: h("Content-Type", "text/plain"), body: text,
				status: 201, want: sum(text), check: func(t *testing.T, b string) { st.etag = b }}
		},
		func() r2x {
			return r2x{name: "head", method: "GET", path: "/r2x/head/docs/a.txt", status: 200,
				want: "size=10 etag=" + sum(text) + " ct=text/plain cc=max-age=60 meta=a:1,b:two"}
		},
		func() r2x { return r2x{name: "head missing", method: "GET", path: "/r2x/head/docs/none", status: 404} },
		func() r2x {
			return r2x{name: "put onlyIf fails", method: "PUT", path: "/r2x/obj/docs/a.txt", header: h("x-if-match", strings.Repeat("0", 32)), body: text2, status: 412}
		},
		func() r2x {
			return r2x{name: "unchanged after 412", method: "GET", path: "/r2x/head/docs/a.txt", status: 200, contains: "size=10 etag=" + sum(text)}
		},
		func() r2x {
			return r2x{name: "put onlyIf holds", method: "PUT", path: "/r2x/obj/docs/a.txt", header: h("x-if-match", st.etag, "Content-Type", "text/plain"), body: text2,
				status: 201, want: sum(text2), check: func(t *testing.T, b string) { st.etag2 = b }}
		},
		// checksums
		func() r2x {
			return r2x{name: "put bad md5", method: "PUT", path: "/r2x/obj/docs/b.txt", header: h("x-md5", sum([]byte("other"))), body: text, status: 400, contains: "bad digest"}
		},
		func() r2x {
			return r2x{name: "not stored after bad md5", method: "GET", path: "/r2x/head/docs/b.txt", status: 404}
		},
		func() r2x {
			return r2x{name: "put good md5", method: "PUT", path: "/r2x/obj/docs/b.txt", header: h("x-md5", sum(text)), body: text, status: 201, want: sum(text)}
		},
		// a put written piece by piece
		func() r2x {
			return r2x{name: "put through a writer", method: "PUT", path: "/r2x/writer/w.bin", body: written, status: 201, want: sum(written)}
		},
		func() r2x {
			return r2x{name: "written object", method: "GET", path: "/r2x/head/w.bin", status: 200, want: fmt.Sprintf("size=%d etag=%s ct=text/x-writer cc=- meta=", len(written), sum(written))}
		},
		// onlyIf on get, ranges
		func() r2x {
			return r2x{name: "get onlyIf fails", method: "GET", path: "/r2x/get/docs/a.txt", header: h("x-if-none-match", st.etag2), status: 304, wantHeader: [2]string{"x-etag", st.etag2}}
		},
		func() r2x {
			return r2x{name: "get onlyIf holds", method: "GET", path: "/r2x/get/docs/a.txt", header: h("x-if-none-match", st.etag), status: 200, want: string(text2), wantHeader: [2]string{"Content-Type", "text/plain"}}
		},
		func() r2x {
			return r2x{name: "range", method: "GET", path: "/r2x/get/docs/a.txt", header: h("x-range", "7,3"), status: 200, want: "r2x", wantHeader: [2]string{"x-range", "7,3"}}
		},
		func() r2x {
			return r2x{name: "suffix range", method: "GET", path: "/r2x/get/docs/a.txt", header: h("x-suffix", "2"), status: 200, want: "!!"}
		},
		func() r2x {
			return r2x{name: "range past the end", method: "GET", path: "/r2x/get/docs/a.txt", header: h("x-range", "100,1"), status: 416}
		},
		// list: delimiter, include, paging by cursor, startAfter
		func() r2x {
			return r2x{name: "list setup a", method: "PUT", path: "/r2x/obj/list/a", body: []byte("a"), status: 201}
		},
		func() r2x {
			return r2x{name: "list setup b", method: "PUT", path: "/r2x/obj/list/b", body: []byte("bb"), status: 201}
		},
		func() r2x {
			return r2x{name: "list setup c", method: "PUT", path: "/r2x/obj/list/c", body: []byte("ccc"), status: 201}
		},
		func() r2x {
			return r2x{name: "list setup d/1", method: "PUT", path: "/r2x/obj/list/d/1", header: h("Content-Type", "text/x-d"), body: []byte("d1"), status: 201}
		},
		func() r2x {
			return r2x{name: "list setup d/2", method: "PUT", path: "/r2x/obj/list/d/2", body: []byte("d2"), status: 201}
		},
		func() r2x {
			return r2x{name: "list setup e/1", method: "PUT", path: "/r2x/obj/list/e/1", body: []byte("e1"), status: 201}
		},
		func() r2x {
			return r2x{name: "list with delimiter", method: "GET", path: "/r2x/list", header: h("x-prefix", "list/", "x-delimiter", "/"), status: 200,
				want: "o list/a 1 ct=- meta=0\no list/b 2 ct=- meta=0\no list/c 3 ct=- meta=0\np list/d/\np list/e/\ntruncated=false cursor=-\n"}
		},
		func() r2x {
			return r2x{name: "list include", method: "GET", path: "/r2x/list", header: h("x-prefix", "list/d/", "x-include", "1"), status: 200,
				want: "o list/d/1 2 ct=text/x-d meta=2\no list/d/2 2 ct=- meta=2\ntruncated=false cursor=-\n"}
		},
		func() r2x {
			return r2x{name: "list page 1", method: "GET", path: "/r2x/list", header: h("x-prefix", "list/", "x-limit", "4"), status: 200, check: st.page}
		},
		func() r2x {
			return r2x{name: "list page 2", method: "GET", path: "/r2x/list", header: h("x-prefix", "list/", "x-limit", "4", "x-cursor", st.cursor), status: 200, check: func(t *testing.T, b string) {
				st.page(t, b)
				want := []string{"list/a", "list/b", "list/c", "list/d/1", "list/d/2", "list/e/1"}
				if fmt.Sprint(st.listed) != fmt.Sprint(want) || st.cursor != "" {
					t.Errorf("two pages of 4 listed %q (then cursor %q), want %q and no cursor", st.listed, st.cursor, want)
				}
			}}
		},
		func() r2x {
			return r2x{name: "list startAfter", method: "GET", path: "/r2x/list", header: h("x-prefix", "list/", "x-start-after", "list/c", "x-limit", "2"), status: 200,
				contains: "o list/d/1 2 ct=- meta=0\no list/d/2 2 ct=- meta=0\ntruncated=true cursor="}
		},
		func() r2x {
			return r2x{name: "list limit 0 is the default", method: "GET", path: "/r2x/list", header: h("x-prefix", "list/e"), status: 200, want: "o list/e/1 2 ct=- meta=0\ntruncated=false cursor=-\n"}
		},
		// delete many
		func() r2x {
			return r2x{name: "delete many", method: "POST", path: "/r2x/delete", body: []byte("list/a\nlist/b\nlist/d/1\nlist/never"), status: 204}
		},
		func() r2x {
			return r2x{name: "after delete many", method: "GET", path: "/r2x/list", header: h("x-prefix", "list/"), status: 200,
				want: "o list/c 3 ct=- meta=0\no list/d/2 2 ct=- meta=0\no list/e/1 2 ct=- meta=0\ntruncated=false cursor=-\n"}
		},
		// multipart: create, a streamed part of 5 MiB and a part from bytes, a bad complete, complete, read back
		func() r2x {
			return r2x{name: "multipart create", method: "POST", path: "/r2x/mpu/big.bin", status: 200, check: func(t *testing.T, b string) {
				if b == "" {
					t.Error("no upload id")
				}
				st.uploadID = b
			}}
		},
		func() r2x {
			return r2x{name: "part 1 streamed", method: "PUT", path: "/r2x/mpu/big.bin", header: h("x-upload-id", st.uploadID, "x-part", "1"), body: part1,
				status: 200, want: "1 " + sum(part1), check: func(t *testing.T, b string) { st.parts = append(st.parts, b) }}
		},
		func() r2x {
			return r2x{name: "part 2 from bytes", method: "PUT", path: "/r2x/mpu/big.bin", header: h("x-upload-id", st.uploadID, "x-part", "2", "x-bytes", "1"), body: part2,
				status: 200, want: "2 " + sum(part2), check: func(t *testing.T, b string) { st.parts = append(st.parts, b) }}
		},
		func() r2x {
			return r2x{name: "complete with a wrong etag", method: "POST", path: "/r2x/mpu-complete/big.bin", header: h("x-upload-id", st.uploadID),
				body: []byte(st.parts[0] + "\n2 " + strings.Repeat("f", 32)), status: 400, contains: "part 2"}
		},
		func() r2x {
			return r2x{name: "complete", method: "POST", path: "/r2x/mpu-complete/big.bin", header: h("x-upload-id", st.uploadID),
				body: []byte(strings.Join(st.parts, "\n")), status: 200, want: multipartETag(part1, part2) + fmt.Sprintf(" %d", len(part1)+len(part2))}
		},
		func() r2x {
			return r2x{name: "multipart object", method: "GET", path: "/r2x/get/big.bin", status: 200, want: string(part1) + string(part2),
				wantHeader: [2]string{"Content-Type", "application/x-mpu"}}
		},
		func() r2x {
			return r2x{name: "multipart metadata", method: "GET", path: "/r2x/head/big.bin", status: 200,
				want: fmt.Sprintf("size=%d etag=%s ct=application/x-mpu cc=- meta=mp:yes", len(part1)+len(part2), multipartETag(part1, part2))}
		},
		func() r2x {
			return r2x{name: "completed upload is gone", method: "PUT", path: "/r2x/mpu/big.bin", header: h("x-upload-id", st.uploadID, "x-part", "3", "x-bytes", "1"), body: []byte("x"), status: 404}
		},
		// abort
		func() r2x {
			return r2x{name: "abort create", method: "POST", path: "/r2x/mpu/gone.bin", status: 200, check: func(t *testing.T, b string) { st.goneID = b }}
		},
		func() r2x {
			return r2x{name: "part from a part writer", method: "PUT", path: "/r2x/mpu/gone.bin", header: h("x-upload-id", st.goneID, "x-part", "1", "x-writer", "1"), body: []byte("part"), status: 200, want: "1 " + sum([]byte("part"))}
		},
		func() r2x {
			return r2x{name: "abort", method: "DELETE", path: "/r2x/mpu/gone.bin", header: h("x-upload-id", st.goneID), status: 204}
		},
		func() r2x {
			return r2x{name: "part after abort", method: "PUT", path: "/r2x/mpu/gone.bin", header: h("x-upload-id", st.goneID, "x-part", "2"), body: []byte("late"), status: 404, contains: "upload"}
		},
		func() r2x {
			return r2x{name: "complete after abort", method: "POST", path: "/r2x/mpu-complete/gone.bin", header: h("x-upload-id", st.goneID), body: []byte("1 " + sum([]byte("part"))), status: 404}
		},
		func() r2x {
			return r2x{name: "aborted object absent", method: "GET", path: "/r2x/head/gone.bin", status: 404}
		},
		func() r2x {
			return r2x{name: "resume unknown upload", method: "DELETE", path: "/r2x/mpu/gone.bin", header: h("x-upload-id", "no-such-id"), status: 404}
		},
	}
	for _, mk := range steps {
		s := mk()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(s.method, s.path, bytes.NewReader(s.body))
		for k, v := range s.header {
			req.Header.Set(k, v)
		}
		w.ServeHTTP(rec, req)
		got := rec.Body.String()
		if rec.Code != s.status {
			t.Errorf("%s: %s %s: status %d, want %d (body %s)", s.name, s.method, s.path, rec.Code, s.status, show(rec.Body.Bytes()))
			if s.check != nil {
				t.Fatalf("%s: later steps need this answer", s.name)
			}
			continue
		}
		switch {
		case s.want != "" && got != s.want:
			t.Errorf("%s: %s %s: body %s, want %s", s.name, s.method, s.path, show(rec.Body.Bytes()), show([]byte(s.want)))
		case s.contains != "" && !strings.Contains(got, s.contains):
			t.Errorf("%s: %s %s: body %s does not contain %q", s.name, s.method, s.path, show(rec.Body.Bytes()), s.contains)
		}
		if k := s.wantHeader[0]; k != "" && rec.Header().Get(k) != s.wantHeader[1] {
			t.Errorf("%s: %s %s: header %s = %q, want %q", s.name, s.method, s.path, k, rec.Header().Values(k), s.wantHeader[1])
		}
		if s.check != nil {
			s.check(t, got)
		}
	}
}

// page notes the keys and the cursor of a list answer.
func (st *r2xState) page(t *testing.T, body string) {
	st.cursor = ""
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	for _, l := range lines[:len(lines)-1] {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "o" {
			st.listed = append(st.listed, f[1])
		}
	}
	last := lines[len(lines)-1]
	truncated, cursor, ok := strings.Cut(last, " cursor=")
	if !ok {
		t.Fatalf("no cursor line in %q", body)
	}
	if truncated == "truncated=true" {
		if cursor == "-" {
			t.Fatalf("truncated without a cursor: %q", body)
		}
		st.cursor = cursor
	}
}

// multipartETag is S3's etag of a multipart object: the md5 of the parts'
// md5s, "-", the part count.
func multipartETag(parts ...[]byte) string {
	var all []byte
	for _, p := range parts {
		s := md5.Sum(p)
		all = append(all, s[:]...)
	}
	s := md5.Sum(all)
	return fmt.Sprintf("%x-%d", s, len(parts))
}
