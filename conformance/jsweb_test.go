package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/durablehost"
	"github.com/bindery-run/bindery/host/queuehost"
	"github.com/bindery-run/bindery/internal/jsbuild/jstest"
	"github.com/bindery-run/bindery/internal/testutil"
)

// The Web APIs real Cloudflare Workers rely on, each through a JavaScript
// Worker built with guest-sdk/js and served by host.Worker:
// conformance/jsweb/worker.js (module syntax) and conformance/jsweb/sw.js
// (service-worker syntax), with KV STORE, R2 FILES, GREETING and the
// secret API_TOKEN. docs/sdk-js.md ("Web APIs") says what each supports.
//
//	go test -v -run 'TestJSWeb|TestJSServiceWorker|TestJSBuildWithoutFetch|TestJSVendoredURLPattern' ./conformance/

// webStep is one request to a Web API Worker and what it must answer.
type webStep struct {
	name         string
	method, path string
	body         []byte
	header       map[string]string
	status       int
	want         []byte // the exact body (nil: not checked)
	contains     string // a substring of the body
	// checks, when set, says the body is a JSON object of check name →
	// "" (held) or what happened instead, with at least this many checks.
	checks int
	// check, when set, checks the response further.
	check func(t *testing.T, rec *httptest.ResponseRecorder)
	// logged is in the step's one log record (warning or above); unset, it
	// must log nothing at warning or above.
	logged []string
}

// runWeb runs steps against w, each held to its status, body and log; no
// step may cost the instance.
func runWeb(t *testing.T, w *host.Worker, logs *testutil.SyncBuffer, steps []webStep) {
	t.Helper()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			logs.Reset()
			discarded := w.Stats().Discarded
			req := httptest.NewRequest(s.method, s.path, bytes.NewReader(s.body))
			for k, v := range s.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			w.ServeHTTP(rec, req)
			got := rec.Body.Bytes()
			checkLogs(t, step{name: s.name, method: s.method, path: s.path, logged: s.logged}, logs.String())
			if d := w.Stats().Discarded - discarded; d != 0 {
				t.Errorf("%s %s: the instance was discarded (a trap)", s.method, s.path)
			}
			if rec.Code != s.status {
				t.Fatalf("%s %s: status %d, want %d (body %s)", s.method, s.path, rec.Code, s.status, show(got))
			}
			if s.want != nil && !bytes.Equal(got, s.want) {
				t.Errorf("%s %s: body %s, want %s", s.method, s.path, show(got), show(s.want))
			}
			if s.contains != "" && !strings.Contains(string(got), s.contains) {
				t.Errorf("%s %s: body %s does not contain %q", s.method, s.path, show(got), s.contains)
			}
			if s.checks > 0 {
				holdChecks(t, got, s.checks)
			}
			if s.check != nil {
				s.check(t, rec)
			}
		})
	}
}

// holdChecks holds a JSON object of check name → "" to every check, and
// to at least min of them (so a route that answers {} does not pass).
func holdChecks(t *testing.T, body []byte, min int) {
	t.Helper()
	var checks map[string]string
	if err := json.Unmarshal(body, &checks); err != nil {
		t.Fatalf("checks: %v in %s", err, show(body))
	}
	if len(checks) < min {
		t.Errorf("%d checks, want at least %d: %v", len(checks), min, checks)
	}
	for name, v := range checks {
		if v != "" {
			t.Errorf("%s: %s", name, v)
		}
	}
}

// buildJSWebWorker builds conformance/jsweb/<file> with guest-sdk/js (cached
// by its inputs), or skips without node and the SDK's packages.
func buildJSWebWorker(t *testing.T, file string) string {
	t.Helper()
	return buildOrSkip(t, "js", func() (string, error) {
		return buildJSSource(t, t.TempDir(), filepath.Join(testutil.RepoRoot(t), "conformance", "jsweb", file))
	})
}

// formPart is one part of a multipart/form-data body.
type formPart struct {
	name, filename string
	file           bool   // a file part (a filename parameter, even "")
	contentType    string // "" sends no Content-Type
	data           []byte
}

