package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/minio/minio-go/v7"

	"github.com/bindery-run/bindery/bindings/r2"
)

// newSDKClient returns an aws-sdk-go-v2 S3 client for srv.
func newSDKClient(srv *server, creds aws.Credentials) *awss3.Client {
	cfg := aws.Config{
		Region:      "auto",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		HTTPClient:  srv.Client(),
		// What config.LoadDefaultConfig sets: checksums on every upload
		// that supports them (a trailing CRC32 over TLS).
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	return awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.UsePathStyle = true
		o.RetryMaxAttempts = 1
	})
}

func sdkCreds() aws.Credentials {
	return aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: testCreds.SecretAccessKey}
}

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(n int, seed uint64) []byte {
	var key [32]byte
	key[0] = byte(seed)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// apiCode returns the S3 error code of an SDK error.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestSDK(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[tls], func(t *testing.T) {
			srv := newServer(t, tls)
			c := newSDKClient(srv, sdkCreds())
			runSDKSuite(t, srv, c)
			t.Logf("payload modes: %v", srv.modes.seen)
			if tls {
				// Over TLS the SDK sends bodies aws-chunked with a
				// trailing CRC32.
				if !srv.modes.saw("STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
					t.Errorf("the SDK never used STREAMING-UNSIGNED-PAYLOAD-TRAILER: %v", srv.modes.seen)
				}
			} else if !srv.modes.saw("<hex>") {
				t.Errorf("the SDK never sent a payload hash: %v", srv.modes.seen)
			}
		})
	}
}

