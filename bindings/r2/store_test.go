package r2

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func TestFilesFollowTheIndex(t *testing.T) {
	ctx := context.Background()
	s := OpenTestStore(t, Options{Limits: Limits{MinPartBytes: 10}})
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	b, _ := s.Bucket(ctx, "bkt")
	count := func() int {
		t.Helper()
		if err := s.collect(ctx); err != nil {
			t.Fatal(err)
		}
		files, err := s.blobFiles()
		if err != nil {
			t.Fatal(err)
		}
		return len(files)
	}
	put := func(key, v string) {
		t.Helper()
		if _, err := b.Put(ctx, key, strings.NewReader(v), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name  string
		do    func()
		files int
	}{
		{"put", func() { put("a", "1") }, 1},
		{"overwrite", func() { put("a", "2") }, 1},
		{"second key", func() { put("b", "3") }, 2},
		{"failed conditional put", func() {
			_, err := b.Put(ctx, "a", strings.NewReader("x"), PutOptions{OnlyIf: &Conditional{EtagMatches: []string{"nope"}}})
			if !errors.Is(err, ErrPreconditionFailed) {
				t.Fatal(err)
			}
		}, 2},
		{"bad digest", func() {
			_, err := b.Put(ctx, "a", strings.NewReader("x"), PutOptions{Checksums: Checksums{MD5: make([]byte, 16)}})
			if !errors.Is(err, ErrBadDigest) {
				t.Fatal(err)
			}
		}, 2},
		{"multipart: 4 parts, part 2 twice, 3 listed", func() {
			u, _ := b.CreateMultipartUpload(ctx, "a", MultipartOptions{})
			var ps []UploadedPart
			for _, p := range []struct {
				n      int
				v      string
				listed bool
			}{{1, "0123456789", true}, {2, "xxxxxxxxxx", false}, {2, "0123456789", true}, {3, "tail", true}, {4, "extra", false}} {
				up, err := u.UploadPart(ctx, p.n, strings.NewReader(p.v), nil)
				if err != nil {
					t.Fatal(err)
				}
				if p.listed {
					ps = append(ps, up)
				}
			}
			if _, err := u.Complete(ctx, ps); err != nil {
				t.Fatal(err)
			}
		}, 4}, // b + the three listed parts
		{"abort", func() {
			u, _ := b.CreateMultipartUpload(ctx, "c", MultipartOptions{})
			for n := 1; n <= 3; n++ {
				if _, err := u.UploadPart(ctx, n, strings.NewReader("0123456789"), nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := u.Abort(ctx); err != nil {
				t.Fatal(err)
			}
		}, 4},
		{"overwrite multipart", func() { put("a", "single") }, 2},
		{"delete", func() {
			if err := b.Delete(ctx, "a", "b"); err != nil {
				t.Fatal(err)
			}
		}, 0},
	}
	for _, st := range steps {
		st.do()
		if got := count(); got != st.files {
			t.Fatalf("after %s: %d blob files, want %d", st.name, got, st.files)
		}
		CheckClean(t, s) // count ran collect
	}
	if _, _, manifests, _ := s.indexStats(); manifests != 0 {
		t.Fatalf("%d manifests left", manifests)
	}
}

func TestOpenRecovers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openDB(t, filepath.Join(dir, "db"))
	s, err := Open(filepath.Join(dir, "r2"), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	b, _ := s.Bucket(ctx, "bkt")
	obj, err := b.Put(ctx, "kept", strings.NewReader("kept"), PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A stopped GC goroutine leaves work for Open.
	s.cancel()
	<-s.done
	if err := b.Delete(ctx, "kept"); err != nil {
		t.Fatal(err)
	}
	obj2, err := b.Put(ctx, "kept", strings.NewReader("kept2"), PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	write := func(p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A temp file, a renamed blob with its intent (crash before commit),
	// and an orphan without one (power loss).
	write(filepath.Join(s.tmpDir(), newID()))
	pending := newID()
	write(s.blobPath(pending))
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set(intentKey(pending), nil) }); err != nil {
		t.Fatal(err)
	}
	orphan := newID()
	write(s.blobPath(orphan))
	s.closed.Store(true)
	if err := s.closeDirs(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(filepath.Join(dir, "r2"), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	exists := func(id string) bool { _, err := os.Stat(s.blobPath(id)); return err == nil }
	if exists(obj.Version) || exists(pending) || !exists(obj2.Version) || !exists(orphan) {
		t.Fatalf("after Open: deleted version %v, pending %v, current %v, orphan %v; want false false true true",
			exists(obj.Version), exists(pending), exists(obj2.Version), exists(orphan))
	}
	if err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if exists(orphan) {
		t.Fatal("Sweep left the orphan")
	}
	b, _ = s.Bucket(ctx, "bkt")
	ob, err := b.Get(ctx, "kept", GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(ob.Body); err != nil || buf.String() != "kept2" {
		t.Fatalf("kept = %q, %v", buf.String(), err)
	}
	CheckClean(t, s)
}

func TestEncodingRoundTrip(t *testing.T) {
	e := &entry{version: newID(), size: 42, etag: "abc-2", class: classIA, multipart: true,
		http:   HTTPMetadata{ContentType: "a", CacheControl: "b"},
		custom: map[string]string{"x": "y", "": "z"},
		sums:   Checksums{MD5: []byte{1}, SHA512: []byte{2, 3}}}
	got, err := decodeEntry(e.encode())
	if err != nil {
		t.Fatal(err)
	}
	if got.version != e.version || got.size != 42 || got.etag != "abc-2" || got.class != classIA || !got.multipart ||
		got.http != e.http || got.custom["x"] != "y" || got.custom[""] != "z" || !bytes.Equal(got.sums.SHA512, []byte{2, 3}) || got.sums.SHA1 != nil {
		t.Fatalf("round trip: %+v", got)
	}
	raw := e.encode()
	for i := range raw {
		if _, err := decodeEntry(raw[:i]); err == nil {
			t.Fatalf("decoding %d of %d bytes succeeded", i, len(raw))
		}
	}

	// CRCs come after the fields of the first layout; a record cut
	// inside them is corrupt, one cut right before them is a record of
	// the first layout.
	e.sums.CRC32, e.sums.CRC32C, e.sums.CRC64NVME = []byte{4, 5, 6, 7}, []byte{8}, []byte{9, 10, 11, 12, 13, 14, 15, 16}
	raw = e.encode()
	got, err = decodeEntry(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.sums.CRC32, e.sums.CRC32) || !bytes.Equal(got.sums.CRC32C, e.sums.CRC32C) || !bytes.Equal(got.sums.CRC64NVME, e.sums.CRC64NVME) ||
		!bytes.Equal(got.sums.SHA512, []byte{2, 3}) {
		t.Fatalf("round trip with CRCs: %+v", got.sums)
	}
	firstLayout := *e
	firstLayout.sums.CRC32, firstLayout.sums.CRC32C, firstLayout.sums.CRC64NVME = nil, nil, nil
	first := len(firstLayout.encode())
	for i := range raw {
		_, err := decodeEntry(raw[:i])
		if ok := err == nil; ok != (i == first) {
			t.Fatalf("decoding %d of %d bytes: %v (the first layout is %d bytes)", i, len(raw), err, first)
		}
	}
}

// TestDecodeOldEntry decodes an object entry as the store wrote it before
// it kept CRCs.
func TestDecodeOldEntry(t *testing.T) {
	raw, _ := hex.DecodeString("010020303132333435363738396162636465663031323334353637383961626364656605203564343134303261626334623261373662393731396439313130313763353932f6f9b2e5bd68085374616e646172640a746578742f706c61696e000000000001016b0176025d410002aabb0000")
	e, err := decodeEntry(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := Checksums{MD5: []byte{0x5d, 0x41}, SHA256: []byte{0xaa, 0xbb}}
	if e.version != "0123456789abcdef0123456789abcdef" || e.size != 5 || e.etag != "5d41402abc4b2a76b9719d911017c592" ||
		e.uploaded.UnixMilli() != 1795000000123 || e.class != classStandard || e.http.ContentType != "text/plain" || e.custom["k"] != "v" ||
		!bytes.Equal(e.sums.MD5, want.MD5) || !bytes.Equal(e.sums.SHA256, want.SHA256) ||
		e.sums.SHA1 != nil || e.sums.CRC32 != nil || e.sums.CRC32C != nil || e.sums.CRC64NVME != nil {
		t.Fatalf("old entry decoded as %+v", e)
	}
	// Without CRCs, the store still writes the first layout, which older
	// versions read.
	if got := e.encode(); !bytes.Equal(got, raw) {
		t.Errorf("re-encoded as %x", got)
	}
}

// TestCRC64NVME checks the CRC-64/NVME parameters against the catalogue's
// check value (the CRC of "123456789").
func TestCRC64NVME(t *testing.T) {
	h := newCRC64NVME()
	h.Write([]byte("123456789"))
	if got := h.Sum64(); got != 0xAE8B14860A799888 {
		t.Errorf("CRC-64/NVME(123456789) = %#x, want 0xae8b14860a799888", got)
	}
}

// cutBody yields some bytes, then fails as net/http does when a client
// disconnects mid-body.
type cutBody struct{ sent bool }

func (c *cutBody) Read(p []byte) (int, error) {
	if c.sent {
		return 0, io.ErrUnexpectedEOF
	}
	c.sent = true
	return copy(p, "partial"), nil
}

// TestPutCutBody: a body that ends in an error (not io.EOF) stores nothing,
// even when the error is io.ErrUnexpectedEOF.
func TestPutCutBody(t *testing.T) {
	ctx := context.Background()
	s := OpenTestStore(t, Options{})
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	b, err := s.Bucket(ctx, "bkt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, "k", &cutBody{}, PutOptions{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Put of a cut body: %v, want io.ErrUnexpectedEOF", err)
	}
	if _, err := b.Head(ctx, "k"); !errors.Is(err, ErrNoSuchKey) {
		t.Errorf("after a cut body, Head = %v, want ErrNoSuchKey", err)
	}
}

// TestLegacyBucketNames checks buckets whose names an older Bindery
// accepted (1 to 63 characters, with "." and "_") and R2 does not: they
// stay usable and CreateBucket of one is a no-op, but once deleted it
// cannot be created again.
func TestLegacyBucketNames(t *testing.T) {
	ctx := context.Background()
	s := OpenTestStore(t, Options{})
	for _, name := range []string{"a", "ab", "my_bucket", "my.bucket", "v1.2_x"} {
		t.Run(name, func(t *testing.T) {
			if err := s.CreateBucket(ctx, name); !errors.Is(err, ErrInvalidBucketName) {
				t.Fatalf("CreateBucket(%q) = %v, want ErrInvalidBucketName", name, err)
			}
			// As an older version wrote it.
			if err := s.db.Update(func(txn *badger.Txn) error {
				return txn.Set(bucketKey(name), encodeBucket(s.nowMilli()))
			}); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateBucket(ctx, name); err != nil {
				t.Fatalf("CreateBucket(%q) of the existing bucket = %v, want nil", name, err)
			}
			b, err := s.Bucket(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.Put(ctx, "k", strings.NewReader("v"), PutOptions{}); err != nil {
				t.Fatal(err)
			}
			if o, err := b.Head(ctx, "k"); err != nil || o.Size != 1 {
				t.Fatalf("Head = %+v, %v", o, err)
			}
			infos, err := s.Buckets(ctx)
			if err != nil || !slices.ContainsFunc(infos, func(bi BucketInfo) bool { return bi.Name == name }) {
				t.Fatalf("Buckets = %+v, %v; want %q in it", infos, err, name)
			}
			if err := b.Delete(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteBucket(ctx, name); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateBucket(ctx, name); !errors.Is(err, ErrInvalidBucketName) {
				t.Fatalf("CreateBucket(%q) after delete = %v, want ErrInvalidBucketName", name, err)
			}
		})
	}
}
