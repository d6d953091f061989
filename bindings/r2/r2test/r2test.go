// Package r2test is the conformance suite for R2 backends: the semantics
// of Cloudflare R2 (and of S3 where R2 defers to it) that every
// [r2.Backend] must keep, checked through its public API only.
//
// Package r2 runs it over both of its backends, on a fresh one per
// subtest:
//
//	func TestConformance(t *testing.T) {
//		r2test.Run(t, func(t *testing.T, opts r2.Options) r2.Backend {
//			return r2.NewMemory(opts) // or a Store: Badger in t.TempDir(), r2.Open
//		})
//	}
//
// The suite passes its own Options: a fake [Clock] as Now, and small
// limits (MinPartBytes of 5 KiB) so multipart tests stay fast; one test
// uses R2's real 5 MiB minimum.
package r2test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/internal/testutil"
)

// Clock is a fake clock for tests (shared by the binding suites): it only
// moves when Advance is called, and is safe for concurrent use.
type Clock = testutil.Clock

// NewClock returns a Clock that reads start.
func NewClock(start time.Time) *Clock { return testutil.NewClock(start) }

// NewStore returns an empty backend opened with opts. It must close the
// backend (and its DB) when the test ends.
type NewStore = func(t *testing.T, opts r2.Options) r2.Backend

// SuiteLimits are the limits the suite opens stores with, unless a test
// needs others: R2's, but with 5 KiB parts.
func SuiteLimits() r2.Limits {
	l := r2.DefaultLimits()
	l.MinPartBytes = 5 << 10
	return l
}

// Run runs the conformance suite against stores newStore returns. The
// tests run in parallel, each on its own store.
func Run(t *testing.T, newStore NewStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, newStore NewStore)
	}{
		{"Buckets", testBuckets},
		{"PutGetHead", testPutGetHead},
		{"Metadata", testMetadata},
		{"Checksums", testChecksums},
		{"Delete", testDelete},
		{"ConditionalGet", testConditionalGet},
		{"ConditionalPut", testConditionalPut},
		{"Ranges", testRanges},
		{"ListPaging", testListPaging},
		{"ListDelimiter", testListDelimiter},
		{"ListInclude", testListInclude},
		{"ListErrors", testListErrors},
		{"Multipart", testMultipart},
		{"MultipartErrors", testMultipartErrors},
		{"MultipartRealMinimum", testMultipartRealMinimum},
		{"MultipartExpiry", testMultipartExpiry},
		{"Limits", testLimits},
		{"ConcurrentConditionalPuts", testConcurrentConditionalPuts},
		{"ConcurrentWrites", testConcurrentWrites},
		{"ReaderSurvivesOverwrite", testReaderSurvivesOverwrite},
		{"ContextCanceled", testContextCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each test has its own store
			tt.fn(t, newStore)
		})
	}
}

// env is a store with one bucket under test.
type env struct {
	clock *Clock
	s     r2.Backend
	b     *r2.Bucket
}

var ctx = context.Background()

// newEnv opens a store with limits l (zero: SuiteLimits) and creates the
// bucket "test".
func newEnv(t *testing.T, newStore NewStore, l r2.Limits) env {
	t.Helper()
	if l == (r2.Limits{}) {
		l = SuiteLimits()
	}
	c := NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	s := newStore(t, r2.Options{Limits: l, Now: c.Now})
	if err := s.CreateBucket(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	b, err := s.Bucket(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	return env{clock: c, s: s, b: b}
}

// mustPut puts or fails the test.
func mustPut(t *testing.T, b *r2.Bucket, key string, value []byte, o r2.PutOptions) *r2.Object {
	t.Helper()
	obj, err := b.Put(ctx, key, bytes.NewReader(value), o)
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return obj
}

// mustGet returns the bytes of key.
func mustGet(t *testing.T, b *r2.Bucket, key string, o r2.GetOptions) (*r2.Object, []byte) {
	t.Helper()
	ob, err := b.Get(ctx, key, o)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer ob.Body.Close()
	data, err := io.ReadAll(ob.Body)
	if err != nil {
		t.Fatalf("Get(%q): reading body: %v", key, err)
	}
	return ob.Object, data
}

// wantErr fails unless err wraps want.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

// wantMissing checks that key does not exist.
func wantMissing(t *testing.T, b *r2.Bucket, key string) {
	t.Helper()
	_, err := b.Head(ctx, key)
	wantErr(t, fmt.Sprintf("Head(%q)", key), err, r2.ErrNoSuchKey)
	_, err = b.Get(ctx, key, r2.GetOptions{})
	wantErr(t, fmt.Sprintf("Get(%q)", key), err, r2.ErrNoSuchKey)
}

// md5hex is the single-put ETag of data.
func md5hex(data []byte) string {
	s := md5.Sum(data)
	return hex.EncodeToString(s[:])
}

// randBytes returns n deterministic pseudo-random bytes.
func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func testBuckets(t *testing.T, newStore NewStore) {
	s := newStore(t, r2.Options{Limits: SuiteLimits()})
	// R2's rule: 3 to 63 characters of a-z, 0-9 and "-", starting and
	// ending with a letter or digit.
	names := []struct {
		name  string
		valid bool
	}{
		{"abc", true},
		{"photos", true},
		{"my-bucket-v2", true},
		{"000", true},
		{"a--b", true},
		{strings.Repeat("b", 63), true},
		{"", false},
		{"a", false},
		{"ab", false},
		{"0", false},
		{strings.Repeat("b", 64), false},
		{"Upper", false},
		{"-start", false},
		{"end-", false},
		{"my.bucket", false},
		{"my_bucket", false},
		{".dot", false},
		{"dot.", false},
		{"a/b", false},
		{"a b", false},
		{"é", false},
		{"...", false},
	}
	for _, tt := range names {
		t.Run(fmt.Sprintf("%q", tt.name), func(t *testing.T) {
			err := s.CreateBucket(ctx, tt.name)
			if tt.valid && err != nil {
				t.Fatalf("CreateBucket(%q) = %v, want nil", tt.name, err)
			}
			if !tt.valid {
				wantErr(t, "CreateBucket", err, r2.ErrInvalidBucketName)
				_, err := s.Bucket(ctx, tt.name)
				wantErr(t, "Bucket", err, r2.ErrNoSuchBucket)
			}
		})
	}
	// Idempotent.
	if err := s.CreateBucket(ctx, "photos"); err != nil {
		t.Fatalf("second CreateBucket: %v", err)
	}
	infos, err := s.Buckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, bi := range infos {
		got = append(got, bi.Name)
		if bi.Created.IsZero() {
			t.Errorf("bucket %q has no creation time", bi.Name)
		}
	}
	want := []string{"000", "a--b", "abc", "my-bucket-v2", "photos", strings.Repeat("b", 63)}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Buckets = %q, want %q", got, want)
	}

	if _, err := s.Bucket(ctx, "nope"); !errors.Is(err, r2.ErrNoSuchBucket) {
		t.Fatalf("Bucket(nope) = %v, want ErrNoSuchBucket", err)
	}
	wantErr(t, "DeleteBucket(nope)", s.DeleteBucket(ctx, "nope"), r2.ErrNoSuchBucket)

	// Buckets are isolated, also when one name is a prefix of another.
	a, _ := s.Bucket(ctx, "abc")
	if err := s.CreateBucket(ctx, "abc-d"); err != nil {
		t.Fatal(err)
	}
	ab, _ := s.Bucket(ctx, "abc-d")
	mustPut(t, a, "k", []byte("in abc"), r2.PutOptions{})
	mustPut(t, ab, "k", []byte("in abc-d"), r2.PutOptions{})
	mustPut(t, ab, "b/k", []byte("in abc-d"), r2.PutOptions{})
	if _, data := mustGet(t, a, "k", r2.GetOptions{}); string(data) != "in abc" {
		t.Fatalf("bucket abc holds %q", data)
	}
	res, err := a.List(ctx, r2.ListOptions{})
	if err != nil || len(res.Objects) != 1 {
		t.Fatalf("List(abc) = %+v, %v; want one object", res, err)
	}

	// Not empty: an object, then an incomplete upload.
	wantErr(t, "DeleteBucket with an object", s.DeleteBucket(ctx, "abc"), r2.ErrBucketNotEmpty)
	u, err := a.CreateMultipartUpload(ctx, "mp", r2.MultipartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "DeleteBucket with an upload", s.DeleteBucket(ctx, "abc"), r2.ErrBucketNotEmpty)
	if err := u.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, "abc"); err != nil {
		t.Fatalf("DeleteBucket(abc) = %v", err)
	}
	// The old handle now fails, and abc-d is untouched.
	_, err = a.Head(ctx, "k")
	wantErr(t, "Head in a deleted bucket", err, r2.ErrNoSuchBucket)
	_, err = a.Put(ctx, "k", strings.NewReader("x"), r2.PutOptions{})
	wantErr(t, "Put in a deleted bucket", err, r2.ErrNoSuchBucket)
	_, err = a.List(ctx, r2.ListOptions{})
	wantErr(t, "List in a deleted bucket", err, r2.ErrNoSuchBucket)
	_, err = a.CreateMultipartUpload(ctx, "k", r2.MultipartOptions{})
	wantErr(t, "CreateMultipartUpload in a deleted bucket", err, r2.ErrNoSuchBucket)
	if _, data := mustGet(t, ab, "k", r2.GetOptions{}); string(data) != "in abc-d" {
		t.Fatalf("bucket abc-d holds %q", data)
	}
	// Re-created, it is empty.
	if err := s.CreateBucket(ctx, "abc"); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, a, "k")
}