func runSDKSuite(t *testing.T, srv *server, c *awss3.Client) {
	ctx := t.Context()
	const bucket = "sdk-bucket"
	if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if _, err := c.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("HeadBucket: %v", err)
	}
	lb, err := c.ListBuckets(ctx, &awss3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 1 || aws.ToString(lb.Buckets[0].Name) != bucket {
		t.Fatalf("ListBuckets = %+v, %v", lb, err)
	}
	loc, err := c.GetBucketLocation(ctx, &awss3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	if err != nil || loc.LocationConstraint != "auto" {
		t.Fatalf("GetBucketLocation = %+v, %v", loc, err)
	}

	body := randomBytes(300<<10, 1)
	t.Run("put get head", func(t *testing.T) {
		put, err := c.PutObject(ctx, &awss3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String("dir/a b+c.bin"), Body: bytes.NewReader(body),
			ContentType: aws.String("application/x-test"), CacheControl: aws.String("max-age=60"),
			ContentDisposition: aws.String(`attachment; filename="x.bin"`),
			Metadata:           map[string]string{"owner": "alice", "Mixed-Case": "v"},
		})
		if err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		if want := `"` + md5hex(body) + `"`; aws.ToString(put.ETag) != want {
			t.Errorf("ETag = %s, want %s", aws.ToString(put.ETag), want)
		}
		get, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/a b+c.bin")})
		if err != nil {
			t.Fatalf("GetObject: %v", err)
		}
		got, err := io.ReadAll(get.Body)
		get.Body.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("GetObject body: %d bytes, equal %v, %v", len(got), bytes.Equal(got, body), err)
		}
		if aws.ToString(get.ContentType) != "application/x-test" || aws.ToString(get.CacheControl) != "max-age=60" ||
			aws.ToString(get.ContentDisposition) != `attachment; filename="x.bin"` ||
			get.Metadata["owner"] != "alice" || get.Metadata["mixed-case"] != "v" {
			t.Errorf("GetObject metadata: type %q cache %q disp %q meta %v", aws.ToString(get.ContentType),
				aws.ToString(get.CacheControl), aws.ToString(get.ContentDisposition), get.Metadata)
		}
		head, err := c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/a b+c.bin")})
		if err != nil || aws.ToInt64(head.ContentLength) != int64(len(body)) || aws.ToString(head.ETag) != aws.ToString(put.ETag) {
			t.Fatalf("HeadObject = %+v, %v", head, err)
		}
		_, err = c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("missing")})
		var nf *types.NotFound
		if !errors.As(err, &nf) {
			t.Errorf("HeadObject(missing) = %v, want NotFound", err)
		}
		_, err = c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("missing")})
		var nsk *types.NoSuchKey
		if !errors.As(err, &nsk) {
			t.Errorf("GetObject(missing) = %v, want NoSuchKey", err)
		}
	})

	t.Run("range", func(t *testing.T) {
		tests := []struct {
			rng          string
			first, last  int
			contentRange string
		}{
			{"bytes=0-9", 0, 9, fmt.Sprintf("bytes 0-9/%d", len(body))},
			{"bytes=100-", 100, len(body) - 1, fmt.Sprintf("bytes 100-%d/%d", len(body)-1, len(body))},
			{"bytes=-50", len(body) - 50, len(body) - 1, fmt.Sprintf("bytes %d-%d/%d", len(body)-50, len(body)-1, len(body))},
			{"bytes=10-999999999", 10, len(body) - 1, fmt.Sprintf("bytes 10-%d/%d", len(body)-1, len(body))},
		}
		for _, tt := range tests {
			get, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/a b+c.bin"), Range: aws.String(tt.rng)})
			if err != nil {
				t.Fatalf("GetObject(%s): %v", tt.rng, err)
			}
			got, _ := io.ReadAll(get.Body)
			get.Body.Close()
			if !bytes.Equal(got, body[tt.first:tt.last+1]) || aws.ToString(get.ContentRange) != tt.contentRange {
				t.Errorf("GetObject(%s): %d bytes, Content-Range %q, want %d bytes, %q", tt.rng, len(got), aws.ToString(get.ContentRange), tt.last-tt.first+1, tt.contentRange)
			}
		}
		_, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/a b+c.bin"), Range: aws.String(fmt.Sprintf("bytes=%d-", len(body)))})
		if apiCode(err) != "InvalidRange" {
			t.Errorf("GetObject(past end) = %v, want InvalidRange", err)
		}
	})

	t.Run("conditional", func(t *testing.T) {
		key := aws.String("dir/a b+c.bin")
		etag := `"` + md5hex(body) + `"`
		_, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: key, IfNoneMatch: aws.String(etag)})
		if !strings.Contains(fmt.Sprint(err), "304") {
			t.Errorf("GetObject(If-None-Match current) = %v, want 304", err)
		}
		_, err = c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: key, IfMatch: aws.String(`"nope"`)})
		if apiCode(err) != "PreconditionFailed" {
			t.Errorf("GetObject(If-Match other) = %v, want PreconditionFailed", err)
		}
		get, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: key, IfMatch: aws.String(etag)})
		if err != nil {
			t.Fatalf("GetObject(If-Match current) = %v", err)
		}
		get.Body.Close()
		_, err = c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: key, IfModifiedSince: aws.Time(time.Now().Add(time.Hour))})
		if !strings.Contains(fmt.Sprint(err), "304") {
			t.Errorf("GetObject(If-Modified-Since future) = %v, want 304", err)
		}
		_, err = c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: key, IfUnmodifiedSince: aws.Time(time.Now().Add(-time.Hour))})
		if apiCode(err) != "PreconditionFailed" {
			t.Errorf("GetObject(If-Unmodified-Since past) = %v, want PreconditionFailed", err)
		}
		// Conditional put: If-None-Match: * refuses to overwrite.
		_, err = c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: key, Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
		if apiCode(err) != "PreconditionFailed" {
			t.Errorf("PutObject(If-None-Match *) on existing = %v, want PreconditionFailed", err)
		}
	})

	t.Run("list", func(t *testing.T) {
		const lb = "list-bucket"
		if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(lb)}); err != nil {
			t.Fatal(err)
		}
		keys := []string{"a/1", "a/2", "a/b/3", "b/1", "c", "d", "e/f/g"}
		for _, k := range keys {
			if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(lb), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
				t.Fatal(err)
			}
		}
		// Delimiter listing, paged two at a time.
		var items []string
		p := awss3.NewListObjectsV2Paginator(c, &awss3.ListObjectsV2Input{Bucket: aws.String(lb), Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)})
		pages := 0
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, o := range page.Contents {
				items = append(items, aws.ToString(o.Key))
			}
			for _, cp := range page.CommonPrefixes {
				items = append(items, aws.ToString(cp.Prefix))
			}
		}
		if want := "a/ b/ c d e/"; strings.Join(items, " ") != want || pages != 3 {
			t.Errorf("ListObjectsV2 delimiter = %q in %d pages, want %q in 3", strings.Join(items, " "), pages, want)
		}
		// Prefix listing.
		out, err := c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String(lb), Prefix: aws.String("a/"), Delimiter: aws.String("/")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Contents) != 2 || len(out.CommonPrefixes) != 1 || aws.ToString(out.CommonPrefixes[0].Prefix) != "a/b/" ||
			aws.ToInt64(out.Contents[0].Size) != 3 || aws.ToString(out.Contents[0].ETag) != `"`+md5hex([]byte("a/1"))+`"` {
			t.Errorf("ListObjectsV2 prefix = %+v", out)
		}
		// start-after, and encoding-type=url (the SDK asks for it and
		// decodes).
		out, err = c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String(lb), StartAfter: aws.String("c"), EncodingType: types.EncodingTypeUrl})
		if err != nil || len(out.Contents) != 2 || aws.ToString(out.Contents[0].Key) != "d" || aws.ToString(out.Contents[1].Key) != "e/f/g" {
			t.Errorf("ListObjectsV2 start-after = %+v, %v", out, err)
		}
		// V1 with markers, paged one at a time with a delimiter.
		items = nil
		marker := ""
		for i := 0; i < 10; i++ {
			v1, err := c.ListObjects(ctx, &awss3.ListObjectsInput{Bucket: aws.String(lb), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1), Marker: aws.String(marker)})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range v1.Contents {
				items = append(items, aws.ToString(o.Key))
			}
			for _, cp := range v1.CommonPrefixes {
				items = append(items, aws.ToString(cp.Prefix))
			}
			if !aws.ToBool(v1.IsTruncated) {
				break
			}
			marker = aws.ToString(v1.NextMarker)
		}
		if want := "a/ b/ c d e/"; strings.Join(items, " ") != want {
			t.Errorf("ListObjects V1 = %q, want %q", strings.Join(items, " "), want)
		}
		// Delete many, quietly and not.
		del, err := c.DeleteObjects(ctx, &awss3.DeleteObjectsInput{Bucket: aws.String(lb), Delete: &types.Delete{
			Objects: []types.ObjectIdentifier{{Key: aws.String("a/1")}, {Key: aws.String("a/2")}, {Key: aws.String("nope")}},
		}})
		if err != nil || len(del.Deleted) != 3 || len(del.Errors) != 0 {
			t.Fatalf("DeleteObjects = %+v, %v", del, err)
		}
		del, err = c.DeleteObjects(ctx, &awss3.DeleteObjectsInput{Bucket: aws.String(lb), Delete: &types.Delete{
			Objects: []types.ObjectIdentifier{{Key: aws.String("a/b/3")}, {Key: aws.String("b/1")}}, Quiet: aws.Bool(true),
		}})
		if err != nil || len(del.Deleted) != 0 || len(del.Errors) != 0 {
			t.Fatalf("DeleteObjects quiet = %+v, %v", del, err)
		}
		for _, k := range []string{"c", "d", "e/f/g"} {
			if _, err := c.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(lb), Key: aws.String(k)}); err != nil {
				t.Fatal(err)
			}
		}
		// Deleting a missing key succeeds.
		if _, err := c.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(lb), Key: aws.String("c")}); err != nil {
			t.Errorf("DeleteObject(missing) = %v", err)
		}
		out, err = c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String(lb)})
		if err != nil || aws.ToInt32(out.KeyCount) != 0 {
			t.Errorf("ListObjectsV2 after deletes = %+v, %v", out, err)
		}
		if _, err := c.DeleteBucket(ctx, &awss3.DeleteBucketInput{Bucket: aws.String(lb)}); err != nil {
			t.Errorf("DeleteBucket: %v", err)
		}
		if _, err := c.DeleteBucket(ctx, &awss3.DeleteBucketInput{Bucket: aws.String(bucket)}); apiCode(err) != "BucketNotEmpty" {
			t.Errorf("DeleteBucket(non-empty) = %v, want BucketNotEmpty", err)
		}
		if _, err := c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String(lb)}); apiCode(err) != "NoSuchBucket" {
			t.Errorf("ListObjectsV2(deleted bucket) = %v, want NoSuchBucket", err)
		}
	})

	t.Run("multipart", func(t *testing.T) {
		key := aws.String("big/multi.bin")
		parts := [][]byte{randomBytes(5<<20, 2), randomBytes(5<<20, 3), randomBytes(1<<20, 4)}
		cr, err := c.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: key, ContentType: aws.String("video/x-test")})
		if err != nil {
			t.Fatal(err)
		}
		ups, err := c.ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		if err != nil || len(ups.Uploads) != 1 || aws.ToString(ups.Uploads[0].UploadId) != aws.ToString(cr.UploadId) {
			t.Fatalf("ListMultipartUploads = %+v, %v", ups, err)
		}
		var completed []types.CompletedPart
		var sums []byte
		for i, p := range parts {
			up, err := c.UploadPart(ctx, &awss3.UploadPartInput{Bucket: aws.String(bucket), Key: key, UploadId: cr.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
			if err != nil {
				t.Fatalf("UploadPart %d: %v", i+1, err)
			}
			completed = append(completed, types.CompletedPart{ETag: up.ETag, PartNumber: aws.Int32(int32(i + 1))})
			s := md5.Sum(p)
			sums = append(sums, s[:]...)
		}
		lp, err := c.ListParts(ctx, &awss3.ListPartsInput{Bucket: aws.String(bucket), Key: key, UploadId: cr.UploadId, MaxParts: aws.Int32(2)})
		if err != nil || len(lp.Parts) != 2 || !aws.ToBool(lp.IsTruncated) || aws.ToInt64(lp.Parts[1].Size) != 5<<20 {
			t.Fatalf("ListParts = %+v, %v", lp, err)
		}
		done, err := c.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: key, UploadId: cr.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: completed}})
		if err != nil {
			t.Fatalf("CompleteMultipartUpload: %v", err)
		}
		if want := fmt.Sprintf(`"%s-3"`, md5hex(sums)); aws.ToString(done.ETag) != want {
			t.Errorf("multipart ETag = %s, want %s", aws.ToString(done.ETag), want)
		}
		get, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: key, Range: aws.String(fmt.Sprintf("bytes=%d-%d", 5<<20-10, 5<<20+9))})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(get.Body)
		get.Body.Close()
		want := append(append([]byte{}, parts[0][5<<20-10:]...), parts[1][:10]...)
		if !bytes.Equal(got, want) || aws.ToString(get.ContentType) != "video/x-test" {
			t.Errorf("range across parts: %x, type %q", got, aws.ToString(get.ContentType))
		}
		// Too-small part and abort.
		cr2, err := c.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: key})
		if err != nil {
			t.Fatal(err)
		}
		var small []types.CompletedPart
		for i := 1; i <= 2; i++ {
			up, err := c.UploadPart(ctx, &awss3.UploadPartInput{Bucket: aws.String(bucket), Key: key, UploadId: cr2.UploadId, PartNumber: aws.Int32(int32(i)), Body: strings.NewReader("tiny")})
			if err != nil {
				t.Fatal(err)
			}
			small = append(small, types.CompletedPart{ETag: up.ETag, PartNumber: aws.Int32(int32(i))})
		}
		_, err = c.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: key, UploadId: cr2.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: small}})
		if apiCode(err) != "EntityTooSmall" {
			t.Errorf("Complete(small parts) = %v, want EntityTooSmall", err)
		}
		if _, err := c.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: key, UploadId: cr2.UploadId}); err != nil {
			t.Errorf("AbortMultipartUpload: %v", err)
		}
		_, err = c.ListParts(ctx, &awss3.ListPartsInput{Bucket: aws.String(bucket), Key: key, UploadId: cr2.UploadId})
		if apiCode(err) != "NoSuchUpload" {
			t.Errorf("ListParts(aborted) = %v, want NoSuchUpload", err)
		}
	})

	t.Run("copy", func(t *testing.T) {
		cp, err := c.CopyObject(ctx, &awss3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy/of it"), CopySource: aws.String(bucket + "/dir/a%20b%2Bc.bin")})
		if err != nil {
			t.Fatalf("CopyObject: %v", err)
		}
		if want := `"` + md5hex(body) + `"`; aws.ToString(cp.CopyObjectResult.ETag) != want {
			t.Errorf("CopyObject ETag = %s, want %s", aws.ToString(cp.CopyObjectResult.ETag), want)
		}
		head, err := c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy/of it")})
		if err != nil || head.Metadata["owner"] != "alice" || aws.ToString(head.ContentType) != "application/x-test" {
			t.Errorf("copied HeadObject = %+v, %v", head, err)
		}
		_, err = c.CopyObject(ctx, &awss3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy/2"), CopySource: aws.String(bucket + "/dir/a%20b%2Bc.bin"),
			MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/plain"), Metadata: map[string]string{"new": "1"}})
		if err != nil {
			t.Fatal(err)
		}
		head, err = c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy/2")})
		if err != nil || head.Metadata["new"] != "1" || head.Metadata["owner"] != "" || aws.ToString(head.ContentType) != "text/plain" {
			t.Errorf("replaced HeadObject = %+v, %v", head, err)
		}
		_, err = c.CopyObject(ctx, &awss3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy/3"), CopySource: aws.String(bucket + "/nope")})
		if apiCode(err) != "NoSuchKey" {
			t.Errorf("CopyObject(missing) = %v, want NoSuchKey", err)
		}
		_, err = c.CopyObject(ctx, &awss3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy/3"), CopySource: aws.String(bucket + "/copy/2"), CopySourceIfMatch: aws.String(`"x"`)})
		if apiCode(err) != "PreconditionFailed" {
			t.Errorf("CopyObject(if-match other) = %v, want PreconditionFailed", err)
		}
	})

	t.Run("presigned", func(t *testing.T) {
		ps := awss3.NewPresignClient(c)
		req, err := ps.PresignGetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/a b+c.bin"), ResponseContentType: aws.String("text/x-override")}, awss3.WithPresignExpires(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Get(req.URL)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) || resp.Header.Get("Content-Type") != "text/x-override" {
			t.Errorf("presigned GET: %d, %d bytes, type %q", resp.StatusCode, len(got), resp.Header.Get("Content-Type"))
		}
		// Tampering with the URL breaks the signature.
		resp, err = srv.Client().Get(strings.Replace(req.URL, "a%20b", "a%20c", 1))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("tampered presigned GET: %d, want 403", resp.StatusCode)
		}
		// Presigned PUT.
		preq, err := ps.PresignPutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("presigned-put")}, awss3.WithPresignExpires(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		hreq, _ := http.NewRequestWithContext(ctx, http.MethodPut, preq.URL, strings.NewReader("via presigned put"))
		for k, v := range preq.SignedHeader {
			if !strings.EqualFold(k, "host") {
				hreq.Header[k] = v
			}
		}
		resp, err = srv.Client().Do(hreq)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("presigned PUT: %d %s", resp.StatusCode, msg)
		}
	})

	t.Run("wrong credentials", func(t *testing.T) {
		bad := newSDKClient(srv, aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: "wrong"})
		_, err := bad.ListBuckets(ctx, &awss3.ListBucketsInput{})
		if apiCode(err) != "SignatureDoesNotMatch" {
			t.Errorf("wrong secret: %v, want SignatureDoesNotMatch", err)
		}
		_, err = bad.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("evil"), Body: strings.NewReader("x")})
		if apiCode(err) != "SignatureDoesNotMatch" {
			t.Errorf("wrong secret put: %v, want SignatureDoesNotMatch", err)
		}
		unknown := newSDKClient(srv, aws.Credentials{AccessKeyID: "nobody", SecretAccessKey: "x"})
		_, err = unknown.ListBuckets(ctx, &awss3.ListBucketsInput{})
		if apiCode(err) != "InvalidAccessKeyId" {
			t.Errorf("unknown key: %v, want InvalidAccessKeyId", err)
		}
		resp, err := srv.Client().Get(srv.URL + "/" + bucket + "/dir/a%20b%2Bc.bin")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("anonymous GET: %d, want 403", resp.StatusCode)
		}
	})

	t.Run("store interop", func(t *testing.T) {
		// Written through the store, read through S3.
		b, err := srv.store.Bucket(ctx, bucket)
		if err != nil {
			t.Fatal(err)
		}
		data := randomBytes(70000, 9)
		if _, err := b.Put(ctx, "from-store", bytes.NewReader(data), r2.PutOptions{HTTPMetadata: r2.HTTPMetadata{ContentType: "image/png"}, CustomMetadata: map[string]string{"k": "v"}}); err != nil {
			t.Fatal(err)
		}
		get, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("from-store")})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(get.Body)
		get.Body.Close()
		if !bytes.Equal(got, data) || aws.ToString(get.ContentType) != "image/png" || get.Metadata["k"] != "v" {
			t.Errorf("store→S3: equal %v, type %q, meta %v", bytes.Equal(got, data), aws.ToString(get.ContentType), get.Metadata)
		}
		// Written through S3, read through the store.
		if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("from-s3"), Body: bytes.NewReader(data),
			ContentLanguage: aws.String("de"), Metadata: map[string]string{"x": "y"}}); err != nil {
			t.Fatal(err)
		}
		ob, err := b.Get(ctx, "from-s3", r2.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, _ = io.ReadAll(ob.Body)
		ob.Body.Close()
		if !bytes.Equal(got, data) || ob.HTTPMetadata.ContentLanguage != "de" || ob.HTTPMetadata.ContentEncoding != "" || ob.CustomMetadata["x"] != "y" || ob.ETag != md5hex(data) {
			t.Errorf("S3→store: equal %v, %+v, %v, etag %s", bytes.Equal(got, data), ob.HTTPMetadata, ob.CustomMetadata, ob.ETag)
		}
	})
}

