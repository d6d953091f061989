package examples_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/bindery-run/bindery/bindings/r2/s3"
)

// TestWorkerAndS3ShareBuckets: what the r2-files Worker writes, a real S3
// client (aws-sdk-go-v2) reads through the S3 endpoint over the same store
// (get, range, list, head), and what the S3 client writes (a put and a
// multipart upload), the Worker serves.
func TestWorkerAndS3ShareBuckets(t *testing.T) {
	w, st := newR2Worker(t)
	creds, err := s3.NewCredentials()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s3.NewHandler(st.R2(), s3.Options{Credentials: []s3.Credentials{creds}}))
	defer srv.Close()
	c := awss3.NewFromConfig(aws.Config{
		Region: "auto",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey}, nil
		}),
	}, func(o *awss3.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.UsePathStyle = true
	})
	ctx := context.Background()

	// The Worker writes; S3 reads.
	req := httptest.NewRequest("PUT", "/files/docs/readme.txt", strings.NewReader("written by the worker"))
	req.Header.Set("Content-Type", "text/markdown")
	req.Header.Set("X-Meta-Author", "worker")
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("worker PUT: %d %s", rec.Code, rec.Body)
	}
	out, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("docs/readme.txt")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(body) != "written by the worker" || aws.ToString(out.ContentType) != "text/markdown" || out.Metadata["author"] != "worker" {
		t.Errorf("S3 GetObject = %q, type %q, metadata %v", body, aws.ToString(out.ContentType), out.Metadata)
	}
	rng, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("docs/readme.txt"), Range: aws.String("bytes=11-13")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(rng.Body)
	rng.Body.Close()
	if string(body) != "the" || aws.ToString(rng.ContentRange) != "bytes 11-13/21" {
		t.Errorf("S3 range = %q (%s)", body, aws.ToString(rng.ContentRange))
	}
	list, err := c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String("files"), Prefix: aws.String("docs/"), Delimiter: aws.String("/")})
	if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "docs/readme.txt" {
		t.Errorf("S3 list = %+v, %v", list, err)
	}

	// S3 writes (a put, and a multipart upload of 5 MiB + 1 KiB); the Worker serves.
	if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("files"), Key: aws.String("from-s3.txt"), Body: strings.NewReader("written over S3"), ContentType: aws.String("text/plain")}); err != nil {
		t.Fatal(err)
	}
	up, err := c.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String("files"), Key: aws.String("big.bin")})
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := bytes.Repeat([]byte{'a'}, 5<<20), bytes.Repeat([]byte{'b'}, 1024)
	var parts []types.CompletedPart
	for i, p := range [][]byte{p1, p2} {
		n := int32(i + 1)
		r, err := c.UploadPart(ctx, &awss3.UploadPartInput{Bucket: aws.String("files"), Key: aws.String("big.bin"), UploadId: up.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{ETag: r.ETag, PartNumber: aws.Int32(n)})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{Bucket: aws.String("files"), Key: aws.String("big.bin"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	check(t, w, []call{{"GET", "/files/from-s3.txt", "", 200, "written over S3"}})
	rec = httptest.NewRecorder()
	req = httptest.NewRequest("GET", "/files/big.bin", nil)
	req.Header.Set("Range", "bytes=5242879-5242880")
	w.ServeHTTP(rec, req)
	if rec.Code != http.StatusPartialContent || rec.Body.String() != "ab" || !strings.HasSuffix(rec.Header().Get("Etag"), `-2"`) {
		t.Errorf("worker range over the multipart object: %d %q etag %s", rec.Code, rec.Body, rec.Header().Get("Etag"))
	}
}
