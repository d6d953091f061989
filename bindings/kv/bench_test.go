package kv_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/kv/badgerkv"
	"github.com/bindery-run/bindery/internal/badgerdb"
)

// BenchmarkNamespace measures one Namespace call end to end on each
// backend, with 100-byte values over 1000 keys.
func BenchmarkNamespace(b *testing.B) {
	backends := []struct {
		name string
		new  func(b *testing.B) kv.Backend
	}{
		{"memory", func(*testing.B) kv.Backend { return kv.NewMemory(nil) }},
		{"badger", func(b *testing.B) kv.Backend {
			db, err := badgerdb.Open(b.TempDir(), nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = db.Close() })
			return badgerkv.New(db, "bench", nil)
		}},
	}
	const nKeys = 1000
	keys := make([]string, nKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%04d", i)
	}
	value := make([]byte, 100)
	ctx := context.Background()
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			b.Run("get", func(b *testing.B) {
				ns := kv.NewNamespace(be.new(b), kv.Limits{}, nil)
				for _, k := range keys {
					if err := ns.Put(ctx, k, value, kv.PutOptions{}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					if _, found, err := ns.Get(ctx, keys[i%nKeys]); err != nil || !found {
						b.Fatal(found, err)
					}
				}
			})
			b.Run("put", func(b *testing.B) {
				ns := kv.NewNamespace(be.new(b), kv.Limits{}, nil)
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					if err := ns.Put(ctx, keys[i%nKeys], value, kv.PutOptions{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