// TestListBucketsPaging checks ListBuckets' prefix, max-buckets and
// continuation-token, through the SDK's paginator and raw requests.
func TestListBucketsPaging(t *testing.T) {
	srv := newServer(t, false)
	c := newSDKClient(srv, sdkCreds())
	ctx := t.Context()
	all := []string{"lb-a1", "lb-a2", "lb-a3", "lb-b1", "other"}
	for _, name := range all {
		if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		in         awss3.ListBucketsInput
		want       string // the buckets of every page, pages separated by "|"
		wantPrefix string
	}{
		{name: "all", want: "lb-a1 lb-a2 lb-a3 lb-b1 other"},
		{name: "prefix", in: awss3.ListBucketsInput{Prefix: aws.String("lb-a")}, want: "lb-a1 lb-a2 lb-a3", wantPrefix: "lb-a"},
		{name: "prefix matching nothing", in: awss3.ListBucketsInput{Prefix: aws.String("zzz")}, want: "", wantPrefix: "zzz"},
		{name: "pages of 2", in: awss3.ListBucketsInput{MaxBuckets: aws.Int32(2)}, want: "lb-a1 lb-a2|lb-a3 lb-b1|other"},
		{name: "pages of 2 with a prefix", in: awss3.ListBucketsInput{MaxBuckets: aws.Int32(2), Prefix: aws.String("lb-")}, want: "lb-a1 lb-a2|lb-a3 lb-b1", wantPrefix: "lb-"},
		{name: "one page exactly", in: awss3.ListBucketsInput{MaxBuckets: aws.Int32(5)}, want: "lb-a1 lb-a2 lb-a3 lb-b1 other"},
		{name: "pages of 10000", in: awss3.ListBucketsInput{MaxBuckets: aws.Int32(10000)}, want: "lb-a1 lb-a2 lb-a3 lb-b1 other"},
		{name: "this region", in: awss3.ListBucketsInput{BucketRegion: aws.String("auto")}, want: "lb-a1 lb-a2 lb-a3 lb-b1 other"},
		{name: "this region by another name", in: awss3.ListBucketsInput{BucketRegion: aws.String("us-east-1")}, want: "lb-a1 lb-a2 lb-a3 lb-b1 other"},
		{name: "another region", in: awss3.ListBucketsInput{BucketRegion: aws.String("eu-west-3")}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			p := awss3.NewListBucketsPaginator(c, &in)
			var pages []string
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, b := range out.Buckets {
					names = append(names, aws.ToString(b.Name))
				}
				pages = append(pages, strings.Join(names, " "))
				if aws.ToString(out.Prefix) != tt.wantPrefix {
					t.Errorf("Prefix = %q, want %q", aws.ToString(out.Prefix), tt.wantPrefix)
				}
				if len(pages) > len(all)+1 {
					t.Fatalf("endless pages: %q", pages)
				}
			}
			if got := strings.Join(pages, "|"); got != tt.want {
				t.Errorf("pages %q, want %q", got, tt.want)
			}
		})
	}

	rc := rawClient{t, srv}
	errs := []struct{ query, code, message string }{
		{"continuation-token=bogus", "InvalidArgument", "The continuation token provided is incorrect"},
		{"continuation-token=&max-buckets=2", "", ""},
		{"max-buckets=0", "InvalidArgument", ""},
		{"max-buckets=10001", "InvalidArgument", ""},
		{"max-buckets=two", "InvalidArgument", ""},
	}
	for _, tt := range errs {
		t.Run(tt.query, func(t *testing.T) {
			resp, out := rc.do("GET", "/?"+tt.query, nil, "", nil)
			if tt.code == "" {
				if resp.StatusCode != 200 {
					t.Fatalf("%d %s", resp.StatusCode, out)
				}
				return
			}
			e := parseError(t, out)
			if resp.StatusCode != 400 || e.Code != tt.code || tt.message != "" && e.Message != tt.message {
				t.Errorf("%d %+v, want 400 %s %q", resp.StatusCode, e, tt.code, tt.message)
			}
		})
	}
}