// multipartBody writes parts as multipart/form-data with boundary and
// returns the body and its Content-Type.
func multipartBody(t *testing.T, boundary string, parts []formPart) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary(boundary); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		cd := fmt.Sprintf(`form-data; name="%s"`, p.name)
		if p.file {
			cd += fmt.Sprintf(`; filename="%s"`, p.filename)
		}
		h.Set("Content-Disposition", cd)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// checkForm parses rec's body as the multipart/form-data a Worker
// serialized (new Response(formData)) and holds it to want, byte for
// byte; a part without a Content-Type comes back as
// application/octet-stream if it is a file.
func checkForm(want []formPart) func(t *testing.T, rec *httptest.ResponseRecorder) {
	return func(t *testing.T, rec *httptest.ResponseRecorder) {
		t.Helper()
		ct := rec.Header().Get("Content-Type")
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
			t.Fatalf("Content-Type %q: %v", ct, err)
		}
		r := multipart.NewReader(bytes.NewReader(rec.Body.Bytes()), params["boundary"])
		for i := 0; ; i++ {
			p, err := r.NextRawPart()
			if err == io.EOF {
				if i != len(want) {
					t.Errorf("%d parts, want %d", i, len(want))
				}
				return
			}
			if err != nil {
				t.Fatalf("part %d: %v", i, err)
			}
			data, err := io.ReadAll(p)
			if err != nil {
				t.Fatalf("part %d: %v", i, err)
			}
			if i >= len(want) {
				t.Errorf("part %d (%s) is one too many", i, p.FormName())
				continue
			}
			w := want[i]
			_, cd, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
			filename, hasFilename := cd["filename"]
			wantType := w.contentType
			if w.file && wantType == "" {
				wantType = "application/octet-stream"
			}
			if !w.file {
				wantType = ""
			}
			if cd["name"] != w.name || hasFilename != w.file || filename != w.filename || p.Header.Get("Content-Type") != wantType {
				t.Errorf("part %d: name %q filename %q (%v) type %q, want %q %q (%v) %q", i, cd["name"], filename, hasFilename, p.Header.Get("Content-Type"), w.name, w.filename, w.file, wantType)
			}
			if !bytes.Equal(data, w.data) {
				t.Errorf("part %d (%s): %s, want %s", i, w.name, show(data), show(w.data))
			}
		}
	}
}

