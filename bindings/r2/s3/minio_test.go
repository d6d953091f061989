package s3_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func newMinioClient(t *testing.T, srv *server, secret string, trailers bool) *minio.Client {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(testCreds.AccessKeyID, secret, ""),
		Secure:       u.Scheme == "https",
		Transport:    srv.Client().Transport,
		Region:       "auto",
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   1,
		// Needed for PutObjectOptions.Checksum: checksums in trailers.
		TrailingHeaders: trailers,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMinio(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[tls], func(t *testing.T) {
			srv := newServer(t, tls)
			runMinioSuite(t, srv, newMinioClient(t, srv, testCreds.SecretAccessKey, false))
			runMinioChecksums(t, newMinioClient(t, srv, testCreds.SecretAccessKey, true))
			t.Logf("payload modes: %v", srv.modes.seen)
			want := []string{"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"}
			if tls {
				want = []string{"STREAMING-UNSIGNED-PAYLOAD-TRAILER"}
			}
			for _, m := range want {
				if !srv.modes.saw(m) {
					t.Errorf("minio-go never used %s: %v", m, srv.modes.seen)
				}
			}
			bad := newMinioClient(t, srv, "wrong", false)
			if _, err := bad.ListBuckets(t.Context()); minio.ToErrorResponse(err).Code != "SignatureDoesNotMatch" {
				t.Errorf("wrong secret: %v, want SignatureDoesNotMatch", err)
			}
		})
	}
}

func runMinioSuite(t *testing.T, srv *server, c *minio.Client) {
	ctx := t.Context()
	const bucket = "minio-bucket"
	if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}
	if ok, err := c.BucketExists(ctx, bucket); err != nil || !ok {
		t.Fatalf("BucketExists = %v, %v", ok, err)
	}

	// Known size: one PutObject, streamed and signed chunk by chunk over
	// HTTP.
	small := randomBytes(200<<10, 5)
	info, err := c.PutObject(ctx, bucket, "small/obj", bytes.NewReader(small), int64(len(small)), minio.PutObjectOptions{
		ContentType: "text/x-small", UserMetadata: map[string]string{"color": "blue"},
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if info.ETag != md5hex(small) {
		t.Errorf("PutObject ETag = %s, want %s", info.ETag, md5hex(small))
	}
	// Unknown size over 5 MiB parts: multipart.
	big := randomBytes(6<<20, 6)
	info, err = c.PutObject(ctx, bucket, "big/obj", io.MultiReader(bytes.NewReader(big)), -1, minio.PutObjectOptions{PartSize: 5 << 20})
	if err != nil {
		t.Fatalf("PutObject multipart: %v", err)
	}
	if !strings.HasSuffix(info.ETag, "-2") {
		t.Errorf("multipart ETag = %s, want a 2-part ETag", info.ETag)
	}
	for key, want := range map[string][]byte{"small/obj": small, "big/obj": big} {
		obj, err := c.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(obj)
		obj.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("GetObject(%s): %d bytes, equal %v, %v", key, len(got), bytes.Equal(got, want), err)
		}
	}
	st, err := c.StatObject(ctx, bucket, "small/obj", minio.StatObjectOptions{})
	if err != nil || st.ContentType != "text/x-small" || st.UserMetadata["Color"] != "blue" || st.Size != int64(len(small)) {
		t.Errorf("StatObject = %+v, %v", st, err)
	}
	// Range through minio's SetRange.
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(100, 199); err != nil {
		t.Fatal(err)
	}
	obj, err := c.GetObject(ctx, bucket, "big/obj", opts)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(obj)
	obj.Close()
	if !bytes.Equal(got, big[100:200]) {
		t.Errorf("range read: %d bytes", len(got))
	}
	// Listing, recursive and not.
	var keys []string
	for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true, MaxKeys: 1}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key)
	}
	if strings.Join(keys, " ") != "big/obj small/obj" {
		t.Errorf("ListObjects recursive = %v", keys)
	}
	keys = nil
	for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{}) {
		keys = append(keys, o.Key)
	}
	if strings.Join(keys, " ") != "big/ small/" {
		t.Errorf("ListObjects = %v", keys)
	}
	// Server-side copy.
	if _, err := c.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: "copy"}, minio.CopySrcOptions{Bucket: bucket, Object: "small/obj"}); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	// Presigned GET through plain net/http.
	u, err := c.PresignedGetObject(ctx, bucket, "copy", time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, small) {
		t.Errorf("presigned GET: %d, %d bytes", resp.StatusCode, len(got))
	}
	// Remove many.
	objs := make(chan minio.ObjectInfo, 3)
	for _, k := range []string{"small/obj", "big/obj", "copy"} {
		objs <- minio.ObjectInfo{Key: k}
	}
	close(objs)
	for e := range c.RemoveObjects(ctx, bucket, objs, minio.RemoveObjectsOptions{}) {
		t.Errorf("RemoveObjects: %v", e.Err)
	}
	if err := c.RemoveBucket(ctx, bucket); err != nil {
		t.Errorf("RemoveBucket: %v", err)
	}
}

