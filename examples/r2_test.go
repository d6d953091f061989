package examples_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
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

	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/host"
)

// newR2Worker serves examples/r2-files with FILES bound to bucket "files"
// of a fresh data directory.
func newR2Worker(t testing.TB) (*host.Worker, *state.State) {
	t.Helper()
	st, err := state.Open(t.TempDir(), state.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if err := st.R2().CreateBucket(ctx, "files"); err != nil {
		t.Fatal(err)
	}
	b, err := st.R2().Bucket(ctx, "files")
	if err != nil {
		t.Fatal(err)
	}
	return newWorker(t, "examples/r2-files", r2.NewBinding(map[string]*r2.Bucket{"FILES": b})), st
}

type r2call struct {
	method, path string
	header       http.Header
	body         string
	status       int
	want         string            // substring of the body
	wantHeader   map[string]string // exact header values
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestR2Files(t *testing.T) {
	w, st := newR2Worker(t)
	etag := `"` + md5hex("hello, r2") + `"`
	calls := []r2call{
		{method: "GET", path: "/files/a.txt", status: 404, want: `no object "a.txt"`},
		{method: "PUT", path: "/files/a.txt", header: http.Header{"Content-Type": {"text/plain"}, "X-Meta-Owner": {"ann"}, "Cache-Control": {"max-age=60"}},
			body: "hello, r2", status: 201, want: `"etag":"` + md5hex("hello, r2") + `"`},
		{method: "GET", path: "/files/a.txt", status: 200, want: "hello, r2",
			wantHeader: map[string]string{"Content-Type": "text/plain", "Etag": etag, "X-Meta-Owner": "ann", "Cache-Control": "max-age=60", "Content-Length": "9"}},
		{method: "HEAD", path: "/files/a.txt", status: 200, wantHeader: map[string]string{"Content-Length": "9", "Etag": etag}},
		{method: "GET", path: "/files/a.txt", header: http.Header{"Range": {"bytes=1-3"}}, status: 206, want: "ell",
			wantHeader: map[string]string{"Content-Range": "bytes 1-3/9", "Content-Length": "3"}},
		{method: "GET", path: "/files/a.txt", header: http.Header{"Range": {"bytes=-2"}}, status: 206, want: "r2", wantHeader: map[string]string{"Content-Range": "bytes 7-8/9"}},
		{method: "GET", path: "/files/a.txt", header: http.Header{"Range": {"bytes=5-"}}, status: 206, want: " r2"},
		{method: "GET", path: "/files/a.txt", header: http.Header{"Range": {"bytes=100-"}}, status: 416, want: "range"},
		{method: "GET", path: "/files/a.txt", header: http.Header{"If-None-Match": {etag}}, status: 304},
		{method: "GET", path: "/files/a.txt", header: http.Header{"If-Match": {`"nope"`}}, status: 412},
		{method: "GET", path: "/files/a.txt", header: http.Header{"If-Match": {etag}}, status: 200, want: "hello, r2"},
		{method: "PUT", path: "/files/a.txt", header: http.Header{"If-None-Match": {"*"}}, body: "again", status: 412, want: "precondition"},
		{method: "PUT", path: "/files/a.txt", header: http.Header{"If-Match": {etag}, "Content-Type": {"text/plain"}, "X-Meta-Owner": {"ann"}}, body: "hello, r2", status: 201},
		{method: "PUT", path: "/files/dir/b.txt", body: "b", status: 201},
		{method: "PUT", path: "/files/dir/sub/c.txt", body: "c", status: 201},
		{method: "GET", path: "/files?prefix=dir/&delimiter=/", status: 200, want: `"delimitedPrefixes":["dir/sub/"]`},
		{method: "GET", path: "/files?prefix=dir/&delimiter=/", status: 200, want: `"key":"dir/b.txt"`},
		{method: "GET", path: "/files?limit=1", status: 200, want: `"truncated":true`},
		{method: "GET", path: "/files?limit=1001", status: 400, want: "1000"},
		{method: "GET", path: "/files?include=httpMetadata", status: 200, want: `"contentType":"text/plain"`},
		{method: "PUT", path: "/files/" + strings.Repeat("k", 1025), body: "x", status: 400, want: "1024"},
		{method: "DELETE", path: "/files/dir/b.txt", status: 204},
		{method: "GET", path: "/files/dir/b.txt", status: 404},
		{method: "DELETE", path: "/files/never", status: 204},
	}
	for _, c := range calls {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		for k, vs := range c.header {
			req.Header[k] = vs
		}
		w.ServeHTTP(rec, req)
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("%s %s %v: got %d %q, want %d containing %q", c.method, c.path, c.header, rec.Code, rec.Body.String(), c.status, c.want)
		}
		for k, v := range c.wantHeader {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("%s %s: header %s = %q, want %q", c.method, c.path, k, got, v)
			}
		}
	}
	// What the Worker wrote is in the store, with its metadata.
	b, _ := st.R2().Bucket(context.Background(), "files")
	obj, err := b.Head(context.Background(), "a.txt")
	if err != nil || obj.Size != 9 || obj.HTTPMetadata.ContentType != "text/plain" || obj.CustomMetadata["owner"] != "ann" {
		t.Errorf("store has a.txt = %+v, %v", obj, err)
	}
}