// TestBadContinuationToken checks S3's answer to a continuation token the
// server did not give out: InvalidArgument with S3's message, not the
// store's error text.
func TestBadContinuationToken(t *testing.T) {
	srv := newServer(t, false)
	c := newSDKClient(srv, sdkCreds())
	ctx := t.Context()
	if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("tokens")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func(token string) error
	}{
		{"ListObjectsV2", func(token string) error {
			_, err := c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String("tokens"), ContinuationToken: aws.String(token)})
			return err
		}},
		{"ListBuckets", func(token string) error {
			_, err := c.ListBuckets(ctx, &awss3.ListBucketsInput{ContinuationToken: aws.String(token)})
			return err
		}},
	}
	for _, tt := range tests {
		for _, token := range []string{"bogus", "!!not base64!!", "Yg", strings.Repeat("A", 64)} {
			t.Run(tt.name+" "+token, func(t *testing.T) {
				err := tt.call(token)
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidArgument" || ae.ErrorMessage() != "The continuation token provided is incorrect" {
					t.Errorf("err = %v, want InvalidArgument \"The continuation token provided is incorrect\"", err)
				}
			})
		}
	}
}

// TestCreateBucketNames checks that CreateBucket takes R2's bucket names:
// 3 to 63 characters of a-z, 0-9 and "-", a letter or digit at both ends.
func TestCreateBucketNames(t *testing.T) {
	srv := newServer(t, false)
	c := newSDKClient(srv, sdkCreds())
	tests := []struct {
		name  string
		valid bool
	}{
		{"abc", true},
		{"my-bucket-2", true},
		{"123", true},
		{strings.Repeat("x", 63), true},
		{"ab", false},
		{strings.Repeat("x", 64), false},
		{"my.bucket", false},
		{"my_bucket", false},
		{"-abc", false},
		{"abc-", false},
		{"ABC", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateBucket(t.Context(), &awss3.CreateBucketInput{Bucket: aws.String(tt.name)})
			switch {
			case tt.valid && err != nil:
				t.Fatalf("CreateBucket(%q) = %v", tt.name, err)
			case !tt.valid && apiCode(err) != "InvalidBucketName":
				t.Fatalf("CreateBucket(%q) = %v, want InvalidBucketName", tt.name, err)
			}
			_, err = c.HeadBucket(t.Context(), &awss3.HeadBucketInput{Bucket: aws.String(tt.name)})
			if exists := err == nil; exists != tt.valid {
				t.Errorf("HeadBucket(%q) = %v", tt.name, err)
			}
		})
	}
}

