package examples_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/bindery-run/bindery/bindings/r2/s3"
	"github.com/bindery-run/bindery/internal/testutil"
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

// TestDevServerS3: `bindery dev` on a project with an R2 bucket prints its
// S3 endpoint and credentials; an S3 client configured from that line
// reads what the Worker wrote, and the credentials stay the same across a
// restart on the same data directory.
func TestDevServerS3(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the CLI")
	}
	bin := testutil.BuildCLI(t)
	dir := t.TempDir()
	toml := fmt.Sprintf("name = \"files\"\nmain = %q\n\n[[r2_buckets]]\nbinding = \"FILES\"\nbucket_name = \"files\"\n", testutil.BuildGoGuest(t, "examples/r2-files"))
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	s3line := regexp.MustCompile(`^S3 API on (http://\S+) \(path-style, region auto\): access key (\S+), secret (\S+)$`)
	endpoint := func(lines []string) []string {
		for _, l := range lines {
			if m := s3line.FindStringSubmatch(l); m != nil {
				return m[1:]
			}
		}
		t.Fatalf("no S3 line in the start-up output:\n%s", strings.Join(lines, "\n"))
		return nil
	}
	u, cmd, lines := startDevLines(t, bin, dir)
	first := endpoint(lines)
	req, _ := http.NewRequest("PUT", u+"/files/hello.txt", strings.NewReader("from the worker"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT through the Worker: %v %v", resp, err)
	}
	resp.Body.Close()
	c := awss3.NewFromConfig(aws.Config{
		Region: "auto",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: first[1], SecretAccessKey: first[2]}, nil
		}),
	}, func(o *awss3.Options) { o.BaseEndpoint = aws.String(first[0]); o.UsePathStyle = true })
	out, err := c.GetObject(context.Background(), &awss3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("hello.txt")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(b) != "from the worker" {
		t.Errorf("S3 GetObject = %q", b)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	_, _, lines = startDevLines(t, bin, dir)
	if again := endpoint(lines); again[1] != first[1] || again[2] != first[2] {
		t.Errorf("credentials changed across a restart: %v then %v", first[1:], again[1:])
	}
}