// pngBytes is a small real PNG (a gradient, with no compression so it
// holds bytes of every kind, ~700 bytes).
func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 12, 12))
	for x := range 12 {
		for y := range 12 {
			img.Set(x, y, color.NRGBA{uint8(x * 21), uint8(y * 21), uint8(x * y), 255})
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// allBytes is n bytes 0, 1, …, 255, 0, … (every byte value when n ≥ 256),
// the same as bytesOf in worker.js.
func allBytes(n, start int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(start + i)
	}
	return b
}

const formBoundary = "bindery-test-boundary-7f3a"

// bigPart is 200 KiB of random bytes with near-misses of the delimiter
// (CRLF, "--", the boundary cut short) inside, one straddling the first
// 64 KiB chunk of the body.
func bigPart(rng *rand.Rand) []byte {
	b := random(rng, 200<<10)
	near := []byte("\r\n--" + formBoundary[:len(formBoundary)-1])
	for _, at := range []int{0, 1000, 65536 - 400, 65536 - 10, 131072 - 5} {
		copy(b[at:], near)
	}
	copy(b[len(b)-4:], "\r\n\r\n")
	return b
}

func TestJSWebAPI(t *testing.T) {
	wasm := buildJSWebWorker(t, "worker.js")
	logs := &testutil.SyncBuffer{}
	w, st := newWorker(t, "jsweb", wasm, logTo(t, logs))
	rng := rand.New(rand.NewPCG(12, 34))

	logo := pngBytes(t)
	parts := []formPart{
		{name: "text", data: []byte("héllo\r\nworld ✓")},
		{name: "all", file: true, filename: "all.bin", contentType: "application/octet-stream", data: allBytes(1024, 0)},
		{name: "big", file: true, filename: "big.bin", contentType: "application/octet-stream", data: bigPart(rng)},
		{name: "crlf", file: true, filename: "crlf.txt", contentType: "text/plain", data: []byte("\r\n\r\nstarts and ends with CRLF\r\n")},
		{name: "logo", file: true, filename: "résumé 😀.png", contentType: "image/png", data: logo},
		{name: "many", file: true, filename: "1.bin", data: []byte{0}},
		{name: "many", file: true, filename: "2.bin", contentType: "application/x-two", data: []byte("--" + formBoundary)},
		{name: "many", file: true, filename: "3.bin", contentType: "text/plain", data: []byte("three")},
		{name: "nofile", file: true, filename: "", contentType: "application/octet-stream", data: nil},
		{name: "empty", data: nil},
		{name: "ключ", data: []byte("значение")},
	}
	form, formType := multipartBody(t, formBoundary, parts)
	small := []formPart{
		{name: "all", file: true, filename: "all.bin", contentType: "application/octet-stream", data: allBytes(512, 3)},
		{name: "crlf", file: true, filename: "crlf ✓.txt", contentType: "text/plain", data: []byte("\r\n--" + formBoundary[:len(formBoundary)-1] + "x\r\n")},
		{name: "text", data: []byte("a\r\nb")},
	}
	smallForm, smallType := multipartBody(t, formBoundary, small)
	upload, uploadType := multipartBody(t, "upload-boundary", []formPart{{name: "file", file: true, filename: "logo.png", contentType: "image/png", data: logo}})
	ct := func(v string) map[string]string { return map[string]string{"Content-Type": v} }
	body := random(rng, 300<<10)

	steps := []webStep{
		{name: "form: every part back byte for byte", method: "POST", path: "/form/echo", body: form, header: ct(formType), status: 200, check: checkForm(parts)},
		{name: "form: manifest", method: "POST", path: "/form/manifest", body: smallForm, header: ct(smallType), status: 200,
			want: []byte(`[{"name":"all","kind":"file","filename":"all.bin","type":"application/octet-stream","size":512,"bytes":512,"isBlob":true,"lastModified":"number"},` +
				`{"name":"crlf","kind":"file","filename":"crlf ✓.txt","type":"text/plain","size":` + fmt.Sprint(len(small[1].data)) + `,"bytes":` + fmt.Sprint(len(small[1].data)) + `,"isBlob":true,"lastModified":"number"},` +
				`{"name":"text","kind":"string","value":"a\r\nb"}]`)},
		{name: "form: url-encoded", method: "POST", path: "/form/manifest", body: []byte("a=1&b=%C3%A9+x&a=2&empty=&plus=a%2Bb"), header: ct("application/x-www-form-urlencoded"), status: 200,
			want: []byte(`[{"name":"a","kind":"string","value":"1"},{"name":"b","kind":"string","value":"é x"},{"name":"a","kind":"string","value":"2"},{"name":"empty","kind":"string","value":""},{"name":"plus","kind":"string","value":"a+b"}]`)},
		{name: "form: upload a PNG to R2 and KV", method: "POST", path: "/form/upload?key=logo.png", body: upload, header: ct(uploadType), status: 200,
			want: fmt.Appendf(nil, `{"name":"logo.png","type":"image/png","size":%d}`, len(logo))},
		{name: "form: the PNG in R2", method: "GET", path: "/r2/logo.png", status: 200, want: logo},
		{name: "form: the PNG in KV", method: "GET", path: "/kv/logo.png", status: 200, want: logo},
		{name: "form: built in JS", method: "GET", path: "/form/js", status: 200, checks: 18},
		{name: "form: no boundary", method: "POST", path: "/form/echo", body: smallForm, header: ct("multipart/form-data"), status: 400, contains: "TypeError"},
		{name: "form: not a form", method: "POST", path: "/form/echo", body: smallForm, header: ct("application/json"), status: 400, contains: "TypeError"},
		{name: "form: the wrong boundary", method: "POST", path: "/form/echo", body: smallForm, header: ct("multipart/form-data; boundary=other"), status: 400, contains: "TypeError"},
	}
	// The same form cut into chunks of every size from 1 byte: delimiters,
	// CRLFs and UTF-8 straddle chunk boundaries.
	for _, size := range []int{1, 2, 3, 5, 17, 64, 1000, 4096} {
		steps = append(steps, webStep{name: fmt.Sprintf("form: %d-byte chunks", size), method: "POST", path: fmt.Sprintf("/form/chunked?size=%d", size),
			body: smallForm, header: ct(smallType), status: 200, check: checkForm(small)})
	}
	steps = append(steps, []webStep{
		{name: "clone: original read first", method: "POST", path: "/clone/request?order=original-first", body: body, status: 200, want: append(append([]byte{}, body...), body...)},
		{name: "clone: clone read first", method: "POST", path: "/clone/request?order=clone-first", body: body, status: 200, want: append(append([]byte{}, body...), body...)},
		{name: "clone: both at once", method: "POST", path: "/clone/request?order=together", body: body, status: 200, want: append(append([]byte{}, body...), body...)},
		{name: "clone: the clone to R2, the original back", method: "POST", path: "/clone/request-r2", body: body, status: 200, want: body},
		{name: "clone: the R2 copy", method: "GET", path: "/r2/cloned", status: 200, want: body},
		{name: "clone: an R2 body", method: "GET", path: "/clone/r2?key=cloned", status: 200, want: append(append([]byte{}, body...), body...)},
		{name: "clone: a streamed response", method: "GET", path: "/clone/response?size=150000", status: 203, want: allBytes(150000, 0),
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if rec.Header().Get("X-Kind") != "streamed" {
					t.Errorf("X-Kind %q", rec.Header().Get("X-Kind"))
				}
			}},
		{name: "clone: checks", method: "GET", path: "/clone/checks", status: 200, checks: 11},
		{name: "Response.error() returned", method: "GET", path: "/response-error", status: 500, logged: []string{failedRecord, "Response.error()"}},
		{name: "fetch: rejects with a TypeError", method: "GET", path: "/fetch?url=" + url.QueryEscape("http://127.0.0.1:9/x?y"), status: 200,
			want: []byte(`{"caught":true,"name":"TypeError","isTypeError":true,"message":"outbound fetch is not available yet in bindery: http://127.0.0.1:9/x?y"}`)},
		{name: "fetch: uncaught fails the request, keeps the instance", method: "GET", path: "/fetch-uncaught?url=" + url.QueryEscape("http://127.0.0.1:9/"), status: 500,
			logged: []string{failedRecord, "outbound fetch is not available yet in bindery"}},
		{name: "streams: IdentityTransformStream echo", method: "POST", path: "/streams/identity", body: body, status: 200, want: body},
		{name: "streams: TextDecoderStream and TextEncoderStream, 1-byte chunks", method: "POST", path: "/streams/text", body: []byte(strings.Repeat("é😀中x\r\n", 200)), status: 200, want: []byte(strings.Repeat("é😀中x\r\n", 200))},
		{name: "streams: checks", method: "GET", path: "/streams/checks", status: 200, checks: 13},
		{name: "URLPattern", method: "GET", path: "/urlpattern", status: 200, checks: 16},
		{name: "globals: navigator, scheduler, cf", method: "GET", path: "/globals", status: 200, checks: 6},
		{name: "request.cf", method: "GET", path: "/cf", status: 200, check: checkCf},
		{name: "realm: host values are this realm's", method: "POST", path: "/realm", body: []byte("chunk"), status: 200, checks: 8},
	}...)
	runWeb(t, w, logs, steps)

	// What the Worker stored is what was uploaded.
	ctx := context.Background()
	if v, ok, err := st.KV("store").Get(ctx, "logo.png"); err != nil || !ok || !bytes.Equal(v, logo) {
		t.Errorf("state: KV logo.png = %s %v %v, want the %d-byte PNG", show(v), ok, err, len(logo))
	}
	b, err := st.R2().Bucket(ctx, "files")
	if err != nil {
		t.Fatal(err)
	}
	if obj, err := b.Head(ctx, "logo.png"); err != nil || obj.Size != int64(len(logo)) || obj.HTTPMetadata.ContentType != "image/png" {
		t.Errorf("state: R2 logo.png = %+v, %v", obj, err)
	}

	t.Run("FixedLengthStream through a server", func(t *testing.T) { fixedLength(t, w, logs) })
}