// TestMultipartPartSizes checks CompleteMultipartUpload against R2's part
// rules, with R2's errors: every part but the last at least the minimum
// (EntityTooSmall), all of them the same size, and the last one no larger
// (InvalidPart "All non-trailing parts must have the same length.").
func TestMultipartPartSizes(t *testing.T) {
	const min = 5 << 10
	srv := newServerWith(t, false, r2.Options{Limits: r2.Limits{MinPartBytes: min}})
	c := newSDKClient(srv, sdkCreds())
	ctx := t.Context()
	if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("parts")}); err != nil {
		t.Fatal(err)
	}
	const unequal = "All non-trailing parts must have the same length."
	const tooSmall = "Your proposed upload is smaller than the minimum allowed object size."
	tests := []struct {
		name          string
		sizes         []int
		code, message string
	}{
		{name: "equal parts, smaller last", sizes: []int{min, min, 1}},
		{name: "equal parts, equal last", sizes: []int{min + 1, min + 1, min + 1}},
		{name: "one part of any size", sizes: []int{3 * min}},
		{name: "empty last part", sizes: []int{min, 0}},
		{name: "second part larger", sizes: []int{min, min + 1, 1}, code: "InvalidPart", message: unequal},
		{name: "second part smaller", sizes: []int{min + 1, min, 1}, code: "InvalidPart", message: unequal},
		{name: "last part larger", sizes: []int{min, min + 1}, code: "InvalidPart", message: unequal},
		{name: "last part larger than equal others", sizes: []int{min, min, 2 * min}, code: "InvalidPart", message: unequal},
		{name: "first part too small", sizes: []int{min - 1, 1}, code: "EntityTooSmall", message: tooSmall},
		{name: "all parts too small", sizes: []int{4, 4}, code: "EntityTooSmall", message: tooSmall},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := aws.String(fmt.Sprintf("mp/%d", i))
			cr, err := c.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String("parts"), Key: key})
			if err != nil {
				t.Fatal(err)
			}
			var done []types.CompletedPart
			var want []byte
			for n, size := range tt.sizes {
				data := randomBytes(size, uint64(n+1))
				want = append(want, data...)
				up, err := c.UploadPart(ctx, &awss3.UploadPartInput{Bucket: aws.String("parts"), Key: key, UploadId: cr.UploadId, PartNumber: aws.Int32(int32(n + 1)), Body: bytes.NewReader(data)})
				if err != nil {
					t.Fatalf("UploadPart %d: %v", n+1, err)
				}
				done = append(done, types.CompletedPart{ETag: up.ETag, PartNumber: aws.Int32(int32(n + 1))})
			}
			_, err = c.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{Bucket: aws.String("parts"), Key: key, UploadId: cr.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
			if tt.code == "" {
				if err != nil {
					t.Fatalf("CompleteMultipartUpload: %v", err)
				}
				get, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("parts"), Key: key})
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(get.Body)
				get.Body.Close()
				if !bytes.Equal(got, want) {
					t.Errorf("read back %d bytes, want %d", len(got), len(want))
				}
				return
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.code || ae.ErrorMessage() != tt.message {
				t.Fatalf("CompleteMultipartUpload = %v, want %s %q", err, tt.code, tt.message)
			}
			// The upload is still there, as it was.
			lp, err := c.ListParts(ctx, &awss3.ListPartsInput{Bucket: aws.String("parts"), Key: key, UploadId: cr.UploadId})
			if err != nil || len(lp.Parts) != len(tt.sizes) {
				t.Errorf("ListParts after the failure = %+v, %v", lp, err)
			}
		})
	}
}