func testPutGetHead(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.Limits{})
	tests := []struct {
		name string
		key  string
		data []byte
	}{
		{"ascii", "hello.txt", []byte("world")},
		{"empty", "empty", []byte{}},
		{"binary", "bin", []byte{0, 1, 2, 0xff, 0xfe, 0}},
		{"unicode key", "ключ/😀/é", []byte("unicode")},
		{"nul in key", "a\x00b", []byte("nul")},
		{"slashes", "/a//b/", []byte("slashes")},
		{"dots", "../..", []byte("dots")},
		{"max key", strings.Repeat("k", 1024), []byte("long key")},
		{"max multibyte key", strings.Repeat("é", 512), []byte("long key")},
		{"3 MiB", "big", randBytes(1, 3<<20+17)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			put := mustPut(t, e.b, tt.key, tt.data, r2.PutOptions{})
			want := md5hex(tt.data)
			if put.Key != tt.key || put.Size != int64(len(tt.data)) || put.ETag != want ||
				hex.EncodeToString(put.Checksums.MD5) != want || put.Version == "" ||
				!put.Uploaded.Equal(e.clock.Now()) || put.StorageClass != "Standard" || put.Range != nil {
				t.Fatalf("Put = %+v; want key, size %d, etag %s, md5, a version, uploaded %v, Standard", put, len(tt.data), want, e.clock.Now())
			}
			if put.HTTPETag() != `"`+want+`"` {
				t.Fatalf("HTTPETag = %s", put.HTTPETag())
			}
			head, err := e.b.Head(ctx, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			obj, data := mustGet(t, e.b, tt.key, r2.GetOptions{})
			if !bytes.Equal(data, tt.data) {
				t.Fatalf("Get = %d bytes, want %d", len(data), len(tt.data))
			}
			for _, o := range []*r2.Object{head, obj} {
				if o.Key != tt.key || o.Version != put.Version || o.Size != put.Size || o.ETag != want ||
					!o.Uploaded.Equal(put.Uploaded) || !bytes.Equal(o.Checksums.MD5, put.Checksums.MD5) || o.Range != nil {
					t.Fatalf("Head/Get = %+v, want %+v", o, put)
				}
			}
		})
	}
	wantMissing(t, e.b, "never written")

	// An overwrite makes a new version with the new bytes.
	e.clock.Advance(time.Second)
	v1, _ := e.b.Head(ctx, "hello.txt")
	v2 := mustPut(t, e.b, "hello.txt", []byte("again"), r2.PutOptions{})
	if v2.Version == v1.Version || !v2.Uploaded.After(v1.Uploaded) {
		t.Fatalf("overwrite: version %s → %s, uploaded %v → %v", v1.Version, v2.Version, v1.Uploaded, v2.Uploaded)
	}
	if _, data := mustGet(t, e.b, "hello.txt", r2.GetOptions{}); string(data) != "again" {
		t.Fatalf("after overwrite Get = %q", data)
	}
	// A nil body is an empty object.
	if obj, err := e.b.Put(ctx, "nil", nil, r2.PutOptions{}); err != nil || obj.Size != 0 {
		t.Fatalf("Put(nil body) = %+v, %v", obj, err)
	}
}

func testMetadata(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.Limits{})
	hm := r2.HTTPMetadata{
		ContentType:        "text/plain; charset=utf-8",
		ContentLanguage:    "en",
		ContentDisposition: `attachment; filename="a.txt"`,
		ContentEncoding:    "gzip",
		CacheControl:       "max-age=60",
		CacheExpiry:        time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	cm := map[string]string{"owner": "ann", "empty": "", "ünï": "cödé"}
	put := mustPut(t, e.b, "k", []byte("x"), r2.PutOptions{HTTPMetadata: hm, CustomMetadata: cm, StorageClass: "InfrequentAccess"})
	head, _ := e.b.Head(ctx, "k")
	obj, _ := mustGet(t, e.b, "k", r2.GetOptions{})
	for name, o := range map[string]*r2.Object{"put": put, "head": head, "get": obj} {
		if o.HTTPMetadata != hm || !maps.Equal(o.CustomMetadata, cm) || o.StorageClass != "InfrequentAccess" {
			t.Errorf("%s: metadata %+v %v %q; want %+v %v InfrequentAccess", name, o.HTTPMetadata, o.CustomMetadata, o.StorageClass, hm, cm)
		}
	}
	// The returned map is a copy.
	head.CustomMetadata["owner"] = "mallory"
	if again, _ := e.b.Head(ctx, "k"); again.CustomMetadata["owner"] != "ann" {
		t.Fatal("changing a returned map changed the stored metadata")
	}
	// An overwrite replaces all metadata.
	mustPut(t, e.b, "k", []byte("y"), r2.PutOptions{})
	head, _ = e.b.Head(ctx, "k")
	if head.HTTPMetadata != (r2.HTTPMetadata{}) || len(head.CustomMetadata) != 0 || head.StorageClass != "Standard" {
		t.Fatalf("after overwrite: %+v %v %q", head.HTTPMetadata, head.CustomMetadata, head.StorageClass)
	}
	_, err := e.b.Put(ctx, "k", strings.NewReader("z"), r2.PutOptions{StorageClass: "Glacier"})
	wantErr(t, "Put with an unknown storage class", err, r2.ErrInvalidArgument)
}

func testChecksums(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.Limits{})
	data := []byte("checksummed bytes")
	m, s1, s256, s384, s512 := md5.Sum(data), sha1.Sum(data), sha256.Sum256(data), sha512.Sum384(data), sha512.Sum512(data)
	c32 := binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data))
	c32c := binary.BigEndian.AppendUint32(nil, crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	c64 := binary.BigEndian.AppendUint64(nil, crc64.Checksum(data, crc64.MakeTable(crc64NVME)))
	good := r2.Checksums{MD5: m[:], SHA1: s1[:], SHA256: s256[:], SHA384: s384[:], SHA512: s512[:], CRC32: c32, CRC32C: c32c, CRC64NVME: c64}
	bad := func(b []byte) []byte { c := slices.Clone(b); c[0] ^= 1; return c }
	tests := []struct {
		name string
		sums r2.Checksums
		ok   bool
	}{
		{"none", r2.Checksums{}, true},
		{"md5", r2.Checksums{MD5: m[:]}, true},
		{"sha1", r2.Checksums{SHA1: s1[:]}, true},
		{"sha256", r2.Checksums{SHA256: s256[:]}, true},
		{"sha384", r2.Checksums{SHA384: s384[:]}, true},
		{"sha512", r2.Checksums{SHA512: s512[:]}, true},
		{"crc32", r2.Checksums{CRC32: c32}, true},
		{"crc32c", r2.Checksums{CRC32C: c32c}, true},
		{"crc64nvme", r2.Checksums{CRC64NVME: c64}, true},
		{"all", good, true},
		{"bad md5", r2.Checksums{MD5: bad(m[:])}, false},
		{"bad sha1", r2.Checksums{SHA1: bad(s1[:])}, false},
		{"bad sha256", r2.Checksums{SHA256: bad(s256[:])}, false},
		{"bad sha384", r2.Checksums{SHA384: bad(s384[:])}, false},
		{"bad sha512", r2.Checksums{SHA512: bad(s512[:])}, false},
		{"bad crc32", r2.Checksums{CRC32: bad(c32)}, false},
		{"bad crc32c", r2.Checksums{CRC32C: bad(c32c)}, false},
		{"bad crc64nvme", r2.Checksums{CRC64NVME: bad(c64)}, false},
		{"crc32 for crc32c", r2.Checksums{CRC32C: c32}, false},
		{"short md5", r2.Checksums{MD5: m[:8]}, false},
		{"one bad among good", r2.Checksums{MD5: m[:], SHA256: bad(s256[:])}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "k/" + tt.name
			obj, err := e.b.Put(ctx, key, bytes.NewReader(data), r2.PutOptions{Checksums: tt.sums})
			if !tt.ok {
				wantErr(t, "Put", err, r2.ErrBadDigest)
				wantMissing(t, e.b, key)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			head, _ := e.b.Head(ctx, key)
			got, _ := mustGet(t, e.b, key, r2.GetOptions{})
			// MD5 is always there; the others only when supplied.
			want := tt.sums
			want.MD5 = m[:]
			for _, o := range []*r2.Object{obj, head, got} {
				wantChecksums(t, o.Checksums, want)
			}
		})
	}
	// A body that hashes itself (package s3's) reports digests to keep;
	// they join those of PutOptions.
	obj, err := e.b.Put(ctx, "reported", &hashingReader{r: bytes.NewReader(data), sums: r2.Checksums{CRC32: c32, CRC64NVME: c64}},
		r2.PutOptions{Checksums: r2.Checksums{SHA256: s256[:]}})
	if err != nil {
		t.Fatal(err)
	}
	head, _ := e.b.Head(ctx, "reported")
	for _, o := range []*r2.Object{obj, head} {
		wantChecksums(t, o.Checksums, r2.Checksums{MD5: m[:], SHA256: s256[:], CRC32: c32, CRC64NVME: c64})
	}
	// A bad digest keeps the old version.
	mustPut(t, e.b, "keep", []byte("old"), r2.PutOptions{})
	_, err = e.b.Put(ctx, "keep", strings.NewReader("new"), r2.PutOptions{Checksums: r2.Checksums{MD5: m[:]}})
	wantErr(t, "Put with a bad md5 over an object", err, r2.ErrBadDigest)
	if _, got := mustGet(t, e.b, "keep", r2.GetOptions{}); string(got) != "old" {
		t.Fatalf("after a failed put: %q", got)
	}
}