// wantCf is request.cf for every request Bindery serves (docs/sdk-js.md).
var wantCf = map[string]any{
	"asn": 0.0, "asOrganization": "", "colo": "LOCAL", "country": "XX", "city": "", "continent": "", "region": "", "regionCode": "",
	"metroCode": "", "postalCode": "", "timezone": "UTC", "latitude": "", "longitude": "",
	"clientTcpRtt": 0.0, "httpProtocol": "HTTP/1.1", "requestPriority": "", "tlsCipher": "", "tlsVersion": "",
	"edgeRequestKeepAliveStatus": 1.0, "clientTrustScore": 99.0,
	"botManagement": map[string]any{"corporateProxy": false, "verifiedBot": false, "ja3Hash": "", "staticResource": false, "detectionIds": []any{}, "score": 99.0},
	"tlsClientAuth": map[string]any{
		"certPresented": "0", "certVerified": "NONE", "certRevoked": "0", "certIssuerDN": "", "certSubjectDN": "", "certIssuerDNRFC2253": "",
		"certSubjectDNRFC2253": "", "certIssuerDNLegacy": "", "certSubjectDNLegacy": "", "certSerial": "", "certIssuerSerial": "", "certSKI": "",
		"certIssuerSKI": "", "certFingerprintSHA1": "", "certFingerprintSHA256": "", "certNotBefore": "", "certNotAfter": "",
	},
}

