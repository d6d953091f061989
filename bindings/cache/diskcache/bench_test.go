package diskcache

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/bindings/cache"
)

// BenchmarkCache measures one put and one match (the body read to its
// end) of the memory and disk backends, through a Namespace.
func BenchmarkCache(b *testing.B) {
	dir := b.TempDir()
	db := openDB(b, filepath.Join(dir, "db"))
	defer db.Close()
	s, err := Open(filepath.Join(dir, "cache"), db, Options{})
	if err != nil {
		b.Fatal(err)
	}
	backends := []struct {
		name string
		b    cache.Backend
	}{
		{"memory", cache.NewMemory(nil)},
		{"disk", s.Cache("bench", cache.Name{})},
	}
	ctx := context.Background()
	for _, size := range []int{1 << 10, 1 << 20} {
		body := bytes.Repeat([]byte("x"), size)
		for _, be := range backends {
			ns := cache.NewNamespace(be.b, cache.Limits{}, nil)
			b.Run(fmt.Sprintf("put/%s/%d", be.name, size), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(size))
				for i := 0; b.Loop(); i++ {
					if _, err := ns.Put(ctx, get(fmt.Sprintf("https://a/%d", i%8)), maxAge, bytes.NewReader(body)); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("match/%s/%d", be.name, size), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(size))
				for b.Loop() {
					r, err := ns.Match(ctx, get("https://a/0"), cache.QueryOptions{})
					if err != nil || r == nil {
						b.Fatal(r, err)
					}
					io.Copy(io.Discard, r.Body)
					r.Body.Close()
				}
			})
		}
	}
}