// crc64NVME is the CRC-64/NVME polynomial, reversed as hash/crc64 takes it.
const crc64NVME = 0x9A6C9329AC4BC9B5

// wantChecksums fails unless got has exactly the digests of want.
func wantChecksums(t *testing.T, got, want r2.Checksums) {
	t.Helper()
	pairs := [][2][]byte{
		{got.MD5, want.MD5}, {got.SHA1, want.SHA1}, {got.SHA256, want.SHA256}, {got.SHA384, want.SHA384},
		{got.SHA512, want.SHA512}, {got.CRC32, want.CRC32}, {got.CRC32C, want.CRC32C}, {got.CRC64NVME, want.CRC64NVME},
	}
	for _, p := range pairs {
		if !bytes.Equal(p[0], p[1]) {
			t.Fatalf("Checksums = %+v, want %+v", got, want)
		}
	}
}

// hashingReader is an r2.HashingReader that reports fixed digests.
type hashingReader struct {
	r    io.Reader
	sums r2.Checksums
	eof  bool
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.eof = err == io.EOF
	return n, err
}

// Checksums implements r2.HashingReader.
func (h *hashingReader) Checksums() r2.Checksums {
	if !h.eof {
		panic("Checksums called before io.EOF")
	}
	return h.sums
}

var _ r2.HashingReader = (*hashingReader)(nil)

func testDelete(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.Limits{})
	for _, k := range []string{"a", "b", "c", "d"} {
		mustPut(t, e.b, k, []byte(k), r2.PutOptions{})
	}
	if err := e.b.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, e.b, "a")
	if err := e.b.Delete(ctx, "a"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	if err := e.b.Delete(ctx, "b", "missing", "c", "b"); err != nil {
		t.Fatalf("Delete of several keys: %v", err)
	}
	wantMissing(t, e.b, "b")
	wantMissing(t, e.b, "c")
	if _, data := mustGet(t, e.b, "d", r2.GetOptions{}); string(data) != "d" {
		t.Fatalf("d = %q", data)
	}
	if err := e.b.Delete(ctx); err != nil {
		t.Fatalf("Delete of no keys: %v", err)
	}
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	wantErr(t, "Delete of 1001 keys", e.b.Delete(ctx, many...), r2.ErrInvalidArgument)
	if err := e.b.Delete(ctx, many[:1000]...); err != nil {
		t.Fatalf("Delete of 1000 keys: %v", err)
	}
	wantErr(t, "Delete of an empty key", e.b.Delete(ctx, ""), r2.ErrInvalidKey)
	// A deleted key can be written again.
	mustPut(t, e.b, "a", []byte("back"), r2.PutOptions{})
	if _, data := mustGet(t, e.b, "a", r2.GetOptions{}); string(data) != "back" {
		t.Fatalf("a = %q", data)
	}
}

// condCase is one Conditional checked against the object written by
// condObject: ETag condETag, uploaded at condUploaded (10:00:00.500).
type condCase struct {
	name string
	cond r2.Conditional
	// pass, else the failure is 304-like (notModified) or 412-like.
	pass        bool
	notModified bool
}

var (
	condUploaded = time.Date(2026, 11, 22, 10, 0, 0, 500e6, time.UTC)
	condData     = []byte("conditional")
	condETag     = md5hex(condData)
)

func condCases() []condCase {
	at := condUploaded
	sec := at.Truncate(time.Second)
	return []condCase{
		{name: "empty", pass: true},
		{name: "etagMatches same", cond: r2.Conditional{EtagMatches: []string{condETag}}, pass: true},
		{name: "etagMatches quoted", cond: r2.Conditional{EtagMatches: []string{`"` + condETag + `"`}}, pass: true},
		{name: "etagMatches one of", cond: r2.Conditional{EtagMatches: []string{"x", condETag}}, pass: true},
		{name: "etagMatches star", cond: r2.Conditional{EtagMatches: []string{"*"}}, pass: true},
		{name: "etagMatches other", cond: r2.Conditional{EtagMatches: []string{"0123"}}},
		{name: "etagMatches weak", cond: r2.Conditional{EtagMatches: []string{`W/"` + condETag + `"`}}},
		{name: "etagDoesNotMatch other", cond: r2.Conditional{EtagDoesNotMatch: []string{"0123"}}, pass: true},
		{name: "etagDoesNotMatch same", cond: r2.Conditional{EtagDoesNotMatch: []string{condETag}}, notModified: true},
		{name: "etagDoesNotMatch weak same", cond: r2.Conditional{EtagDoesNotMatch: []string{`W/"` + condETag + `"`}}, notModified: true},
		{name: "etagDoesNotMatch star", cond: r2.Conditional{EtagDoesNotMatch: []string{"*"}}, notModified: true},
		{name: "uploadedBefore later", cond: r2.Conditional{UploadedBefore: at.Add(time.Second)}, pass: true},
		{name: "uploadedBefore equal", cond: r2.Conditional{UploadedBefore: at}, pass: true},
		{name: "uploadedBefore earlier", cond: r2.Conditional{UploadedBefore: at.Add(-time.Millisecond)}},
		{name: "uploadedBefore same second, exact", cond: r2.Conditional{UploadedBefore: sec}},
		{name: "uploadedBefore same second, seconds", cond: r2.Conditional{UploadedBefore: sec, SecondsGranularity: true}, pass: true},
		{name: "uploadedBefore previous second, seconds", cond: r2.Conditional{UploadedBefore: sec.Add(-time.Millisecond), SecondsGranularity: true}},
		{name: "uploadedAfter earlier", cond: r2.Conditional{UploadedAfter: at.Add(-time.Millisecond)}, pass: true},
		{name: "uploadedAfter equal", cond: r2.Conditional{UploadedAfter: at}, notModified: true},
		{name: "uploadedAfter later", cond: r2.Conditional{UploadedAfter: at.Add(time.Second)}, notModified: true},
		{name: "uploadedAfter same second, exact", cond: r2.Conditional{UploadedAfter: sec}, pass: true},
		{name: "uploadedAfter same second, seconds", cond: r2.Conditional{UploadedAfter: sec.Add(999 * time.Millisecond), SecondsGranularity: true}, notModified: true},
		{name: "uploadedAfter previous second, seconds", cond: r2.Conditional{UploadedAfter: sec.Add(-time.Millisecond), SecondsGranularity: true}, pass: true},
		// RFC 9110 §13.2.2: If-Match hides If-Unmodified-Since, and
		// If-None-Match hides If-Modified-Since.
		{name: "etagMatches passes, uploadedBefore ignored", cond: r2.Conditional{EtagMatches: []string{condETag}, UploadedBefore: at.Add(-time.Hour)}, pass: true},
		{name: "etagDoesNotMatch passes, uploadedAfter ignored", cond: r2.Conditional{EtagDoesNotMatch: []string{"0123"}, UploadedAfter: at.Add(time.Hour)}, pass: true},
		{name: "etagMatches fails first", cond: r2.Conditional{EtagMatches: []string{"0123"}, EtagDoesNotMatch: []string{condETag}}},
		{name: "etagMatches passes, etagDoesNotMatch fails", cond: r2.Conditional{EtagMatches: []string{condETag}, EtagDoesNotMatch: []string{condETag}}, notModified: true},
		{name: "uploadedBefore fails first", cond: r2.Conditional{UploadedBefore: at.Add(-time.Hour), UploadedAfter: at.Add(time.Hour)}},
	}
}