func checkCf(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, show(rec.Body.Bytes()))
	}
	if !reflect.DeepEqual(got, wantCf) {
		t.Errorf("request.cf = %v, want %v", got, wantCf)
	}
}

// fixedLength serves FixedLengthStream bodies through a real server: the
// exact length goes out with Content-Length (not chunked); a short one is
// cut, never a body that looks complete.
func fixedLength(t *testing.T, w *host.Worker, logs *testutil.SyncBuffer) {
	srv := httptest.NewServer(w)
	defer srv.Close()
	tests := []struct {
		name     string
		n, write int
		cut      bool
	}{
		{"exact", 5000, 5000, false},
		{"empty", 0, 0, false},
		{"short", 5000, 4000, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			resp, err := http.Get(fmt.Sprintf("%s/streams/fixed?n=%d&write=%d", srv.URL, tc.n, tc.write))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.ContentLength != int64(tc.n) || len(resp.TransferEncoding) != 0 {
				t.Errorf("status %d, Content-Length %d, Transfer-Encoding %v; want 200, %d, none", resp.StatusCode, resp.ContentLength, resp.TransferEncoding, tc.n)
			}
			if tc.cut {
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("read %d bytes, error %v; want an unexpected EOF", len(got), err)
				}
				checkLogs(t, step{name: tc.name, logged: []string{failedRecord, "FixedLengthStream"}}, logs.String())
				return
			}
			if err != nil || !bytes.Equal(got, allBytes(tc.n, 0)) {
				t.Errorf("body %s, %v; want %d bytes", show(got), err, tc.n)
			}
			checkLogs(t, step{name: tc.name}, logs.String())
		})
	}
}

func TestJSServiceWorker(t *testing.T) {
	wasm := buildJSWebWorker(t, "sw.js")
	logs := &testutil.SyncBuffer{}
	w, _ := newWorker(t, "jsweb-sw", wasm, logTo(t, logs))
	object := random(rand.New(rand.NewPCG(5, 6)), 100<<10)
	runWeb(t, w, logs, []webStep{
		{name: "hello", method: "GET", path: "/hello", status: 200, want: []byte("hello from sw")},
		{name: "vars and secrets as globals", method: "GET", path: "/vars", status: 200,
			want: []byte(`{"greeting":"hello","secret":true,"viaSelf":true,"missing":"undefined"}`)},
		{name: "KV as a global: put", method: "PUT", path: "/kv/a", body: []byte("value a"), status: 204},
		{name: "KV as a global: get", method: "GET", path: "/kv/a", status: 200, want: []byte("value a")},
		{name: "R2 as a global: put", method: "PUT", path: "/r2/o", body: object, status: 201, want: fmt.Appendf(nil, `{"size":%d}`, len(object))},
		{name: "R2 as a global: get", method: "GET", path: "/r2/o", status: 200, want: object},
		{name: "event.waitUntil", method: "GET", path: "/wait-until?key=later", status: 202, want: []byte("accepted")},
		{name: "event.waitUntil finished", method: "GET", path: "/kv/later", status: 200, want: []byte("done")},
		{name: "passThroughOnException, then a throw", method: "GET", path: "/pass-through", status: 500, logged: []string{failedRecord, "SWFailure"}},
		{name: "respondWith twice", method: "GET", path: "/respond-twice", status: 200, want: []byte("first")},
		{name: "the event", method: "GET", path: "/event", status: 200,
			want: []byte(`{"isFetchEvent":true,"isEvent":true,"type":"fetch","isRequest":true,"colo":"LOCAL","twice":"InvalidStateError","seen":true}`)},
		{name: "no respondWith", method: "GET", path: "/no-respond", status: 500, logged: []string{failedRecord, "respondWith"}},
		{name: "respondWith too late", method: "GET", path: "/respond-late", status: 500, logged: []string{failedRecord, "respondWith"}},
		{name: "hello after the failures", method: "GET", path: "/hello", status: 200, want: []byte("hello from sw")},
	})
}