// runMinioChecksums uploads with each checksum minio-go can send in a
// trailer (signed chunks over HTTP, unsigned over HTTPS).
func runMinioChecksums(t *testing.T, c *minio.Client) {
	ctx := t.Context()
	const bucket = "minio-sums"
	if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	data := randomBytes(150<<10, 7)
	for _, typ := range []minio.ChecksumType{minio.ChecksumCRC32, minio.ChecksumCRC32C, minio.ChecksumCRC64NVME, minio.ChecksumSHA1, minio.ChecksumSHA256} {
		key := "sum/" + typ.String()
		if _, err := c.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{Checksum: typ}); err != nil {
			t.Errorf("PutObject with %s: %v", typ, err)
			continue
		}
		obj, err := c.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(obj)
		obj.Close()
		if !bytes.Equal(got, data) {
			t.Errorf("%s: read back %d bytes", typ, len(got))
		}
	}
	// A multipart upload with per-part checksums.
	big := randomBytes(5<<20+1, 8)
	if _, err := c.PutObject(ctx, bucket, "sum/multi", bytes.NewReader(big), -1, minio.PutObjectOptions{PartSize: 5 << 20, Checksum: minio.ChecksumCRC32C}); err != nil {
		t.Errorf("multipart PutObject with CRC32C: %v", err)
	}
}

// TestSignatureV2 checks that requests signed with AWS Signature Version 2
// (minio-go with V2 credentials; botocore's default for presigned URLs in
// us-east-1; s3cmd signurl) get a clear refusal, not "anonymous access".
func TestSignatureV2(t *testing.T) {
	srv := newServer(t, false)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV2(testCreds.AccessKeyID, testCreds.SecretAccessKey, ""),
		Transport:    srv.Client().Transport,
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   1,
	})
	if err != nil {
		t.Fatal(err)
	}
	presigned, err := c.PresignedGetObject(t.Context(), "v2-bucket", "a/b.txt", time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	if q := presigned.Query(); !q.Has("AWSAccessKeyId") || !q.Has("Signature") || !q.Has("Expires") {
		t.Fatalf("minio-go did not presign with Signature Version 2: %s", presigned)
	}
	get := func(target string, header http.Header) func() (int, []byte) {
		return func() (int, []byte) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
			if err != nil {
				t.Fatal(err)
			}
			maps.Copy(req.Header, header)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, body
		}
	}
	tests := []struct {
		name string
		do   func() (int, []byte)
	}{
		{"presigned URL (minio-go PresignedGetObject)", get(presigned.String(), nil)},
		{"presigned URL (s3cmd signurl)", get(srv.URL+"/v2-bucket/a/b.txt?AWSAccessKeyId="+testCreds.AccessKeyID+"&Expires=1893456000&Signature=dGVzdA%3D%3D", nil)},
		{"Authorization header", get(srv.URL+"/", http.Header{"Authorization": {"AWS " + testCreds.AccessKeyID + ":dGVzdA=="}, "Date": {time.Now().UTC().Format(http.TimeFormat)}})},
		{"Authorization header (minio-go ListBuckets)", func() (int, []byte) {
			_, err := c.ListBuckets(t.Context())
			e := minio.ToErrorResponse(err)
			return e.StatusCode, []byte("<Error><Code>" + e.Code + "</Code><Message>" + e.Message + "</Message></Error>")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := tt.do()
			var e struct{ Code, Message string }
			if err := xml.Unmarshal(body, &e); err != nil {
				t.Fatalf("%d %q: %v", status, body, err)
			}
			if status != http.StatusBadRequest || e.Code != "InvalidRequest" || !strings.Contains(e.Message, "Signature Version 2 is not supported") {
				t.Errorf("got %d %s %q, want 400 InvalidRequest \"Signature Version 2 is not supported…\"", status, e.Code, e.Message)
			}
		})
	}
}