// condEnv writes the object the condition cases run against.
func condEnv(t *testing.T, newStore NewStore) env {
	e := newEnv(t, newStore, r2.Limits{})
	e.clock.Advance(condUploaded.Sub(e.clock.Now()))
	if obj := mustPut(t, e.b, "k", condData, r2.PutOptions{}); !obj.Uploaded.Equal(condUploaded) {
		t.Fatalf("uploaded %v, want %v", obj.Uploaded, condUploaded)
	}
	e.clock.Advance(time.Hour)
	return e
}

// checkCond checks the outcome of one case.
func checkCond(t *testing.T, tc condCase, err error, wantObj bool) {
	t.Helper()
	if tc.pass {
		if err != nil {
			t.Fatalf("err = %v, want success", err)
		}
		return
	}
	var pf *r2.PreconditionFailedError
	if !errors.As(err, &pf) || !errors.Is(err, r2.ErrPreconditionFailed) {
		t.Fatalf("err = %v, want a *PreconditionFailedError", err)
	}
	if pf.NotModified != tc.notModified {
		t.Fatalf("NotModified = %v, want %v", pf.NotModified, tc.notModified)
	}
	if wantObj && (pf.Object == nil || pf.Object.ETag != condETag || pf.Object.Key != "k") {
		t.Fatalf("failed precondition carries %+v, want the object", pf.Object)
	}
}

func testConditionalGet(t *testing.T, newStore NewStore) {
	e := condEnv(t, newStore)
	for _, tc := range condCases() {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cond
			ob, err := e.b.Get(ctx, "k", r2.GetOptions{OnlyIf: &c})
			if err == nil {
				data, _ := io.ReadAll(ob.Body)
				ob.Body.Close()
				if !bytes.Equal(data, condData) {
					t.Fatalf("body %q", data)
				}
			} else if ob != nil {
				t.Fatal("a failed get returned a body")
			}
			checkCond(t, tc, err, true)
		})
	}
	// A missing key is missing, whatever the conditions.
	_, err := e.b.Get(ctx, "missing", r2.GetOptions{OnlyIf: &r2.Conditional{EtagMatches: []string{"*"}}})
	wantErr(t, "conditional Get of a missing key", err, r2.ErrNoSuchKey)
	// A failed condition wins over a bad range (preconditions come first).
	_, err = e.b.Get(ctx, "k", r2.GetOptions{OnlyIf: &r2.Conditional{EtagMatches: []string{"x"}}, Range: &r2.Range{Offset: 1000}})
	wantErr(t, "failed condition with a bad range", err, r2.ErrPreconditionFailed)
}

func testConditionalPut(t *testing.T, newStore NewStore) {
	e := condEnv(t, newStore)
	for _, tc := range condCases() {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cond
			obj, err := e.b.Put(ctx, "k", bytes.NewReader(condData), r2.PutOptions{OnlyIf: &c, CustomMetadata: map[string]string{"case": tc.name}})
			checkCond(t, tc, err, true)
			head, herr := e.b.Head(ctx, "k")
			if herr != nil {
				t.Fatal(herr)
			}
			if tc.pass {
				if head.Version != obj.Version || head.CustomMetadata["case"] != tc.name {
					t.Fatal("a passing conditional put did not replace the object")
				}
				// Put the original back (same bytes, same upload time).
				e.clock.Advance(condUploaded.Sub(e.clock.Now()))
				mustPut(t, e.b, "k", condData, r2.PutOptions{})
				e.clock.Advance(time.Hour)
			} else if head.CustomMetadata["case"] != "" {
				t.Fatal("a failing conditional put replaced the object")
			}
		})
	}
	// Against a missing key: etagMatches fails (without an object), the
	// rest pass.
	missing := []condCase{
		{name: "etagMatches", cond: r2.Conditional{EtagMatches: []string{"*"}}},
		{name: "etagDoesNotMatch star", cond: r2.Conditional{EtagDoesNotMatch: []string{"*"}}, pass: true},
		{name: "uploadedBefore", cond: r2.Conditional{UploadedBefore: condUploaded.Add(-time.Hour)}, pass: true},
		{name: "uploadedAfter", cond: r2.Conditional{UploadedAfter: condUploaded.Add(time.Hour)}, pass: true},
	}
	for i, tc := range missing {
		t.Run("missing/"+tc.name, func(t *testing.T) {
			key := fmt.Sprint("missing", i)
			c := tc.cond
			_, err := e.b.Put(ctx, key, bytes.NewReader(condData), r2.PutOptions{OnlyIf: &c})
			checkCond(t, tc, err, false)
			var pf *r2.PreconditionFailedError
			if errors.As(err, &pf) && pf.Object != nil {
				t.Fatalf("failed put on a missing key carries %+v", pf.Object)
			}
			if !tc.pass {
				wantMissing(t, e.b, key)
			}
		})
	}
}

func testRanges(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.Limits{})
	data := []byte("0123456789")
	mustPut(t, e.b, "ten", data, r2.PutOptions{})
	mustPut(t, e.b, "empty", nil, r2.PutOptions{})
	tests := []struct {
		name      string
		key       string
		r         r2.Range
		off, n    int64
		wantError bool
	}{
		{name: "zero is whole", key: "ten", r: r2.Range{}, off: 0, n: 10},
		{name: "offset and length", key: "ten", r: r2.Range{Offset: 2, Length: 3}, off: 2, n: 3},
		{name: "offset to end", key: "ten", r: r2.Range{Offset: 2}, off: 2, n: 8},
		{name: "last byte", key: "ten", r: r2.Range{Offset: 9, Length: 1}, off: 9, n: 1},
		{name: "length clamped", key: "ten", r: r2.Range{Offset: 9, Length: 5}, off: 9, n: 1},
		{name: "huge length", key: "ten", r: r2.Range{Length: 1 << 62}, off: 0, n: 10},
		{name: "offset at size", key: "ten", r: r2.Range{Offset: 10}, wantError: true},
		{name: "offset past size", key: "ten", r: r2.Range{Offset: 11, Length: 1}, wantError: true},
		{name: "suffix", key: "ten", r: r2.Range{Suffix: 3}, off: 7, n: 3},
		{name: "suffix of size", key: "ten", r: r2.Range{Suffix: 10}, off: 0, n: 10},
		{name: "suffix past size", key: "ten", r: r2.Range{Suffix: 20}, off: 0, n: 10},
		{name: "negative offset", key: "ten", r: r2.Range{Offset: -1}, wantError: true},
		{name: "negative length", key: "ten", r: r2.Range{Length: -1}, wantError: true},
		{name: "negative suffix", key: "ten", r: r2.Range{Suffix: -1}, wantError: true},
		{name: "suffix and offset", key: "ten", r: r2.Range{Suffix: 2, Offset: 1}, wantError: true},
		{name: "empty object", key: "empty", r: r2.Range{}, off: 0, n: 0},
		{name: "empty object, length", key: "empty", r: r2.Range{Length: 5}, off: 0, n: 0},
		{name: "empty object, suffix", key: "empty", r: r2.Range{Suffix: 5}, off: 0, n: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			ob, err := e.b.Get(ctx, tt.key, r2.GetOptions{Range: &r})
			if tt.wantError {
				wantErr(t, "Get", err, r2.ErrInvalidRange)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(ob.Body)
			ob.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			full := data
			if tt.key == "empty" {
				full = nil
			}
			if want := full[tt.off : tt.off+tt.n]; !bytes.Equal(got, want) {
				t.Fatalf("body %q, want %q", got, want)
			}
			if ob.Range == nil || *ob.Range != (r2.Range{Offset: tt.off, Length: tt.n}) {
				t.Fatalf("Range = %+v, want {%d %d 0}", ob.Range, tt.off, tt.n)
			}
			if ob.Size != int64(len(full)) {
				t.Fatalf("Size = %d, want the whole object's", ob.Size)
			}
		})
	}
}