// TestJSBuildWithoutFetch builds modules that are neither a module Worker
// nor a service worker: the build fails and says why, instead of a bundler
// error about a missing default export.
func TestJSBuildWithoutFetch(t *testing.T) {
	tests := []struct{ name, src string }{
		{"named exports only", "export const fetch = () => new Response('x');\n"},
		// (A default export with queue or scheduled but no fetch starts, as
		// on Cloudflare: guest-sdk/js TestHandlersWithoutFetch.)
		{"a default export without a handler", "export default { alarm() {} };\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "worker.js")
			if err := os.WriteFile(src, []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := buildJSSource(t, dir, src); err != nil {
				if se := (*skipError)(nil); errors.As(err, &se) {
					if required("js") {
						t.Fatalf("js is required (BINDERY_CONFORMANCE_REQUIRE) but cannot be built: %s", se.reason)
					}
					t.Skipf("js: %s", se.reason)
				}
				t.Fatal(err)
			}
			// The bundle builds; the Worker fails when it starts, saying why.
			js := jstest.Build(t, src)
			userCache, _ := os.UserCacheDir()
			rt, err := host.NewRuntime(context.Background(), host.RuntimeConfig{CacheDir: filepath.Join(userCache, "bindery-test", "wazero"), Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cache.WIT(), d1.WIT(), durablehost.ClientWIT(), durablehost.StateWIT(), queuehost.ProducerWIT()}})
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close(context.Background())
			w, err := rt.NewWorker(context.Background(), host.WorkerConfig{Name: "no-fetch", Wasm: js.Wasm, Init: js.Init, MapText: js.MapText})
			if err == nil {
				w.Close(context.Background())
				t.Fatalf("the Worker started, want it to fail")
			}
			msg := err.Error()
			for _, want := range []string{"export default { fetch", `addEventListener("fetch"`} {
				if !strings.Contains(msg, want) {
					t.Errorf("the build's error does not say %q:\n%s", want, msg)
				}
			}
			if strings.Contains(msg, "Missing export") || strings.Contains(msg, "wizer") {
				t.Errorf("the build's error is the toolchain's, not Bindery's:\n%s", msg)
			}
		})
	}
}

// TestJSVendoredURLPattern holds guest-sdk/js/src/web/urlpattern.js to the
// urlpattern-polyfill version guest-sdk/js/package.json pins (and
// unicode-id.js to node's Unicode data, when node's Unicode version is the
// file's): scripts/vendor-urlpattern.mjs --check.
func TestJSVendoredURLPattern(t *testing.T) {
	sdk := filepath.Join(testutil.RepoRoot(t), "guest-sdk", "js")
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(sdk, "node_modules", "urlpattern-polyfill", "package.json"))
	}
	if err != nil {
		if required("js") {
			t.Fatalf("js is required (BINDERY_CONFORMANCE_REQUIRE): %v", err)
		}
		t.Skipf("js: no node or no guest-sdk/js/node_modules (run: cd guest-sdk/js && npm ci): %v", err)
	}
	out, err := exec.Command(node, filepath.Join(sdk, "scripts", "vendor-urlpattern.mjs"), "--check").CombinedOutput()
	if err != nil {
		t.Fatalf("vendor-urlpattern.mjs --check: %v\n%s", err, out)
	}
	if len(out) > 0 {
		t.Log(string(out))
	}
}