// TestCopyObjectOntoItself checks S3's rule that a copy onto the source
// object must change something (REPLACE metadata, the storage class).
// Keys are opaque: "dir//x" and "dir/x" are different objects.
func TestCopyObjectOntoItself(t *testing.T) {
	srv := newServer(t, false)
	c := newSDKClient(srv, sdkCreds())
	ctx := t.Context()
	const bucket = "copies"
	if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	const illegal = "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."
	for _, k := range []string{"self", "a b+c", "dir//x"} {
		if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader("data of " + k),
			ContentType: aws.String("text/plain"), Metadata: map[string]string{"v": "1"}}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		in      awss3.CopyObjectInput
		illegal bool
		check   func(t *testing.T, head *awss3.HeadObjectOutput)
	}{
		{name: "onto itself", in: awss3.CopyObjectInput{Key: aws.String("self"), CopySource: aws.String(bucket + "/self")}, illegal: true},
		{name: "onto itself, leading slash", in: awss3.CopyObjectInput{Key: aws.String("self"), CopySource: aws.String("/" + bucket + "/self")}, illegal: true},
		{name: "onto itself, encoded key", in: awss3.CopyObjectInput{Key: aws.String("a b+c"), CopySource: aws.String(bucket + "/a%20b%2Bc")}, illegal: true},
		{name: "onto itself, COPY", in: awss3.CopyObjectInput{Key: aws.String("self"), CopySource: aws.String(bucket + "/self"), MetadataDirective: types.MetadataDirectiveCopy}, illegal: true},
		{name: "onto itself, new metadata without REPLACE", in: awss3.CopyObjectInput{Key: aws.String("self"), CopySource: aws.String(bucket + "/self"), Metadata: map[string]string{"v": "2"}}, illegal: true},
		{name: "onto itself, REPLACE", in: awss3.CopyObjectInput{Key: aws.String("self"), CopySource: aws.String(bucket + "/self"), MetadataDirective: types.MetadataDirectiveReplace,
			ContentType: aws.String("text/x-new"), Metadata: map[string]string{"v": "2"}},
			check: func(t *testing.T, head *awss3.HeadObjectOutput) {
				if aws.ToString(head.ContentType) != "text/x-new" || head.Metadata["v"] != "2" {
					t.Errorf("after REPLACE: %q %v", aws.ToString(head.ContentType), head.Metadata)
				}
			}},
		{name: "onto itself, storage class", in: awss3.CopyObjectInput{Key: aws.String("self"), CopySource: aws.String(bucket + "/self"), StorageClass: types.StorageClassStandardIa},
			check: func(t *testing.T, head *awss3.HeadObjectOutput) {
				if head.StorageClass != types.StorageClassStandardIa {
					t.Errorf("storage class %q", head.StorageClass)
				}
			}},
		{name: "to a key that differs by a slash", in: awss3.CopyObjectInput{Key: aws.String("dir/x"), CopySource: aws.String(bucket + "/dir//x")},
			check: func(t *testing.T, head *awss3.HeadObjectOutput) {
				if aws.ToInt64(head.ContentLength) != int64(len("data of dir//x")) {
					t.Errorf("copy is %d bytes", aws.ToInt64(head.ContentLength))
				}
			}},
		{name: "to another key", in: awss3.CopyObjectInput{Key: aws.String("other"), CopySource: aws.String(bucket + "/self")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Bucket = aws.String(bucket)
			_, err := c.CopyObject(ctx, &in)
			if tt.illegal {
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidRequest" || ae.ErrorMessage() != illegal {
					t.Fatalf("CopyObject = %v, want InvalidRequest %q", err, illegal)
				}
				return
			}
			if err != nil {
				t.Fatalf("CopyObject: %v", err)
			}
			head, err := c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(bucket), Key: in.Key})
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, head)
			}
		})
	}
	t.Run("minio-go", func(t *testing.T) {
		mc := newMinioClient(t, srv, testCreds.SecretAccessKey, false)
		_, err := mc.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: "other"}, minio.CopySrcOptions{Bucket: bucket, Object: "other"})
		if e := minio.ToErrorResponse(err); e.Code != "InvalidRequest" || e.Message != illegal {
			t.Errorf("minio-go CopyObject onto itself = %v, want InvalidRequest", err)
		}
	})
}