// putKeys writes keys (value = key) with a few writers in parallel.
func putKeys(t testing.TB, b *r2.Bucket, keys []string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(keys))
	next := make(chan string)
	for range 8 {
		wg.Go(func() {
			for k := range next {
				if _, err := b.Put(ctx, k, strings.NewReader(k), r2.PutOptions{CustomMetadata: map[string]string{"k": k}}); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, k := range keys {
		next <- k
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// listAll pages through a list and returns the objects' keys and the
// prefixes; it checks every page's size and cursor.
func listAll(t *testing.T, b *r2.Bucket, o r2.ListOptions) (keys, prefixes []string) {
	t.Helper()
	pageMax := o.Limit
	if pageMax == 0 {
		pageMax = 1000
	}
	for page := 0; ; page++ {
		if page > 100000 {
			t.Fatal("List does not terminate")
		}
		res, err := b.List(ctx, o)
		if err != nil {
			t.Fatalf("List(%+v): %v", o, err)
		}
		if n := len(res.Objects) + len(res.DelimitedPrefixes); n > pageMax || (res.Truncated && n == 0) {
			t.Fatalf("List page %d has %d items, limit %d, truncated %v", page, n, pageMax, res.Truncated)
		}
		for _, obj := range res.Objects {
			keys = append(keys, obj.Key)
		}
		prefixes = append(prefixes, res.DelimitedPrefixes...)
		if !res.Truncated {
			if res.Cursor != "" {
				t.Fatalf("last page has cursor %q", res.Cursor)
			}
			return keys, prefixes
		}
		if res.Cursor == "" {
			t.Fatal("truncated page has no cursor")
		}
		o.Cursor = res.Cursor
	}
}

func testListPaging(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.Limits{})
	var keys []string
	for i := range 2500 {
		keys = append(keys, fmt.Sprintf("dir%d/%04d", i%3, i))
	}
	keys = append(keys, "é", "\x7f", "a\x00b", "z/")
	putKeys(t, e.b, keys)
	sorted := slices.Sorted(slices.Values(keys))
	for _, limit := range []int{0, 1, 7, 999, 1000} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			got, _ := listAll(t, e.b, r2.ListOptions{Limit: limit})
			if !slices.Equal(got, sorted) {
				t.Fatalf("List got %d keys, want %d in byte order", len(got), len(sorted))
			}
		})
	}
	// The first page of a default list is exactly 1000 objects.
	res, err := e.b.List(ctx, r2.ListOptions{})
	if err != nil || len(res.Objects) != 1000 || !res.Truncated {
		t.Fatalf("default List: %d objects, truncated %v, %v", len(res.Objects), res.Truncated, err)
	}
	// Prefix, StartAfter and Cursor combine.
	var dir1 []string
	for _, k := range sorted {
		if strings.HasPrefix(k, "dir1/") {
			dir1 = append(dir1, k)
		}
	}
	got, _ := listAll(t, e.b, r2.ListOptions{Prefix: "dir1/", Limit: 100})
	if !slices.Equal(got, dir1) {
		t.Fatalf("prefix dir1/: %d keys, want %d", len(got), len(dir1))
	}
	got, _ = listAll(t, e.b, r2.ListOptions{Prefix: "dir1/", StartAfter: dir1[400], Limit: 100})
	if !slices.Equal(got, dir1[401:]) {
		t.Fatalf("prefix dir1/ after %s: %d keys, want %d", dir1[400], len(got), len(dir1)-401)
	}
	// A StartAfter before the prefix, or after everything.
	if got, _ = listAll(t, e.b, r2.ListOptions{Prefix: "dir2/", StartAfter: "a"}); len(got) != 833 {
		t.Fatalf("StartAfter before the prefix: %d keys", len(got))
	}
	if got, _ = listAll(t, e.b, r2.ListOptions{StartAfter: "\U0010FFFF"}); len(got) != 0 {
		t.Fatalf("StartAfter past the end: %q", got)
	}
	// Continuing from a cursor while writes go on: new keys after the
	// cursor are seen, deleted keys are not, nothing repeats.
	res, err = e.b.List(ctx, r2.ListOptions{Prefix: "dir0/", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	last := res.Objects[9].Key
	mustPut(t, e.b, last+"x", nil, r2.PutOptions{})
	if err := e.b.Delete(ctx, res.Objects[9].Key, res.Objects[8].Key); err != nil {
		t.Fatal(err)
	}
	next, err := e.b.List(ctx, r2.ListOptions{Prefix: "dir0/", Limit: 2, Cursor: res.Cursor})
	if err != nil || len(next.Objects) != 2 || next.Objects[0].Key != last+"x" || next.Objects[1].Key <= last {
		t.Fatalf("page after the cursor = %+v, %v", next, err)
	}
}

func testListDelimiter(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.Limits{})
	keys := []string{
		"a", "a/", "a/1", "a/2", "a/b/1", "a/b/2", "a/c", "a//x",
		"b/1", "b/2", "b/3", "b0", "c", "c/d/e", "dé/1", "dé/2", "e--1", "e--2", "e-3",
	}
	putKeys(t, e.b, keys)
	tests := []struct {
		name         string
		o            r2.ListOptions
		wantKeys     []string
		wantPrefixes []string
	}{
		{"root", r2.ListOptions{Delimiter: "/"}, []string{"a", "b0", "c", "e--1", "e--2", "e-3"}, []string{"a/", "b/", "c/", "dé/"}},
		{"prefix a/", r2.ListOptions{Prefix: "a/", Delimiter: "/"}, []string{"a/", "a/1", "a/2", "a/c"}, []string{"a//", "a/b/"}},
		{"prefix a", r2.ListOptions{Prefix: "a", Delimiter: "/"}, []string{"a"}, []string{"a/"}},
		{"prefix a/b/", r2.ListOptions{Prefix: "a/b/", Delimiter: "/"}, []string{"a/b/1", "a/b/2"}, nil},
		{"multi-byte delimiter", r2.ListOptions{Prefix: "e", Delimiter: "--"}, []string{"e-3"}, []string{"e--"}},
		{"delimiter d", r2.ListOptions{Prefix: "c", Delimiter: "d"}, []string{"c"}, []string{"c/d"}},
		{"startAfter inside a prefix", r2.ListOptions{Delimiter: "/", StartAfter: "a/b"}, []string{"b0", "c", "e--1", "e--2", "e-3"}, []string{"a/", "b/", "c/", "dé/"}},
		{"startAfter past a prefix", r2.ListOptions{Delimiter: "/", StartAfter: "b/9"}, []string{"b0", "c", "e--1", "e--2", "e-3"}, []string{"c/", "dé/"}},
	}
	for _, tt := range tests {
		for _, limit := range []int{0, 1, 2, 3} {
			t.Run(fmt.Sprintf("%s/limit %d", tt.name, limit), func(t *testing.T) {
				o := tt.o
				o.Limit = limit
				gotKeys, gotPrefixes := listAll(t, e.b, o)
				if !slices.Equal(gotKeys, tt.wantKeys) || !slices.Equal(gotPrefixes, tt.wantPrefixes) {
					t.Fatalf("List(%+v) = %q, %q; want %q, %q", o, gotKeys, gotPrefixes, tt.wantKeys, tt.wantPrefixes)
				}
				// The model agrees too.
				mk, mp := modelListAll(slices.Sorted(slices.Values(keys)), o)
				if !slices.Equal(mk, tt.wantKeys) || !slices.Equal(mp, tt.wantPrefixes) {
					t.Fatalf("model(%+v) = %q, %q", o, mk, mp)
				}
			})
		}
	}
	// Prefixes count against the limit, like S3.
	res, err := e.b.List(ctx, r2.ListOptions{Delimiter: "/", Limit: 3})
	if err != nil || len(res.DelimitedPrefixes)+len(res.Objects) != 3 || !res.Truncated {
		t.Fatalf("List(limit 3) = %+v, %v", res, err)
	}
}

func testListInclude(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.Limits{})
	hm := r2.HTTPMetadata{ContentType: "text/plain", CacheControl: "no-cache"}
	cm := map[string]string{"a": "1"}
	put := mustPut(t, e.b, "k", []byte("v"), r2.PutOptions{HTTPMetadata: hm, CustomMetadata: cm})
	tests := []struct {
		http, custom bool
	}{{false, false}, {true, false}, {false, true}, {true, true}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("http %v custom %v", tt.http, tt.custom), func(t *testing.T) {
			res, err := e.b.List(ctx, r2.ListOptions{IncludeHTTPMetadata: tt.http, IncludeCustomMetadata: tt.custom})
			if err != nil || len(res.Objects) != 1 {
				t.Fatalf("List = %+v, %v", res, err)
			}
			o := res.Objects[0]
			if o.Key != "k" || o.ETag != put.ETag || o.Size != 1 || o.Version != put.Version || !o.Uploaded.Equal(put.Uploaded) || o.StorageClass != "Standard" {
				t.Fatalf("listed %+v, want %+v", o, put)
			}
			if tt.http != (o.HTTPMetadata == hm) || (!tt.http && o.HTTPMetadata != r2.HTTPMetadata{}) {
				t.Fatalf("HTTPMetadata = %+v with include %v", o.HTTPMetadata, tt.http)
			}
			if tt.custom != maps.Equal(o.CustomMetadata, cm) || (!tt.custom && o.CustomMetadata != nil) {
				t.Fatalf("CustomMetadata = %v with include %v", o.CustomMetadata, tt.custom)
			}
		})
	}
}

func testListErrors(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.Limits{})
	for _, tt := range []struct {
		opts      r2.ListOptions
		badCursor bool
	}{
		{opts: r2.ListOptions{Limit: -1}},
		{opts: r2.ListOptions{Limit: 1001}},
		{opts: r2.ListOptions{Cursor: "not a cursor!"}, badCursor: true},
		{opts: r2.ListOptions{Cursor: "AAAA"}, badCursor: true},
	} {
		_, err := e.b.List(ctx, tt.opts)
		wantErr(t, fmt.Sprintf("List(%+v)", tt.opts), err, r2.ErrInvalidArgument)
		if errors.Is(err, r2.ErrInvalidCursor) != tt.badCursor {
			t.Errorf("List(%+v) = %v: errors.Is(ErrInvalidCursor) is %v", tt.opts, err, !tt.badCursor)
		}
	}
	res, err := e.b.List(ctx, r2.ListOptions{})
	if err != nil || len(res.Objects) != 0 || res.Truncated || res.Cursor != "" {
		t.Fatalf("List of an empty bucket = %+v, %v", res, err)
	}
}