func TestR2Multipart(t *testing.T) {
	w, _ := newR2Worker(t)
	do := func(method, path, body string, want int) []byte {
		t.Helper()
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		if rec.Code != want {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	var up struct{ UploadID string }
	json.Unmarshal(do("POST", "/mpu/big.bin", "", 200), &up)
	if up.UploadID == "" {
		t.Fatal("no upload id")
	}
	p1, p2 := strings.Repeat("a", 5<<20), strings.Repeat("b", 1000)
	var parts []json.RawMessage
	for i, p := range []string{p1, p2} {
		parts = append(parts, do("PUT", fmt.Sprintf("/mpu/big.bin?uploadId=%s&partNumber=%d", up.UploadID, i+1), p, 200))
	}
	list, _ := json.Marshal(parts)
	var obj struct {
		Size int64
		ETag string
	}
	json.Unmarshal(do("POST", "/mpu/big.bin?uploadId="+up.UploadID, string(list), 200), &obj)
	s1, s2 := md5.Sum([]byte(p1)), md5.Sum([]byte(p2))
	sum := md5.Sum(append(s1[:], s2[:]...))
	if want := hex.EncodeToString(sum[:]) + "-2"; obj.Size != 5<<20+1000 || obj.ETag != want {
		t.Errorf("completed object = %+v, want size %d etag %s", obj, 5<<20+1000, want)
	}
	if got := do("GET", "/files/big.bin", "", 200); string(got) != p1+p2 {
		t.Errorf("GET after complete: %d bytes", len(got))
	}
	// Completing again, or a part too small to be a non-last part, fails.
	do("POST", "/mpu/big.bin?uploadId="+up.UploadID, string(list), 404)
	json.Unmarshal(do("POST", "/mpu/small.bin", "", 200), &up)
	parts = parts[:0]
	for i, p := range []string{"tiny", "tail"} {
		parts = append(parts, do("PUT", fmt.Sprintf("/mpu/small.bin?uploadId=%s&partNumber=%d", up.UploadID, i+1), p, 200))
	}
	list, _ = json.Marshal(parts)
	do("POST", "/mpu/small.bin?uploadId="+up.UploadID, string(list), 400)
	do("DELETE", "/mpu/small.bin?uploadId="+up.UploadID, "", 204)
	do("PUT", "/mpu/small.bin?uploadId="+up.UploadID+"&partNumber=1", "x", 404)
}

// pattern yields n bytes of a repeating pattern without holding them.
type pattern struct{ n, off int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	for i := range b {
		b[i] = byte((p.off + int64(i)) % 251)
	}
	p.off += int64(len(b))
	return len(b), nil
}

// TestR2Streams1GiB proxies a 1 GiB upload from the request body into the
// bucket and back out through a real HTTP server: the bytes never enter
// the Worker's memory (the host splices them), so guest memory stays small,
// and the host streams them, so its heap stays small too. A body the
// Worker makes itself streams through the object writer in chunks.
func TestR2Streams1GiB(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 1 GiB through the disk")
	}
	w, _ := newR2Worker(t)
	srv := httptest.NewServer(w)
	defer srv.Close()
	const size = 1 << 30
	heapBefore := heapInUse()
	allocBefore := totalAlloc()

	req, _ := http.NewRequest("PUT", srv.URL+"/files/huge", &pattern{n: size})
	req.ContentLength = size
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := md5.New()
	io.Copy(want, &pattern{n: size})
	wantSum := hex.EncodeToString(want.Sum(nil))
	if resp.StatusCode != 201 || !bytes.Contains(body, []byte(wantSum)) {
		t.Fatalf("PUT: %d %s, want etag %s", resp.StatusCode, body, wantSum)
	}

	resp, err = http.Get(srv.URL + "/files/huge")
	if err != nil {
		t.Fatal(err)
	}
	got := md5.New()
	n, err := io.Copy(got, resp.Body)
	resp.Body.Close()
	if err != nil || n != size || hex.EncodeToString(got.Sum(nil)) != wantSum {
		t.Fatalf("GET: %d bytes, err %v, md5 %x", n, err, got.Sum(nil))
	}

	// 2 GiB moved; had any layer buffered or copied the bytes, the host
	// would have allocated at least that much.
	allocated := totalAlloc() - allocBefore

	resp, err = http.Post(srv.URL+fmt.Sprintf("/gen/made?size=%d", 256<<20), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || !bytes.Contains(body, []byte(fmt.Sprintf(`"size":%d`, 256<<20))) {
		t.Fatalf("POST /gen: %d %s", resp.StatusCode, body)
	}

	peak := w.Stats().PeakMemory
	retained := int64(heapInUse()) - int64(heapBefore)
	t.Logf("guest memory peak %d MiB; host allocated %d MiB while proxying 1 GiB in and out; heap retained %d MiB", peak>>20, allocated>>20, retained>>20)
	if peak > 64<<20 {
		t.Errorf("guest memory reached %d MiB streaming 1 GiB", peak>>20)
	}
	if allocated > 128<<20 {
		t.Errorf("host allocated %d MiB proxying 1 GiB: bodies are copied or buffered", allocated>>20)
	}
	if retained > 32<<20 {
		t.Errorf("host heap retained %d MiB after streaming", retained>>20)
	}
}

func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// discardWriter is a ResponseWriter that keeps only the status, so a get
// benchmark measures the Worker and the store, not a buffer.
type discardWriter struct {
	h      http.Header
	status int
	n      int64
}

func (d *discardWriter) Header() http.Header { return d.h }
func (d *discardWriter) WriteHeader(s int)   { d.status = s }
func (d *discardWriter) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.status = 200
	}
	d.n += int64(len(p))
	return len(p), nil
}

