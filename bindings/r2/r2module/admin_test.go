package r2module

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/internal/admin"
	"github.com/bindery-run/bindery/internal/badgerdb"
)

const testToken = "secret"

// handler serves the admin API with the R2 routes over store.
func handler(store R2Buckets) http.Handler {
	var rs []admin.Route
	for _, r := range Routes(store) {
		rs = append(rs, admin.Route{Pattern: r.Pattern, Handler: r.Handler})
	}
	return admin.Handler(rs, testToken)
}

// newR2Server serves the admin API over a fresh store with the buckets
// "files" and "empty".
func newR2Server(t *testing.T, limits r2.Limits) (*httptest.Server, *Client) {
	t.Helper()
	db, err := badgerdb.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := r2.Open(t.TempDir(), db, r2.Options{Limits: limits})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		store.Close()
		db.Close()
	})
	for _, b := range []string{"files", "empty"} {
		if err := store.CreateBucket(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(handler(store))
	t.Cleanup(srv.Close)
	return srv, NewClient(srv.URL, testToken, nil)
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestR2Routes drives the R2 routes with raw HTTP requests, in order.
func TestR2Routes(t *testing.T) {
	srv, _ := newR2Server(t, r2.Limits{MaxPutBytes: 1 << 20})
	obj := "/api/r2/buckets/files/objects/"
	long := strings.Repeat("k", 1025)
	tests := []struct {
		name, method, path string
		header             map[string]string
		body               string
		status             int
		code               string            // X-Bindery-Error-Code
		want               string            // substring of the body
		wantHeader         map[string]string // exact header values
	}{
		{name: "buckets", method: "GET", path: "/api/r2/buckets", status: 200, want: `{"buckets":[{"name":"empty","creation_date":`},
		{name: "put", method: "PUT", path: obj + "dir/a.txt", body: "hello", header: map[string]string{
			"Content-Type": "text/plain", "Cache-Control": "max-age=60", "Content-Language": "en",
			"Expires": "Wed, 01 Jan 2031 00:00:00 GMT", HeaderCustomMetadata: `{"owner":"me"}`,
		}, status: 200, want: `"etag":"` + md5hex("hello") + `"`, wantHeader: map[string]string{"ETag": `"` + md5hex("hello") + `"`}},
		{name: "get", method: "GET", path: obj + "dir/a.txt", status: 200, want: "hello", wantHeader: map[string]string{
			"Content-Type": "text/plain", "Cache-Control": "max-age=60", "Content-Language": "en", "Content-Length": "5",
			"ETag": `"` + md5hex("hello") + `"`, "Expires": "Wed, 01 Jan 2031 00:00:00 GMT",
		}},
		{name: "head", method: "HEAD", path: obj + "dir/a.txt", status: 200, wantHeader: map[string]string{"Content-Length": "5", "Content-Type": "text/plain"}},
		{name: "range", method: "GET", path: obj + "dir/a.txt", header: map[string]string{"Range": "bytes=1-3"}, status: 206, want: "ell",
			wantHeader: map[string]string{"Content-Range": "bytes 1-3/5", "Content-Length": "3"}},
		{name: "suffix range", method: "GET", path: obj + "dir/a.txt", header: map[string]string{"Range": "bytes=-2"}, status: 206, want: "lo"},
		{name: "open range", method: "GET", path: obj + "dir/a.txt", header: map[string]string{"Range": "bytes=4-"}, status: 206, want: "o"},
		{name: "range past end", method: "GET", path: obj + "dir/a.txt", header: map[string]string{"Range": "bytes=10-"}, status: 416, code: "InvalidRange"},
		{name: "bad range", method: "GET", path: obj + "dir/a.txt", header: map[string]string{"Range": "items=1-2"}, status: 416, code: "InvalidRange"},
		{name: "get missing key", method: "GET", path: obj + "nope", status: 404, code: "NoSuchKey", want: "nope"},
		{name: "head missing key", method: "HEAD", path: obj + "nope", status: 404, code: "NoSuchKey"},
		{name: "get missing bucket", method: "GET", path: "/api/r2/buckets/nope/objects/a", status: 404, code: "NoSuchBucket", want: "nope"},
		{name: "put missing bucket", method: "PUT", path: "/api/r2/buckets/nope/objects/a", body: "x", status: 404, code: "NoSuchBucket"},
		{name: "list missing bucket", method: "GET", path: "/api/r2/buckets/nope/objects", status: 404, code: "NoSuchBucket"},
		{name: "key too long", method: "PUT", path: obj + long, body: "x", status: 400, code: "InvalidKey"},
		{name: "metadata too large", method: "PUT", path: obj + "m", body: "x", header: map[string]string{HeaderCustomMetadata: `{"a":"` + strings.Repeat("v", 9000) + `"}`}, status: 400, code: "MetadataTooLarge"},
		{name: "metadata not json", method: "PUT", path: obj + "m", body: "x", header: map[string]string{HeaderCustomMetadata: `{"a":1}`}, status: 400, code: "InvalidArgument", want: HeaderCustomMetadata},
		{name: "bad expires", method: "PUT", path: obj + "m", body: "x", header: map[string]string{"Expires": "tomorrow"}, status: 400, code: "InvalidArgument", want: "tomorrow"},
		{name: "bad storage class", method: "PUT", path: obj + "m", body: "x", header: map[string]string{HeaderStorageClass: "Glacier"}, status: 400, code: "InvalidArgument", want: "Glacier"},
		{name: "too large", method: "PUT", path: obj + "big", body: strings.Repeat("x", 1<<20+1), status: 413, code: "EntityTooLarge"},
		{name: "at the limit", method: "PUT", path: obj + "dir/sub/max", body: strings.Repeat("x", 1<<20), status: 200},
		{name: "odd key", method: "PUT", path: obj + "dir/sp%20ace%3F%23%25.txt", body: "odd", status: 200, want: `"key":"dir/sp ace?#%.txt"`},
		{name: "get odd key", method: "GET", path: obj + "dir/sp%20ace%3F%23%25.txt", status: 200, want: "odd"},
		{name: "list", method: "GET", path: "/api/r2/buckets/files/objects?prefix=dir/&delimiter=/", status: 200,
			want: `"delimitedPrefixes":["dir/sub/"],"truncated":false}`},
		{name: "list page", method: "GET", path: "/api/r2/buckets/files/objects?limit=1", status: 200, want: `"truncated":true,"cursor":"`},
		{name: "list include", method: "GET", path: "/api/r2/buckets/files/objects?prefix=dir/a&include=httpMetadata&include=customMetadata", status: 200,
			want: `"httpMetadata":{"contentType":"text/plain","contentLanguage":"en","cacheControl":"max-age=60","cacheExpiry":"2031-01-01T00:00:00Z"},"customMetadata":{"owner":"me"}`},
		{name: "list empty bucket", method: "GET", path: "/api/r2/buckets/empty/objects", status: 200, want: `{"objects":[],"delimitedPrefixes":[],"truncated":false}`},
		{name: "list bad limit", method: "GET", path: "/api/r2/buckets/files/objects?limit=ten", status: 400, code: "InvalidArgument", want: "ten"},
		{name: "list limit too big", method: "GET", path: "/api/r2/buckets/files/objects?limit=1001", status: 400, code: "InvalidArgument"},
		{name: "list bad include", method: "GET", path: "/api/r2/buckets/files/objects?include=everything", status: 400, code: "InvalidArgument"},
		{name: "list bad cursor", method: "GET", path: "/api/r2/buckets/files/objects?cursor=!!", status: 400, code: "InvalidArgument"},
		{name: "delete", method: "DELETE", path: obj + "dir/a.txt", status: 200},
		{name: "get deleted", method: "GET", path: obj + "dir/a.txt", status: 404, code: "NoSuchKey"},
		{name: "delete missing key", method: "DELETE", path: obj + "dir/a.txt", status: 200},
		{name: "delete missing bucket", method: "DELETE", path: "/api/r2/buckets/nope/objects/a", status: 404, code: "NoSuchBucket"},
		{name: "no token", method: "GET", path: "/api/r2/buckets", header: map[string]string{"Authorization": ""}, status: 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+testToken)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if got := resp.Header.Get(admin.HeaderErrorCode); got != tc.code {
				t.Errorf("error code %q, want %q", got, tc.code)
			}
			if !strings.Contains(string(body), tc.want) {
				t.Errorf("body %.300s, want it to contain %q", body, tc.want)
			}
			for k, v := range tc.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestR2Client round-trips through the client and checks that its errors
// wrap the store's.
func TestR2Client(t *testing.T) {
	_, c := newR2Server(t, r2.Limits{MaxPutBytes: 1 << 20})
	ctx := context.Background()
	expiry := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	put := r2.PutOptions{
		HTTPMetadata: r2.HTTPMetadata{
			ContentType: "application/octet-stream", ContentLanguage: "de", ContentDisposition: `attachment; filename="b.bin"`,
			ContentEncoding: "gzip", CacheControl: "no-store", CacheExpiry: expiry,
		},
		CustomMetadata: map[string]string{"Mixed-Case": "ü ☃", "empty": ""},
		StorageClass:   "InfrequentAccess",
	}
	body := "\x00\x01binary\xff\n"
	got, err := c.R2Put(ctx, "files", "a/b.bin", strings.NewReader(body), int64(len(body)), put)
	if err != nil {
		t.Fatal(err)
	}
	if got.ETag != md5hex(body) || got.Size != int64(len(body)) || got.StorageClass != "InfrequentAccess" {
		t.Errorf("put = %+v", got)
	}
	head, err := c.R2Head(ctx, "files", "a/b.bin")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(head.HTTPMetadata, put.HTTPMetadata) || !reflect.DeepEqual(head.CustomMetadata, put.CustomMetadata) ||
		!head.Uploaded.Equal(got.Uploaded) || head.Version != got.Version || hex.EncodeToString(head.Checksums.MD5) != md5hex(body) {
		t.Errorf("head = %+v, want the metadata of %+v", head, got)
	}
	// Content-Encoding gzip must not make the transport decompress.
	ob, err := c.R2Get(ctx, "files", "a/b.bin", r2.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(ob.Body)
	ob.Body.Close()
	if err != nil || string(b) != body || ob.Range != nil {
		t.Errorf("get = %q, %v, range %v", b, err, ob.Range)
	}
	ob, err = c.R2Get(ctx, "files", "a/b.bin", r2.GetOptions{Range: &r2.Range{Offset: 2, Length: 6}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(ob.Body)
	ob.Body.Close()
	if string(b) != "binary" || ob.Range == nil || *ob.Range != (r2.Range{Offset: 2, Length: 6}) {
		t.Errorf("range get = %q, %+v", b, ob.Range)
	}
	for _, k := range []string{"a/c", "a/d/e", "z"} {
		if _, err := c.R2Put(ctx, "files", k, strings.NewReader(k), -1, r2.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	o := r2.ListOptions{Prefix: "a/", Delimiter: "/", Limit: 1}
	for {
		res, err := c.R2List(ctx, "files", o)
		if err != nil {
			t.Fatal(err)
		}
		for _, ob := range res.Objects {
			keys = append(keys, ob.Key)
		}
		keys = append(keys, res.DelimitedPrefixes...)
		if !res.Truncated {
			break
		}
		o.Cursor = res.Cursor
	}
	if want := []string{"a/b.bin", "a/c", "a/d/"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("paged list = %q, want %q", keys, want)
	}
	if err := c.R2Delete(ctx, "files", "a/c"); err != nil {
		t.Fatal(err)
	}
	buckets, err := c.R2Buckets(ctx)
	if err != nil || len(buckets) != 2 || buckets[0].Name != "empty" || buckets[1].Name != "files" || buckets[0].Created.IsZero() {
		t.Errorf("buckets = %+v, %v", buckets, err)
	}

	large := strings.Repeat("x", 4<<20)
	errTests := []struct {
		name string
		call func() error
		want error
	}{
		{"get deleted", func() error { _, err := c.R2Get(ctx, "files", "a/c", r2.GetOptions{}); return err }, r2.ErrNoSuchKey},
		{"head missing", func() error { _, err := c.R2Head(ctx, "files", "nope"); return err }, r2.ErrNoSuchKey},
		{"head missing bucket", func() error { _, err := c.R2Head(ctx, "nope", "a"); return err }, r2.ErrNoSuchBucket},
		{"list missing bucket", func() error { _, err := c.R2List(ctx, "nope", r2.ListOptions{}); return err }, r2.ErrNoSuchBucket},
		{"delete missing bucket", func() error { return c.R2Delete(ctx, "nope", "a") }, r2.ErrNoSuchBucket},
		{"bad range", func() error {
			_, err := c.R2Get(ctx, "files", "z", r2.GetOptions{Range: &r2.Range{Offset: 5}})
			return err
		}, r2.ErrInvalidRange},
		// Refused before the body is sent (Expect: 100-continue).
		{"put missing bucket", func() error {
			_, err := c.R2Put(ctx, "nope", "a", strings.NewReader(large), int64(len(large)), r2.PutOptions{})
			return err
		}, r2.ErrNoSuchBucket},
		{"put invalid key", func() error {
			_, err := c.R2Put(ctx, "files", strings.Repeat("k", 1025), strings.NewReader(large), int64(len(large)), r2.PutOptions{})
			return err
		}, r2.ErrInvalidKey},
		{"put too large", func() error {
			_, err := c.R2Put(ctx, "files", "big", strings.NewReader(large[:1<<20+1]), 1<<20+1, r2.PutOptions{})
			return err
		}, r2.ErrEntityTooLarge},
		{"put too large, length unknown", func() error {
			_, err := c.R2Put(ctx, "files", "big", strings.NewReader(large[:1<<20+1]), -1, r2.PutOptions{})
			return err
		}, r2.ErrEntityTooLarge},
		{"put metadata too large", func() error {
			_, err := c.R2Put(ctx, "files", "m", strings.NewReader("x"), 1, r2.PutOptions{CustomMetadata: map[string]string{"a": strings.Repeat("v", 9000)}})
			return err
		}, r2.ErrMetadataTooLarge},
		{"conditional get", func() error {
			_, err := c.R2Get(ctx, "files", "z", r2.GetOptions{OnlyIf: &r2.Conditional{EtagMatches: []string{"*"}}})
			return err
		}, r2.ErrInvalidArgument},
	}
	for _, tc := range errTests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// patternReader yields n pseudo-random bytes without holding them.
type patternReader struct {
	n, x uint64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n == 0 {
		return 0, io.EOF
	}
	b = b[:min(uint64(len(b)), p.n)]
	for i := range b {
		p.x = p.x*6364136223846793005 + 1442695040888963407
		b[i] = byte(p.x >> 56)
	}
	p.n -= uint64(len(b))
	return len(b), nil
}

// TestR2StreamsLargeObjects puts and gets 64 MiB through the admin API and
// checks that neither side held the object in memory: everything the
// process allocated meanwhile (client, server and store together) is far
// below its size.
func TestR2StreamsLargeObjects(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MiB")
	}
	const size = 64 << 20
	_, c := newR2Server(t, r2.Limits{})
	ctx := context.Background()
	sum := md5.New()
	io.Copy(sum, &patternReader{n: size})
	want := hex.EncodeToString(sum.Sum(nil))

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	obj, err := c.R2Put(ctx, "files", "big.bin", &patternReader{n: size}, size, r2.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ob, err := c.R2Get(ctx, "files", "big.bin", r2.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sum.Reset()
	n, err := io.Copy(sum, ob.Body)
	ob.Body.Close()
	runtime.ReadMemStats(&after)
	if err != nil || n != size {
		t.Fatalf("get: %d bytes, %v", n, err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != want || obj.ETag != want {
		t.Errorf("md5 of the bytes got back %s, put etag %s, want %s", got, obj.ETag, want)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB to put and get %d MiB", allocated>>10, size>>20)
	if allocated > size/4 {
		t.Errorf("allocated %d MiB to put and get %d MiB: the body was buffered", allocated>>20, size>>20)
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		in   string
		want *r2.Range // nil: invalid
	}{
		{"bytes=0-99", &r2.Range{Offset: 0, Length: 100}},
		{"bytes=5-5", &r2.Range{Offset: 5, Length: 1}},
		{"bytes=100-", &r2.Range{Offset: 100}},
		{"bytes=-100", &r2.Range{Suffix: 100}},
		{" bytes=1-2 ", &r2.Range{Offset: 1, Length: 2}},
		{"bytes=-0", nil},
		{"bytes=5-4", nil},
		{"bytes=0-1,3-4", nil},
		{"bytes=a-b", nil},
		{"bytes=-", nil},
		{"bytes=-1-2", nil},
		{"1-2", nil},
		{"items=1-2", nil},
	}
	for _, tc := range tests {
		got, err := ParseRange(tc.in)
		if tc.want == nil {
			if !errors.Is(err, r2.ErrInvalidRange) {
				t.Errorf("ParseRange(%q) = %+v, %v; want ErrInvalidRange", tc.in, got, err)
			}
			continue
		}
		if err != nil || *got != *tc.want {
			t.Errorf("ParseRange(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		if back, err := ParseRange(FormatRange(got)); err != nil || *back != *got {
			t.Errorf("ParseRange(FormatRange(%+v)) = %+v, %v", got, back, err)
		}
	}
}

// The wire shapes survive JSON.
func TestR2ObjectWire(t *testing.T) {
	o := &r2.Object{
		Key: "k", Version: "v", Size: 3, ETag: "e", Uploaded: time.UnixMilli(1700000000123).UTC(),
		HTTPMetadata:   r2.HTTPMetadata{ContentType: "text/plain", CacheExpiry: time.Unix(1800000000, 0).UTC()},
		CustomMetadata: map[string]string{"a": "b"},
		Checksums:      r2.Checksums{MD5: []byte{1, 2}, SHA256: []byte{3}},
		StorageClass:   "Standard",
		Range:          &r2.Range{Offset: 1, Length: 2},
	}
	b, err := json.Marshal(R2ObjectToWire(o))
	if err != nil {
		t.Fatal(err)
	}
	var w R2Object
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	back, err := R2ObjectFromWire(w)
	if err != nil || !reflect.DeepEqual(back, o) {
		t.Errorf("round trip of %+v = %+v, %v (JSON %s)", o, back, err, b)
	}
}

// TestR2PutTooLarge: a put over the limit fails with ErrEntityTooLarge (not
// a reset connection), and the client stops sending soon after the limit.
func TestR2PutTooLarge(t *testing.T) {
	_, c := newR2Server(t, r2.Limits{MaxPutBytes: 1 << 20})
	const src = 1 << 30
	for _, size := range []int64{src, -1} {
		r := &patternReader{n: src}
		_, err := c.R2Put(context.Background(), "files", "big", r, size, r2.PutOptions{})
		if !errors.Is(err, r2.ErrEntityTooLarge) {
			t.Errorf("size %d: err = %v, want ErrEntityTooLarge", size, err)
		}
		if sent := src - r.n; sent > 256<<20 {
			t.Errorf("size %d: the client sent %d MiB of a 1 GiB body to a 1 MiB limit", size, sent>>20)
		}
	}
}
