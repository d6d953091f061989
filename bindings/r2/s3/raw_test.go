package s3_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/bindery-run/bindery/bindings/r2"
)

// rawClient sends requests signed by aws-sdk-go-v2's SigV4 signer, with
// any body and headers, to test what SDKs would not send.
type rawClient struct {
	t   *testing.T
	srv *server
}

// do signs and sends a request; payloadHash is the x-amz-content-sha256 to
// send and sign ("" computes it from body).
func (c rawClient) do(method, path string, body io.Reader, payloadHash string, headers map[string]string) (*http.Response, []byte) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if payloadHash == "" {
		var data []byte
		if body != nil {
			data, _ = io.ReadAll(body)
			req.Body = io.NopCloser(bytes.NewReader(data))
			req.ContentLength = int64(len(data))
		}
		sum := sha256.Sum256(data)
		payloadHash = hex.EncodeToString(sum[:])
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: testCreds.SecretAccessKey}
	if err := signer.SignHTTP(c.t.Context(), creds, req, payloadHash, "s3", "auto", time.Now()); err != nil {
		c.t.Fatal(err)
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, data
}

// s3Error is an S3 error document.
type s3Error struct {
	Code      string
	Message   string
	RequestID string `xml:"RequestId"`
}

func parseError(t *testing.T, body []byte) s3Error {
	t.Helper()
	var e s3Error
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e
}

