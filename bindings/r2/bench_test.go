package r2_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/bindings/r2"
)

// benchSizes are the object sizes of the Put and Get benchmarks.
var benchSizes = []struct {
	name string
	n    int
}{{"4KiB", 4 << 10}, {"1MiB", 1 << 20}, {"64MiB", 64 << 20}}

// benchKeys is how many keys the benchmarks rotate over: puts overwrite,
// so the store's background deletion runs during the benchmark, as it
// would in use.
const benchKeys = 8

// BenchmarkPut compares Bucket.Put (md5 while streaming, fsync of the
// file and its directory, index commit) with writing the same bytes with
// os.WriteFile's steps plus an fsync. Read the ratio of the MB/s columns.
func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	for _, sz := range benchSizes {
		data := bytes.Repeat([]byte("0123456789abcdef"), sz.n/16)
		b.Run("store/"+sz.name, func(b *testing.B) {
			bk := benchBucket(b)
			b.SetBytes(int64(sz.n))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := bk.Put(ctx, fmt.Sprint("k", i%benchKeys), bytes.NewReader(data), r2.PutOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("os/"+sz.name, func(b *testing.B) {
			dir := b.TempDir()
			b.SetBytes(int64(sz.n))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := writeFileSync(filepath.Join(dir, fmt.Sprint("k", i%benchKeys)), data); err != nil {
					b.Fatal(err)
				}
			}
		})
		// os-atomic is how any crash-safe file write replaces a file:
		// a temp file, fsync, rename, fsync of the directory.
		b.Run("os-atomic/"+sz.name, func(b *testing.B) {
			dir := b.TempDir()
			d, err := os.Open(dir)
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			b.SetBytes(int64(sz.n))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				tmp := filepath.Join(dir, "tmp")
				if err := writeFileSync(tmp, data); err != nil {
					b.Fatal(err)
				}
				if err := os.Rename(tmp, filepath.Join(dir, fmt.Sprint("k", i%benchKeys))); err != nil {
					b.Fatal(err)
				}
				if err := d.Sync(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// writeFileSync is os.WriteFile followed by an fsync.
func writeFileSync(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// BenchmarkGet compares Bucket.Get with the body copied to a writer that
// drops it against os.ReadFile of the same bytes.
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	for _, sz := range benchSizes {
		data := bytes.Repeat([]byte("0123456789abcdef"), sz.n/16)
		b.Run("store/"+sz.name, func(b *testing.B) {
			bk := benchBucket(b)
			for i := range benchKeys {
				if _, err := bk.Put(ctx, fmt.Sprint("k", i), bytes.NewReader(data), r2.PutOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(sz.n))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				ob, err := bk.Get(ctx, fmt.Sprint("k", i%benchKeys), r2.GetOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.Copy(sink{}, ob.Body); err != nil || n != int64(sz.n) {
					b.Fatal(n, err)
				}
				ob.Body.Close()
			}
		})
		b.Run("os/"+sz.name, func(b *testing.B) {
			dir := b.TempDir()
			for i := range benchKeys {
				if err := writeFileSync(filepath.Join(dir, fmt.Sprint("k", i)), data); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(sz.n))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				got, err := os.ReadFile(filepath.Join(dir, fmt.Sprint("k", i%benchKeys)))
				if err != nil || len(got) != sz.n {
					b.Fatal(len(got), err)
				}
			}
		})
		// os-stream reads the file the way the store's body does: open,
		// copy through a 256 KiB buffer, close; no index lookup.
		b.Run("os-stream/"+sz.name, func(b *testing.B) {
			dir := b.TempDir()
			for i := range benchKeys {
				if err := writeFileSync(filepath.Join(dir, fmt.Sprint("k", i)), data); err != nil {
					b.Fatal(err)
				}
			}
			buf := make([]byte, 256<<10)
			b.SetBytes(int64(sz.n))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				f, err := os.Open(filepath.Join(dir, fmt.Sprint("k", i%benchKeys)))
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.CopyBuffer(sink{}, struct{ io.Reader }{f}, buf); err != nil || n != int64(sz.n) {
					b.Fatal(n, err)
				}
				f.Close()
			}
		})
	}
}

// benchBucket returns a bucket of a fresh store.
func benchBucket(b *testing.B) *r2.Bucket {
	b.Helper()
	s := r2.OpenTestStore(b, r2.Options{})
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	bk, err := s.Bucket(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return bk
}

// sink is io.Discard without its ReadFrom method (which reads 8 KiB at a
// time), like a destination that is not a file or socket.
type sink struct{}

func (sink) Write(p []byte) (int, error) { return len(p), nil }