// multipartETag is S3's ETag of an object made of parts.
func multipartETag(parts ...[]byte) string {
	var sums []byte
	for _, p := range parts {
		s := md5.Sum(p)
		sums = append(sums, s[:]...)
	}
	s := md5.Sum(sums)
	return fmt.Sprintf("%x-%d", s, len(parts))
}

func mustUpload(t *testing.T, u *r2.MultipartUpload, n int, data []byte) r2.UploadedPart {
	t.Helper()
	p, err := u.UploadPart(ctx, n, bytes.NewReader(data), nil)
	if err != nil {
		t.Fatalf("UploadPart(%d): %v", n, err)
	}
	if p.PartNumber != n || p.ETag != md5hex(data) {
		t.Fatalf("UploadPart(%d) = %+v, want etag %s", n, p, md5hex(data))
	}
	return p
}

func testMultipart(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.Limits{})
	const size = 5 << 10
	hm := r2.HTTPMetadata{ContentType: "video/mp4"}
	cm := map[string]string{"from": "multipart"}
	mustPut(t, e.b, "movie", []byte("old version"), r2.PutOptions{})
	u, err := e.b.CreateMultipartUpload(ctx, "movie", r2.MultipartOptions{HTTPMetadata: hm, CustomMetadata: cm, StorageClass: "InfrequentAccess"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Key != "movie" || len(u.UploadID) < 16 {
		t.Fatalf("upload %+v", u)
	}
	other, err := e.b.CreateMultipartUpload(ctx, "another", r2.MultipartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if other.UploadID == u.UploadID {
		t.Fatal("two uploads have the same ID")
	}
	ups, err := e.b.ListMultipartUploads(ctx, "")
	if err != nil || len(ups) != 2 || ups[0].Key != "another" || ups[1].Key != "movie" || ups[1].UploadID != u.UploadID || !ups[1].Created.Equal(e.clock.Now()) {
		t.Fatalf("ListMultipartUploads = %+v, %v", ups, err)
	}
	if ups, _ := e.b.ListMultipartUploads(ctx, "mo"); len(ups) != 1 || ups[0].Key != "movie" {
		t.Fatalf("ListMultipartUploads(mo) = %+v", ups)
	}

	// Parts arrive out of order and in parallel; part 2 is uploaded twice
	// (the second replaces the first) and part 5 is never completed.
	data := [][]byte{randBytes(11, size), randBytes(12, size), randBytes(13, size), randBytes(14, 1234)}
	res := make([]r2.UploadedPart, 4)
	mustUpload(t, u, 2, []byte("replaced later"))
	mustUpload(t, u, 5, randBytes(15, size))
	var wg sync.WaitGroup
	for _, i := range []int{3, 1, 0, 2} {
		wg.Go(func() {
			p, err := u.UploadPart(ctx, i+1, bytes.NewReader(data[i]), md5sum(data[i]))
			if err != nil {
				t.Error(err)
			}
			res[i] = p
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// A resumed handle sees the same upload.
	ru := e.b.ResumeMultipartUpload("movie", u.UploadID)
	parts, err := ru.ListParts(ctx)
	if err != nil || len(parts) != 5 {
		t.Fatalf("ListParts = %+v, %v", parts, err)
	}
	for i, p := range parts[:4] {
		if p.PartNumber != i+1 || p.ETag != md5hex(data[i]) || p.Size != int64(len(data[i])) || p.Uploaded.IsZero() {
			t.Fatalf("part %d = %+v", i+1, p)
		}
	}
	// The object is still the old version.
	if _, got := mustGet(t, e.b, "movie", r2.GetOptions{}); string(got) != "old version" {
		t.Fatalf("before Complete: %q", got)
	}
	e.clock.Advance(time.Minute)
	// Quoted ETags are accepted.
	res[1].ETag = `"` + res[1].ETag + `"`
	obj, err := ru.Complete(ctx, res)
	if err != nil {
		t.Fatal(err)
	}
	whole := bytes.Join(data, nil)
	wantETag := multipartETag(data...)
	if obj.Key != "movie" || obj.Size != int64(len(whole)) || obj.ETag != wantETag || obj.HTTPMetadata != hm ||
		!maps.Equal(obj.CustomMetadata, cm) || obj.StorageClass != "InfrequentAccess" || !obj.Uploaded.Equal(e.clock.Now()) {
		t.Fatalf("Complete = %+v; want size %d, etag %s, the upload's metadata", obj, len(whole), wantETag)
	}
	head, _ := e.b.Head(ctx, "movie")
	got, body := mustGet(t, e.b, "movie", r2.GetOptions{})
	if !bytes.Equal(body, whole) {
		t.Fatal("completed object has the wrong bytes")
	}
	for _, o := range []*r2.Object{head, got} {
		if o.ETag != wantETag || o.Size != obj.Size || o.Version != obj.Version {
			t.Fatalf("Head/Get = %+v, want %+v", o, obj)
		}
	}
	// Ranges across part boundaries.
	for _, r := range []r2.Range{
		{Offset: 0, Length: 1}, {Offset: size - 1, Length: 2}, {Offset: size, Length: size},
		{Offset: size - 10, Length: 2*size + 20}, {Offset: 3 * size}, {Offset: 3*size - 1},
		{Suffix: 1235}, {Suffix: 100}, {Offset: 1, Length: int64(len(whole))},
	} {
		rr := r
		o, data := mustGet(t, e.b, "movie", r2.GetOptions{Range: &rr})
		off := o.Range.Offset
		if want := whole[off : off+o.Range.Length]; !bytes.Equal(data, want) {
			t.Fatalf("range %+v → %+v: wrong bytes", r, *o.Range)
		}
	}
	// The upload is gone; the other one stays.
	if ups, _ := e.b.ListMultipartUploads(ctx, ""); len(ups) != 1 || ups[0].Key != "another" {
		t.Fatalf("after Complete, uploads = %+v", ups)
	}
	_, err = ru.ListParts(ctx)
	wantErr(t, "ListParts after Complete", err, r2.ErrNoSuchUpload)
	// Listed like any object.
	lres, _ := e.b.List(ctx, r2.ListOptions{})
	if len(lres.Objects) != 1 || lres.Objects[0].ETag != wantETag || lres.Objects[0].Size != obj.Size {
		t.Fatalf("List = %+v", lres.Objects)
	}
	// Non-contiguous part numbers and a single part are fine.
	u2, _ := e.b.CreateMultipartUpload(ctx, "sparse", r2.MultipartOptions{})
	p1 := mustUpload(t, u2, 1, data[0])
	p9 := mustUpload(t, u2, 9, data[3])
	if obj, err := u2.Complete(ctx, []r2.UploadedPart{p1, p9}); err != nil || obj.ETag != multipartETag(data[0], data[3]) {
		t.Fatalf("Complete(1, 9) = %+v, %v", obj, err)
	}
	u3, _ := e.b.CreateMultipartUpload(ctx, "single", r2.MultipartOptions{})
	p := mustUpload(t, u3, 1, []byte("tiny"))
	if obj, err := u3.Complete(ctx, []r2.UploadedPart{p}); err != nil || obj.Size != 4 {
		t.Fatalf("Complete(single) = %+v, %v", obj, err)
	}
	if _, got := mustGet(t, e.b, "single", r2.GetOptions{}); string(got) != "tiny" {
		t.Fatalf("single-part object = %q", got)
	}
	// An overwrite and a delete of a multipart object.
	mustPut(t, e.b, "sparse", []byte("now small"), r2.PutOptions{})
	if _, got := mustGet(t, e.b, "sparse", r2.GetOptions{}); string(got) != "now small" {
		t.Fatalf("overwritten multipart object = %q", got)
	}
	if err := e.b.Delete(ctx, "movie"); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, e.b, "movie")
	if err := other.Abort(ctx); err != nil {
		t.Fatal(err)
	}
}

func md5sum(b []byte) []byte { s := md5.Sum(b); return s[:] }

func testMultipartErrors(t *testing.T, newStore NewStore) {
	l := SuiteLimits()
	l.MaxPartBytes = 64 << 10
	l.MaxParts = 20
	e := newEnv(t, newStore, l)
	const size = 5 << 10
	full, short, small := randBytes(1, size), randBytes(2, size-1), randBytes(3, 10)
	setup := func(t *testing.T, sizes ...[]byte) (*r2.MultipartUpload, []r2.UploadedPart) {
		t.Helper()
		u, err := e.b.CreateMultipartUpload(ctx, "k", r2.MultipartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var ps []r2.UploadedPart
		for i, d := range sizes {
			ps = append(ps, mustUpload(t, u, i+1, d))
		}
		return u, ps
	}
	tests := []struct {
		name  string
		parts [][]byte
		edit  func(ps []r2.UploadedPart) []r2.UploadedPart
		want  error
	}{
		{"no parts", [][]byte{full}, func([]r2.UploadedPart) []r2.UploadedPart { return nil }, r2.ErrInvalidPart},
		{"descending", [][]byte{full, full, small}, func(ps []r2.UploadedPart) []r2.UploadedPart { return []r2.UploadedPart{ps[1], ps[0], ps[2]} }, r2.ErrInvalidPartOrder},
		{"duplicate", [][]byte{full, small}, func(ps []r2.UploadedPart) []r2.UploadedPart { return []r2.UploadedPart{ps[0], ps[0], ps[1]} }, r2.ErrInvalidPartOrder},
		{"missing part", [][]byte{full, small}, func(ps []r2.UploadedPart) []r2.UploadedPart {
			return []r2.UploadedPart{ps[0], {PartNumber: 7, ETag: ps[1].ETag}}
		}, r2.ErrInvalidPart},
		{"wrong etag", [][]byte{full, small}, func(ps []r2.UploadedPart) []r2.UploadedPart {
			ps[1].ETag = md5hex(full)
			return ps
		}, r2.ErrInvalidPart},
		{"non-last part too small", [][]byte{short, small}, nil, r2.ErrEntityTooSmall},
		{"middle part too small", [][]byte{full, short, small}, nil, r2.ErrEntityTooSmall},
		{"unequal parts", [][]byte{full, randBytes(4, size+1), small}, nil, r2.ErrUnequalParts},
		{"second part smaller", [][]byte{randBytes(4, size+1), full, small}, nil, r2.ErrUnequalParts},
		{"last part larger", [][]byte{full, randBytes(4, size+1)}, nil, r2.ErrUnequalParts},
		{"last part larger than equal others", [][]byte{full, full, randBytes(4, 2*size)}, nil, r2.ErrUnequalParts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ps := setup(t, tt.parts...)
			if tt.edit != nil {
				ps = tt.edit(ps)
			}
			_, err := u.Complete(ctx, ps)
			wantErr(t, "Complete", err, tt.want)
			if errors.Is(err, r2.ErrUnequalParts) {
				// R2 answers InvalidPart (10048).
				wantErr(t, "Complete", err, r2.ErrInvalidPart)
			}
			// A failed Complete leaves the upload as it was.
			if parts, err := u.ListParts(ctx); err != nil || len(parts) != len(tt.parts) {
				t.Fatalf("after a failed Complete, ListParts = %+v, %v", parts, err)
			}
			if err := u.Abort(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Every call on an aborted or completed upload fails with
	// ErrNoSuchUpload, and so do made-up IDs and a real ID with another key.
	aborted, aps := setup(t, full, small)
	if err := aborted.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	completed, cps := setup(t, full, small)
	if _, err := completed.Complete(ctx, cps); err != nil {
		t.Fatal(err)
	}
	live, _ := setup(t, full)
	gone := []struct {
		name string
		u    *r2.MultipartUpload
		ps   []r2.UploadedPart
	}{
		{"aborted", aborted, aps},
		{"completed", completed, cps},
		{"made-up id", e.b.ResumeMultipartUpload("k", strings.Repeat("0", 32)), aps},
		{"malformed id", e.b.ResumeMultipartUpload("k", "../../etc"), aps},
		{"other key", e.b.ResumeMultipartUpload("other", live.UploadID), aps},
	}
	for _, g := range gone {
		t.Run("gone/"+g.name, func(t *testing.T) {
			_, err := g.u.Complete(ctx, g.ps)
			wantErr(t, "Complete", err, r2.ErrNoSuchUpload)
			wantErr(t, "Abort", g.u.Abort(ctx), r2.ErrNoSuchUpload)
			_, err = g.u.UploadPart(ctx, 1, strings.NewReader("x"), nil)
			wantErr(t, "UploadPart", err, r2.ErrNoSuchUpload)
			_, err = g.u.ListParts(ctx)
			wantErr(t, "ListParts", err, r2.ErrNoSuchUpload)
		})
	}
	// Part numbers, digests and sizes.
	for _, n := range []int{0, -1, 21} {
		_, err := live.UploadPart(ctx, n, strings.NewReader("x"), nil)
		wantErr(t, fmt.Sprint("UploadPart(", n, ")"), err, r2.ErrInvalidArgument)
	}
	if _, err := live.UploadPart(ctx, 20, strings.NewReader("x"), nil); err != nil {
		t.Fatalf("UploadPart(MaxParts) = %v", err)
	}
	_, err := live.UploadPart(ctx, 2, strings.NewReader("x"), md5sum([]byte("y")))
	wantErr(t, "UploadPart with a bad md5", err, r2.ErrBadDigest)
	_, err = live.UploadPart(ctx, 2, bytes.NewReader(make([]byte, 64<<10+1)), nil)
	wantErr(t, "UploadPart over MaxPartBytes", err, r2.ErrEntityTooLarge)
	if parts, _ := live.ListParts(ctx); len(parts) != 2 {
		t.Fatalf("failed part uploads were stored: %+v", parts)
	}
	_, err = e.b.CreateMultipartUpload(ctx, "", r2.MultipartOptions{})
	wantErr(t, "CreateMultipartUpload with an empty key", err, r2.ErrInvalidKey)
	_, err = e.b.CreateMultipartUpload(ctx, "k", r2.MultipartOptions{CustomMetadata: map[string]string{"x": strings.Repeat("y", 8192)}})
	wantErr(t, "CreateMultipartUpload with big metadata", err, r2.ErrMetadataTooLarge)
}

func testMultipartRealMinimum(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.DefaultLimits())
	const mib5 = 5 << 20
	a, b, c := randBytes(21, mib5), randBytes(22, mib5), []byte("z")
	u, _ := e.b.CreateMultipartUpload(ctx, "big", r2.MultipartOptions{})
	pa, pb, pc := mustUpload(t, u, 1, a), mustUpload(t, u, 2, b), mustUpload(t, u, 3, c)
	obj, err := u.Complete(ctx, []r2.UploadedPart{pa, pb, pc})
	if err != nil || obj.Size != 2*mib5+1 || obj.ETag != multipartETag(a, b, c) {
		t.Fatalf("Complete = %+v, %v", obj, err)
	}
	o, tail := mustGet(t, e.b, "big", r2.GetOptions{Range: &r2.Range{Suffix: 2}})
	if !bytes.Equal(tail, []byte{b[mib5-1], 'z'}) || o.Range.Offset != 2*mib5-1 {
		t.Fatalf("last two bytes = %q at %+v", tail, o.Range)
	}
	u2, _ := e.b.CreateMultipartUpload(ctx, "big", r2.MultipartOptions{})
	p1, p2 := mustUpload(t, u2, 1, a[:mib5-1]), mustUpload(t, u2, 2, c)
	_, err = u2.Complete(ctx, []r2.UploadedPart{p1, p2})
	wantErr(t, "Complete with a part of 5 MiB - 1", err, r2.ErrEntityTooSmall)
}

func testMultipartExpiry(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.Limits{})
	old, _ := e.b.CreateMultipartUpload(ctx, "old", r2.MultipartOptions{})
	mustUpload(t, old, 1, []byte("part"))
	e.clock.Advance(24 * time.Hour)
	young, _ := e.b.CreateMultipartUpload(ctx, "young", r2.MultipartOptions{})
	e.clock.Advance(6*24*time.Hour + time.Second) // old is 7 days and 1 s old
	if err := e.s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	ups, err := e.b.ListMultipartUploads(ctx, "")
	if err != nil || len(ups) != 1 || ups[0].UploadID != young.UploadID {
		t.Fatalf("after Sweep, uploads = %+v, %v; want only the young one", ups, err)
	}
	_, err = old.ListParts(ctx)
	wantErr(t, "ListParts of an expired upload", err, r2.ErrNoSuchUpload)
}

// endless is a reader that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func testLimits(t *testing.T, newStore NewStore) {
	l := SuiteLimits()
	l.MaxPutBytes = 1 << 20
	e := newEnv(t, newStore, l)
	long := strings.Repeat("k", 1025)
	tests := []struct {
		name string
		key  string
		body io.Reader
		o    r2.PutOptions
		want error
	}{
		{"empty key", "", strings.NewReader("x"), r2.PutOptions{}, r2.ErrInvalidKey},
		{"long key", long, strings.NewReader("x"), r2.PutOptions{}, r2.ErrInvalidKey},
		{"invalid UTF-8", "a\xffb", strings.NewReader("x"), r2.PutOptions{}, r2.ErrInvalidKey},
		{"metadata", "k", strings.NewReader("x"), r2.PutOptions{CustomMetadata: map[string]string{"a": strings.Repeat("b", 8192)}}, r2.ErrMetadataTooLarge},
		{"metadata names count", "k", strings.NewReader("x"), r2.PutOptions{CustomMetadata: map[string]string{strings.Repeat("a", 4096): strings.Repeat("b", 4097)}}, r2.ErrMetadataTooLarge},
		{"one byte over", "k", bytes.NewReader(make([]byte, 1<<20+1)), r2.PutOptions{}, r2.ErrEntityTooLarge},
		// An endless body fails once it passes the limit: the store
		// streams, it does not read to the end first.
		{"endless", "k", endless{}, r2.PutOptions{}, r2.ErrEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.b.Put(ctx, tt.key, tt.body, tt.o)
			wantErr(t, "Put", err, tt.want)
			if q := strconv.Quote(tt.key[:min(len(tt.key), 10)]); !strings.Contains(err.Error(), q[1:len(q)-1]) {
				t.Fatalf("error %q does not name the key", err)
			}
			if !strings.Contains(err.Error(), "test") {
				t.Fatalf("error %q does not name the bucket", err)
			}
			if len(err.Error()) > 400 {
				t.Fatalf("error message is %d bytes: the key is not shortened", len(err.Error()))
			}
		})
	}
	wantMissing(t, e.b, "k")
	// At the limits, all is fine.
	if _, err := e.b.Put(ctx, "k", bytes.NewReader(make([]byte, 1<<20)), r2.PutOptions{CustomMetadata: map[string]string{"a": strings.Repeat("b", 8191)}}); err != nil {
		t.Fatalf("Put at the limits: %v", err)
	}
	// Reads check keys too.
	_, err := e.b.Head(ctx, long)
	wantErr(t, "Head(long key)", err, r2.ErrInvalidKey)
	_, err = e.b.Get(ctx, "", r2.GetOptions{})
	wantErr(t, "Get(empty key)", err, r2.ErrInvalidKey)
}

func testConcurrentConditionalPuts(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.Limits{})
	const writers, rounds = 8, 5
	for round := range rounds {
		key := fmt.Sprint("race-", round)
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			wins     []int
			failures int
		)
		start := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				<-start
				_, err := e.b.Put(ctx, key, strings.NewReader(fmt.Sprint(w)), r2.PutOptions{OnlyIf: &r2.Conditional{EtagDoesNotMatch: []string{"*"}}})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins = append(wins, w)
				case errors.Is(err, r2.ErrPreconditionFailed):
					failures++
				default:
					t.Errorf("writer %d: %v", w, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(wins) != 1 || failures != writers-1 {
			t.Fatalf("round %d: %d winners, %d failures; want exactly one winner", round, len(wins), failures)
		}
		if _, data := mustGet(t, e.b, key, r2.GetOptions{}); string(data) != fmt.Sprint(wins[0]) {
			t.Fatalf("round %d: the object holds %q, the winner was %d", round, data, wins[0])
		}
	}
	// Compare-and-swap on the ETag: every writer retries until it wins,
	// so each increment is applied exactly once.
	mustPut(t, e.b, "counter", []byte("0"), r2.PutOptions{})
	var wg sync.WaitGroup
	const incs = 5
	for range writers {
		wg.Go(func() {
			for i := 0; i < incs; {
				obj, data := mustGet(t, e.b, "counter", r2.GetOptions{})
				var n int
				fmt.Sscan(string(data), &n)
				_, err := e.b.Put(ctx, "counter", strings.NewReader(fmt.Sprint(n+1)), r2.PutOptions{OnlyIf: &r2.Conditional{EtagMatches: []string{obj.ETag}}})
				if err == nil {
					i++
				} else if !errors.Is(err, r2.ErrPreconditionFailed) {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if _, data := mustGet(t, e.b, "counter", r2.GetOptions{}); string(data) != fmt.Sprint(writers*incs) {
		t.Fatalf("counter = %s, want %d", data, writers*incs)
	}
}

func testConcurrentWrites(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.Limits{})
	const writers, puts = 8, 20
	var wg sync.WaitGroup
	stop := make(chan struct{})
	// Readers check that every object they see is whole: its bytes match
	// its ETag.
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				ob, err := e.b.Get(ctx, "shared", r2.GetOptions{})
				if errors.Is(err, r2.ErrNoSuchKey) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				data, err := io.ReadAll(ob.Body)
				ob.Body.Close()
				if err != nil || md5hex(data) != ob.ETag {
					t.Errorf("read %d bytes, err %v, md5 %s, ETag %s", len(data), err, md5hex(data), ob.ETag)
					return
				}
			}
		})
	}
	for w := range writers {
		wg.Go(func() {
			for i := range puts {
				data := randBytes(uint64(w*1000+i), 1000+w*100+i)
				if _, err := e.b.Put(ctx, "shared", bytes.NewReader(data), r2.PutOptions{}); err != nil {
					t.Error(err)
					return
				}
				if _, err := e.b.Put(ctx, fmt.Sprintf("w%d/%d", w, i), bytes.NewReader(data), r2.PutOptions{}); err != nil {
					t.Error(err)
					return
				}
				if i%5 == 0 {
					if err := e.b.Delete(ctx, "shared"); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	keys, _ := listAll(t, e.b, r2.ListOptions{Prefix: "w"})
	if len(keys) != writers*puts {
		t.Fatalf("listed %d keys, want %d", len(keys), writers*puts)
	}
}

func testReaderSurvivesOverwrite(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.Limits{})
	v1 := randBytes(31, 3<<20)
	mustPut(t, e.b, "k", v1, r2.PutOptions{})
	mustPut(t, e.b, "k2", v1, r2.PutOptions{})
	// A multipart object too.
	u, _ := e.b.CreateMultipartUpload(ctx, "mp", r2.MultipartOptions{})
	parts := [][]byte{randBytes(32, 5<<10), randBytes(33, 5<<10), randBytes(34, 77)}
	var ups []r2.UploadedPart
	for i, p := range parts {
		ups = append(ups, mustUpload(t, u, i+1, p))
	}
	if _, err := u.Complete(ctx, ups); err != nil {
		t.Fatal(err)
	}
	mp := bytes.Join(parts, nil)

	tests := []struct {
		name, key string
		want      []byte
		r         *r2.Range
		finish    func(t *testing.T)
	}{
		{"overwrite", "k", v1, nil, func(t *testing.T) { mustPut(t, e.b, "k", []byte("v2"), r2.PutOptions{}) }},
		{"delete", "k2", v1, nil, func(t *testing.T) {
			if err := e.b.Delete(ctx, "k2"); err != nil {
				t.Fatal(err)
			}
		}},
		{"multipart range, overwrite", "mp", mp[100 : 100+6<<10], &r2.Range{Offset: 100, Length: 6 << 10}, func(t *testing.T) {
			mustPut(t, e.b, "mp", []byte("v2"), r2.PutOptions{})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ob, err := e.b.Get(ctx, tt.key, r2.GetOptions{Range: tt.r})
			if err != nil {
				t.Fatal(err)
			}
			defer ob.Body.Close()
			head := make([]byte, 10)
			if _, err := io.ReadFull(ob.Body, head); err != nil {
				t.Fatal(err)
			}
			tt.finish(t)
			// Sweep finishes every pending deletion.
			if err := e.s.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			rest, err := io.ReadAll(ob.Body)
			if err != nil {
				t.Fatal(err)
			}
			if got := append(head, rest...); !bytes.Equal(got, tt.want) {
				t.Fatalf("read %d bytes that differ from the version opened (%d bytes)", len(got), len(tt.want))
			}
		})
	}
}

func testContextCanceled(t *testing.T, newStore NewStore) {
	e := newEnv(t, newStore, r2.Limits{})
	mustPut(t, e.b, "k", []byte("v"), r2.PutOptions{})
	c, cancel := context.WithCancel(ctx)
	cancel()
	calls := map[string]func() error{
		"Head":   func() error { _, err := e.b.Head(c, "k"); return err },
		"Get":    func() error { _, err := e.b.Get(c, "k", r2.GetOptions{}); return err },
		"Put":    func() error { _, err := e.b.Put(c, "k", strings.NewReader("x"), r2.PutOptions{}); return err },
		"Delete": func() error { return e.b.Delete(c, "k") },
		"List":   func() error { _, err := e.b.List(c, r2.ListOptions{}); return err },
		"CreateMultipartUpload": func() error {
			_, err := e.b.CreateMultipartUpload(c, "k", r2.MultipartOptions{})
			return err
		},
	}
	for name, call := range calls {
		wantErr(t, name, call(), context.Canceled)
	}
	// A put whose context ends mid-body stores nothing.
	c2, cancel2 := context.WithCancel(ctx)
	body := io.MultiReader(bytes.NewReader(make([]byte, 2<<20)), readerFunc(func([]byte) (int, error) {
		cancel2()
		return 0, io.ErrNoProgress
	}))
	_, err := e.b.Put(c2, "k", body, r2.PutOptions{})
	if err == nil {
		t.Fatal("Put with a failing body succeeded")
	}
	if _, data := mustGet(t, e.b, "k", r2.GetOptions{}); string(data) != "v" {
		t.Fatalf("after a failed Put: %q", data)
	}
}

// readerFunc adapts a function to io.Reader.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