// checksumsOf returns the base64 x-amz-checksum-* values of data, by
// algorithm.
func checksumsOf(data []byte) map[string]string {
	b64 := base64.StdEncoding.EncodeToString
	s1, s256 := sha1.Sum(data), sha256.Sum256(data)
	return map[string]string{
		"CRC32":     b64(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data))),
		"CRC32C":    b64(binary.BigEndian.AppendUint32(nil, crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))),
		"CRC64NVME": b64(binary.BigEndian.AppendUint64(nil, crc64.Checksum(data, crc64.MakeTable(0x9A6C9329AC4BC9B5)))),
		"SHA1":      b64(s1[:]),
		"SHA256":    b64(s256[:]),
	}
}

// TestChecksumsStored checks that the additional checksums a client sends
// (as headers over HTTP, in a trailer over HTTPS) are kept and returned by
// GetObject and HeadObject with x-amz-checksum-mode: ENABLED, through the
// SDK (which also verifies the body against them) and minio-go.
func TestChecksumsStored(t *testing.T) {
	data := randomBytes(100<<10+3, 21)
	want := checksumsOf(data)
	algorithms := []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c,
		types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256}
	// got returns the checksums of an SDK output, by algorithm.
	got := func(crc32, crc32c, crc64, sha1, sha256 *string) map[string]string {
		m := map[string]string{}
		for alg, v := range map[string]*string{"CRC32": crc32, "CRC32C": crc32c, "CRC64NVME": crc64, "SHA1": sha1, "SHA256": sha256} {
			if v != nil {
				m[alg] = *v
			}
		}
		return m
	}
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[tls], func(t *testing.T) {
			srv := newServer(t, tls)
			c := newSDKClient(srv, sdkCreds())
			ctx := t.Context()
			if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("sums")}); err != nil {
				t.Fatal(err)
			}
			for _, alg := range algorithms {
				t.Run("sdk "+string(alg), func(t *testing.T) {
					key := aws.String("sdk/" + string(alg))
					put, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("sums"), Key: key, Body: bytes.NewReader(data), ChecksumAlgorithm: alg})
					if err != nil {
						t.Fatal(err)
					}
					if g := got(put.ChecksumCRC32, put.ChecksumCRC32C, put.ChecksumCRC64NVME, put.ChecksumSHA1, put.ChecksumSHA256); g[string(alg)] != want[string(alg)] {
						t.Errorf("PutObject checksums %v, want %s %s", g, alg, want[string(alg)])
					}
					head, err := c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("sums"), Key: key, ChecksumMode: types.ChecksumModeEnabled})
					if err != nil {
						t.Fatal(err)
					}
					if g := got(head.ChecksumCRC32, head.ChecksumCRC32C, head.ChecksumCRC64NVME, head.ChecksumSHA1, head.ChecksumSHA256); len(g) != 1 || g[string(alg)] != want[string(alg)] || head.ChecksumType != types.ChecksumTypeFullObject {
						t.Errorf("HeadObject checksums %v (type %q), want only %s %s, FULL_OBJECT", g, head.ChecksumType, alg, want[string(alg)])
					}
					get, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("sums"), Key: key, ChecksumMode: types.ChecksumModeEnabled})
					if err != nil {
						t.Fatal(err)
					}
					body, err := io.ReadAll(get.Body) // the SDK checks the body against the checksum
					get.Body.Close()
					if err != nil || !bytes.Equal(body, data) {
						t.Fatalf("GetObject body: %d bytes, %v", len(body), err)
					}
					if g := got(get.ChecksumCRC32, get.ChecksumCRC32C, get.ChecksumCRC64NVME, get.ChecksumSHA1, get.ChecksumSHA256); len(g) != 1 || g[string(alg)] != want[string(alg)] {
						t.Errorf("GetObject checksums %v, want only %s %s", g, alg, want[string(alg)])
					}
					// Without checksum mode, none.
					head, err = c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("sums"), Key: key})
					if g := got(head.ChecksumCRC32, head.ChecksumCRC32C, head.ChecksumCRC64NVME, head.ChecksumSHA1, head.ChecksumSHA256); err != nil || len(g) != 0 {
						t.Errorf("HeadObject without checksum mode: %v, %v", g, err)
					}
				})
			}
			mc := newMinioClient(t, srv, testCreds.SecretAccessKey, true)
			for _, typ := range []minio.ChecksumType{minio.ChecksumCRC32, minio.ChecksumCRC32C, minio.ChecksumCRC64NVME, minio.ChecksumSHA1, minio.ChecksumSHA256} {
				t.Run("minio-go "+typ.String(), func(t *testing.T) {
					key := "minio/" + typ.String()
					if _, err := mc.PutObject(ctx, "sums", key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{Checksum: typ}); err != nil {
						t.Fatal(err)
					}
					st, err := mc.StatObject(ctx, "sums", key, minio.StatObjectOptions{Checksum: true})
					if err != nil {
						t.Fatal(err)
					}
					g := map[string]string{"CRC32": st.ChecksumCRC32, "CRC32C": st.ChecksumCRC32C, "CRC64NVME": st.ChecksumCRC64NVME, "SHA1": st.ChecksumSHA1, "SHA256": st.ChecksumSHA256}
					for alg, v := range g {
						if alg == typ.String() && v != want[alg] || alg != typ.String() && v != "" {
							t.Errorf("StatObject %s = %q (want %s %s)", alg, v, typ, want[typ.String()])
						}
					}
				})
			}
		})
	}
	// A raw put with several checksum headers keeps them all; a wrong one
	// stores nothing.
	srv := newServer(t, false)
	rc := rawClient{t, srv}
	if resp, out := rc.do("PUT", "/raw-sums", nil, "", nil); resp.StatusCode != 200 {
		t.Fatalf("create bucket: %d %s", resp.StatusCode, out)
	}
	all := map[string]string{}
	for alg, v := range want {
		all["X-Amz-Checksum-"+alg] = v
	}
	if resp, out := rc.do("PUT", "/raw-sums/all", bytes.NewReader(data), "UNSIGNED-PAYLOAD", all); resp.StatusCode != 200 {
		t.Fatalf("put: %d %s", resp.StatusCode, out)
	}
	resp, _ := rc.do("HEAD", "/raw-sums/all", nil, "", map[string]string{"X-Amz-Checksum-Mode": "ENABLED"})
	for alg, v := range want {
		if got := resp.Header.Get("X-Amz-Checksum-" + alg); got != v {
			t.Errorf("HEAD %s = %q, want %q", alg, got, v)
		}
	}
	bad := map[string]string{"X-Amz-Checksum-Crc64nvme": checksumsOf([]byte("other"))["CRC64NVME"]}
	if resp, out := rc.do("PUT", "/raw-sums/bad", bytes.NewReader(data), "UNSIGNED-PAYLOAD", bad); resp.StatusCode != 400 || parseError(t, out).Code != "BadDigest" {
		t.Errorf("put with a wrong CRC64NVME: %d %s", resp.StatusCode, out)
	}
	if resp, _ := rc.do("HEAD", "/raw-sums/bad", nil, "", nil); resp.StatusCode != 404 {
		t.Errorf("after a BadDigest, HEAD = %d", resp.StatusCode)
	}
}