// BenchmarkR2 puts and gets objects of 4 KiB, 1 MiB and 64 MiB through the
// r2-files Worker, and the same bytes directly on the filesystem in the
// same run: "os" writes a temp file, fsyncs it, renames it and fsyncs the
// directory (what a crash-safe put must do at least), and reads it back
// with open + copy. Compare worker-* with os-* per size (b.SetBytes gives
// MB/s).
func BenchmarkR2(b *testing.B) {
	w, _ := newR2Worker(b)
	dir := b.TempDir()
	for _, size := range []int{4 << 10, 1 << 20, 64 << 20} {
		data := bytes.Repeat([]byte("0123456789abcdef"), size/16)
		name := fmt.Sprintf("%dKiB", size>>10)
		b.Run(name+"/worker-put", func(b *testing.B) {
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				d := &discardWriter{h: http.Header{}}
				w.ServeHTTP(d, httptest.NewRequest("PUT", fmt.Sprintf("/files/%s-%d", name, i%4), bytes.NewReader(data)))
				if d.status != http.StatusCreated {
					b.Fatalf("PUT: %d", d.status)
				}
			}
		})
		b.Run(name+"/worker-get", func(b *testing.B) {
			b.SetBytes(int64(size))
			seed := &discardWriter{h: http.Header{}}
			w.ServeHTTP(seed, httptest.NewRequest("PUT", "/files/"+name+"-0", bytes.NewReader(data)))
			for b.Loop() {
				d := &discardWriter{h: http.Header{}}
				w.ServeHTTP(d, httptest.NewRequest("GET", "/files/"+name+"-0", nil))
				if d.status != http.StatusOK || d.n != int64(size) {
					b.Fatalf("GET: %d, %d bytes", d.status, d.n)
				}
			}
		})
		b.Run(name+"/os-put", func(b *testing.B) {
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				if err := atomicWrite(dir, fmt.Sprintf("%s-%d", name, i%4), data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/os-get", func(b *testing.B) {
			b.SetBytes(int64(size))
			if err := atomicWrite(dir, name+"-0", data); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				f, err := os.Open(filepath.Join(dir, name+"-0"))
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, f)
				f.Close()
				if err != nil || n != int64(size) {
					b.Fatalf("read: %d, %v", n, err)
				}
			}
		})
	}
}

func atomicWrite(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, "tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// TestR2UngrantedBinding: a Worker whose config grants no FILES bucket gets
// a clear error when it opens one, never a silent default, and the host
// keeps serving.
func TestR2UngrantedBinding(t *testing.T) {
	w := newWorker(t, "examples/r2-files", r2.NewBinding(nil))
	check(t, w, []call{
		{"GET", "/files/a", "", 500, "no R2 binding named FILES"},
		{"PUT", "/files/a", "x", 500, "no R2 binding named FILES"},
	})
}