func TestRawRequests(t *testing.T) {
	srv := newServer(t, false)
	c := rawClient{t, srv}
	ctx := t.Context()
	if resp, body := c.do("PUT", "/raw", nil, "", nil); resp.StatusCode != 200 {
		t.Fatalf("create bucket: %d %s", resp.StatusCode, body)
	}
	b, err := srv.store.Bucket(ctx, "raw")
	if err != nil {
		t.Fatal(err)
	}
	stored := func(key string) bool {
		_, err := b.Head(ctx, key)
		return !errors.Is(err, r2.ErrNoSuchKey)
	}
	data := "some object bytes"
	crc := crc32.ChecksumIEEE([]byte(data))
	crcB64 := base64.StdEncoding.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})

	tests := []struct {
		name, method, path, body, hash string
		headers                        map[string]string
		status                         int
		code                           string
		storedKey                      string // must exist afterwards
		missingKey                     string // must not exist afterwards
	}{
		{name: "payload hash mismatch stores nothing", method: "PUT", path: "/raw/mismatch", body: data,
			hash: strings.Repeat("ab", 32), status: 400, code: "XAmzContentSHA256Mismatch", missingKey: "mismatch"},
		{name: "unsigned payload", method: "PUT", path: "/raw/unsigned", body: data, hash: "UNSIGNED-PAYLOAD", status: 200, storedKey: "unsigned"},
		{name: "trailer checksum", method: "PUT", path: "/raw/trailer",
			body: fmt.Sprintf("%x\r\n%s\r\n0\r\nx-amz-checksum-crc32:%s\r\n\r\n", len(data), data, crcB64), hash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
			headers: map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Trailer": "x-amz-checksum-crc32", "X-Amz-Decoded-Content-Length": fmt.Sprint(len(data))},
			status:  200, storedKey: "trailer"},
		{name: "trailer checksum mismatch stores nothing", method: "PUT", path: "/raw/badtrailer",
			body: fmt.Sprintf("%x\r\n%s\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", len(data), data), hash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
			headers: map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Trailer": "x-amz-checksum-crc32"},
			status:  400, code: "BadDigest", missingKey: "badtrailer"},
		{name: "bad chunk signature stores nothing", method: "PUT", path: "/raw/badchunk",
			body: fmt.Sprintf("%x;chunk-signature=%s\r\n%s\r\n0;chunk-signature=%s\r\n\r\n", len(data), strings.Repeat("0", 64), data, strings.Repeat("0", 64)),
			hash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", headers: map[string]string{"Content-Encoding": "aws-chunked"},
			status: 403, code: "SignatureDoesNotMatch", missingKey: "badchunk"},
		{name: "content-md5 mismatch", method: "PUT", path: "/raw/md5", body: data, hash: "UNSIGNED-PAYLOAD",
			headers: map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(make([]byte, 16))}, status: 400, code: "BadDigest", missingKey: "md5"},
		{name: "invalid content-md5", method: "PUT", path: "/raw/md5", body: data, hash: "UNSIGNED-PAYLOAD",
			headers: map[string]string{"Content-MD5": "xx"}, status: 400, code: "InvalidDigest"},
		{name: "key too long", method: "PUT", path: "/raw/" + strings.Repeat("k", 1025), body: data, hash: "UNSIGNED-PAYLOAD", status: 400, code: "KeyTooLongError"},
		{name: "metadata too large", method: "PUT", path: "/raw/meta", body: data, hash: "UNSIGNED-PAYLOAD",
			headers: map[string]string{"X-Amz-Meta-Big": strings.Repeat("m", 9000)}, status: 400, code: "MetadataTooLarge"},
		{name: "bad storage class", method: "PUT", path: "/raw/sc", body: data, hash: "UNSIGNED-PAYLOAD",
			headers: map[string]string{"X-Amz-Storage-Class": "GLACIER"}, status: 400, code: "InvalidStorageClass"},
		{name: "no such bucket", method: "GET", path: "/nope/key", status: 404, code: "NoSuchBucket"},
		{name: "invalid bucket name", method: "PUT", path: "/Bad_Bucket", status: 400, code: "InvalidBucketName"},
		{name: "bucket acl not implemented", method: "GET", path: "/raw?acl", status: 501, code: "NotImplemented"},
		{name: "object tagging not implemented", method: "PUT", path: "/raw/unsigned?tagging", body: "<Tagging/>", status: 501, code: "NotImplemented"},
		{name: "post object not implemented", method: "POST", path: "/raw", status: 501, code: "NotImplemented"},
		{name: "range not satisfiable", method: "GET", path: "/raw/unsigned", headers: map[string]string{"Range": "bytes=1000-"}, status: 416, code: "InvalidRange"},
		{name: "no such upload", method: "GET", path: "/raw/k?uploadId=nope", status: 404, code: "NoSuchUpload"},
		{name: "bad part number", method: "PUT", path: "/raw/k?uploadId=nope&partNumber=0", body: "x", status: 400, code: "InvalidArgument"},
		{name: "malformed delete", method: "POST", path: "/raw?delete", body: "<Delete><Object>", status: 400, code: "MalformedXML"},
		{name: "malformed complete", method: "POST", path: "/raw/k?uploadId=x", body: "nope", status: 400, code: "MalformedXML"},
		{name: "bad max-keys", method: "GET", path: "/raw?list-type=2&max-keys=-1", status: 400, code: "InvalidArgument"},
		{name: "bad cursor", method: "GET", path: "/raw?list-type=2&continuation-token=zzz", status: 400, code: "InvalidArgument"},
		{name: "copy from missing bucket", method: "PUT", path: "/raw/copy", headers: map[string]string{"X-Amz-Copy-Source": "/nope/k"}, status: 404, code: "NoSuchBucket"},
		{name: "copy source malformed", method: "PUT", path: "/raw/copy", headers: map[string]string{"X-Amz-Copy-Source": "justbucket"}, status: 400, code: "InvalidArgument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			resp, out := c.do(tt.method, tt.path, body, tt.hash, tt.headers)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, out, tt.status)
			}
			id := resp.Header.Get("X-Amz-Request-Id")
			if id == "" {
				t.Error("no x-amz-request-id")
			}
			if tt.code != "" {
				e := parseError(t, out)
				if e.Code != tt.code || e.RequestID != id {
					t.Errorf("error %+v, want code %s and request id %s", e, tt.code, id)
				}
			}
			if tt.storedKey != "" && !stored(tt.storedKey) {
				t.Errorf("%s was not stored", tt.storedKey)
			}
			if tt.missingKey != "" && stored(tt.missingKey) {
				t.Errorf("%s was stored", tt.missingKey)
			}
		})
	}

	t.Run("HEAD errors have no body", func(t *testing.T) {
		resp, out := c.do("HEAD", "/raw/missing", nil, "", nil)
		if resp.StatusCode != 404 || len(out) != 0 {
			t.Errorf("HEAD missing: %d %q", resp.StatusCode, out)
		}
	})
	t.Run("NotImplemented names the operation", func(t *testing.T) {
		_, out := c.do("GET", "/raw?cors", nil, "", nil)
		if e := parseError(t, out); !strings.Contains(e.Message, "GetBucketCors") {
			t.Errorf("message %q does not name GetBucketCors", e.Message)
		}
	})
	t.Run("encoding-type=url", func(t *testing.T) {
		if _, err := b.Put(ctx, "dir/a b+c&d", strings.NewReader("x"), r2.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		_, out := c.do("GET", "/raw?list-type=2&prefix=dir/&encoding-type=url", nil, "", nil)
		if !strings.Contains(string(out), "<Key>dir/a%20b%2Bc%26d</Key>") || !strings.Contains(string(out), "<EncodingType>url</EncodingType>") {
			t.Errorf("list body %s", out)
		}
	})
	t.Run("metadata round trip", func(t *testing.T) {
		resp, out := c.do("PUT", "/raw/meta-ok", strings.NewReader(data), "UNSIGNED-PAYLOAD", map[string]string{
			"Content-Type": "text/plain", "Content-Language": "fr", "Content-Disposition": "inline", "Content-Encoding": "identity",
			"Cache-Control": "no-cache", "Expires": "Wed, 21 Oct 2037 07:28:00 GMT", "X-Amz-Meta-A": "1",
			"X-Amz-Storage-Class": "STANDARD_IA",
		})
		if resp.StatusCode != 200 {
			t.Fatalf("put: %d %s", resp.StatusCode, out)
		}
		resp, out = c.do("GET", "/raw/meta-ok?response-cache-control=private", nil, "", nil)
		want := map[string]string{
			"Content-Type": "text/plain", "Content-Language": "fr", "Content-Disposition": "inline", "Content-Encoding": "identity",
			"Cache-Control": "private", "Expires": "Wed, 21 Oct 2037 07:28:00 GMT", "X-Amz-Meta-A": "1", "Accept-Ranges": "bytes",
			"X-Amz-Storage-Class": "STANDARD_IA", "Content-Length": fmt.Sprint(len(data)),
		}
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if string(out) != data {
			t.Errorf("body %q", out)
		}
		o, err := b.Head(ctx, "meta-ok")
		if err != nil || o.StorageClass != "InfrequentAccess" || o.HTTPMetadata.CacheExpiry.Year() != 2037 {
			t.Errorf("stored %+v, %v", o, err)
		}
	})
	t.Run("stored sha256 returned on request", func(t *testing.T) {
		sum := sha256.Sum256([]byte(data))
		b64 := base64.StdEncoding.EncodeToString(sum[:])
		if resp, out := c.do("PUT", "/raw/summed", strings.NewReader(data), "", map[string]string{"X-Amz-Checksum-Sha256": b64}); resp.StatusCode != 200 || resp.Header.Get("X-Amz-Checksum-Sha256") != b64 {
			t.Fatalf("put: %d %s, checksum %q", resp.StatusCode, out, resp.Header.Get("X-Amz-Checksum-Sha256"))
		}
		resp, _ := c.do("GET", "/raw/summed", nil, "", map[string]string{"X-Amz-Checksum-Mode": "ENABLED"})
		if got := resp.Header.Get("X-Amz-Checksum-Sha256"); got != b64 {
			t.Errorf("GET checksum %q, want %q", got, b64)
		}
		resp, _ = c.do("GET", "/raw/summed", nil, "", nil)
		if got := resp.Header.Get("X-Amz-Checksum-Sha256"); got != "" {
			t.Errorf("GET without checksum mode: checksum %q", got)
		}
	})
	t.Run("304 and 412 on HEAD", func(t *testing.T) {
		o, err := b.Head(ctx, "meta-ok")
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := c.do("HEAD", "/raw/meta-ok", nil, "", map[string]string{"If-None-Match": o.HTTPETag()})
		if resp.StatusCode != 304 || resp.Header.Get("ETag") != o.HTTPETag() {
			t.Errorf("HEAD If-None-Match: %d, ETag %q", resp.StatusCode, resp.Header.Get("ETag"))
		}
		resp, _ = c.do("HEAD", "/raw/meta-ok", nil, "", map[string]string{"If-Match": `"other"`})
		if resp.StatusCode != 412 {
			t.Errorf("HEAD If-Match: %d", resp.StatusCode)
		}
		resp, _ = c.do("HEAD", "/raw/meta-ok", nil, "", map[string]string{"Range": "bytes=0-1"})
		if resp.StatusCode != 206 || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 0-1/%d", len(data)) || resp.Header.Get("Content-Length") != "2" {
			t.Errorf("HEAD Range: %d %v", resp.StatusCode, resp.Header)
		}
	})
	t.Run("upload part copy", func(t *testing.T) {
		big := randomBytes(5<<20+100, 11)
		if _, err := b.Put(ctx, "src", bytes.NewReader(big), r2.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		u, err := b.CreateMultipartUpload(ctx, "assembled", r2.MultipartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for i, rng := range []string{fmt.Sprintf("bytes=0-%d", 5<<20-1), fmt.Sprintf("bytes=%d-%d", 5<<20, len(big)-1)} {
			resp, out := c.do("PUT", fmt.Sprintf("/raw/assembled?partNumber=%d&uploadId=%s", i+1, u.UploadID), nil, "", map[string]string{
				"X-Amz-Copy-Source": "raw/src", "X-Amz-Copy-Source-Range": rng,
			})
			var res struct{ ETag string }
			if resp.StatusCode != 200 || xml.Unmarshal(out, &res) != nil {
				t.Fatalf("UploadPartCopy: %d %s", resp.StatusCode, out)
			}
			parts = append(parts, res.ETag)
		}
		doc := fmt.Sprintf("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part><Part><PartNumber>2</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>", parts[0], parts[1])
		if resp, out := c.do("POST", "/raw/assembled?uploadId="+u.UploadID, strings.NewReader(doc), "", nil); resp.StatusCode != 200 {
			t.Fatalf("Complete: %d %s", resp.StatusCode, out)
		}
		resp, out := c.do("GET", "/raw/assembled", nil, "", nil)
		if resp.StatusCode != 200 || !bytes.Equal(out, big) {
			t.Errorf("assembled: %d, %d bytes", resp.StatusCode, len(out))
		}
	})
}

// TestPutStreams checks that a large put is streamed: the handler must
// not allocate anything near the object's size.
func TestPutStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 128 MiB")
	}
	const size = 128 << 20
	srv := newServer(t, false)
	c := rawClient{t, srv}
	if resp, body := c.do("PUT", "/stream", nil, "", nil); resp.StatusCode != 200 {
		t.Fatalf("create bucket: %d %s", resp.StatusCode, body)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	src := io.LimitReader(zeroReader{}, size)
	resp, out := c.do("PUT", "/stream/big", src, "UNSIGNED-PAYLOAD", nil)
	runtime.ReadMemStats(&after)
	if resp.StatusCode != 200 {
		t.Fatalf("put: %d %s", resp.StatusCode, out)
	}
	// Client and server together, in one process.
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d MiB put allocated %d KiB", size>>20, alloc>>10)
	if alloc > size/4 {
		t.Errorf("a %d MiB put allocated %d MiB", size>>20, alloc>>20)
	}
	o, err := func() (*r2.Object, error) {
		b, err := srv.store.Bucket(t.Context(), "stream")
		if err != nil {
			return nil, err
		}
		return b.Head(t.Context(), "big")
	}()
	if err != nil || o.Size != size {
		t.Fatalf("stored %+v, %v", o, err)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestRangeNotSatisfiable checks S3's 416 answers: any range of an empty
// object, a range past the end, a suffix of zero bytes; each one carries
// Content-Range: bytes */SIZE. Missing keys and failed conditions win.
func TestRangeNotSatisfiable(t *testing.T) {
	srv := newServer(t, false)
	c := rawClient{t, srv}
	if resp, body := c.do("PUT", "/ranges", nil, "", nil); resp.StatusCode != 200 {
		t.Fatalf("create bucket: %d %s", resp.StatusCode, body)
	}
	const data = "seventeen bytes!!"
	for key, body := range map[string]string{"empty": "", "data": data} {
		if resp, out := c.do("PUT", "/ranges/"+key, strings.NewReader(body), "", nil); resp.StatusCode != 200 {
			t.Fatalf("put %s: %d %s", key, resp.StatusCode, out)
		}
	}
	tests := []struct {
		method, key, rng string
		headers          map[string]string
		status           int
		contentRange     string
		code             string
	}{
		{method: "GET", key: "empty", rng: "bytes=0-", status: 416, contentRange: "bytes */0", code: "InvalidRange"},
		{method: "GET", key: "empty", rng: "bytes=0-0", status: 416, contentRange: "bytes */0", code: "InvalidRange"},
		{method: "GET", key: "empty", rng: "bytes=-1", status: 416, contentRange: "bytes */0", code: "InvalidRange"},
		{method: "HEAD", key: "empty", rng: "bytes=0-", status: 416, contentRange: "bytes */0"},
		{method: "GET", key: "empty", status: 200},
		{method: "GET", key: "data", rng: "bytes=17-", status: 416, contentRange: "bytes */17", code: "InvalidRange"},
		{method: "GET", key: "data", rng: "bytes=100-200", status: 416, contentRange: "bytes */17", code: "InvalidRange"},
		{method: "GET", key: "data", rng: "bytes=-0", status: 416, contentRange: "bytes */17", code: "InvalidRange"},
		{method: "HEAD", key: "data", rng: "bytes=17-", status: 416, contentRange: "bytes */17"},
		{method: "HEAD", key: "data", rng: "bytes=-0", status: 416, contentRange: "bytes */17"},
		{method: "GET", key: "data", rng: "bytes=16-", status: 206, contentRange: "bytes 16-16/17"},
		{method: "GET", key: "missing", rng: "bytes=-0", status: 404, code: "NoSuchKey"},
		{method: "GET", key: "empty", rng: "bytes=0-", headers: map[string]string{"If-Match": `"other"`}, status: 412, code: "PreconditionFailed"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.key+" "+tt.rng, func(t *testing.T) {
			h := map[string]string{}
			maps.Copy(h, tt.headers)
			if tt.rng != "" {
				h["Range"] = tt.rng
			}
			resp, out := c.do(tt.method, "/ranges/"+tt.key, nil, "", h)
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Range") != tt.contentRange {
				t.Fatalf("%d, Content-Range %q (%s); want %d, %q", resp.StatusCode, resp.Header.Get("Content-Range"), out, tt.status, tt.contentRange)
			}
			if tt.code != "" {
				if e := parseError(t, out); e.Code != tt.code {
					t.Errorf("code %s, want %s", e.Code, tt.code)
				}
			}
		})
	}
	t.Run("UploadPartCopy range past the end is 400", func(t *testing.T) {
		b, err := srv.store.Bucket(t.Context(), "ranges")
		if err != nil {
			t.Fatal(err)
		}
		u, err := b.CreateMultipartUpload(t.Context(), "assembled", r2.MultipartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		resp, out := c.do("PUT", "/ranges/assembled?partNumber=1&uploadId="+u.UploadID, nil, "", map[string]string{
			"X-Amz-Copy-Source": "ranges/data", "X-Amz-Copy-Source-Range": "bytes=100-200",
		})
		if e := parseError(t, out); resp.StatusCode != 400 || e.Code != "InvalidArgument" || e.Message != "Range specified is not valid for source object of size: 17" {
			t.Errorf("%d %+v, want 400 InvalidArgument for size 17", resp.StatusCode, e)
		}
	})
}
