package modrewrite

import (
	"os"
	"testing"
)

// BenchmarkRewrite is the load-time cost of both rewrites on a Go guest
// (BINDERY_BENCH_WASM names the .wasm; skipped without it).
func BenchmarkRewrite(b *testing.B) {
	path := os.Getenv("BINDERY_BENCH_WASM")
	if path == "" {
		b.Skip("set BINDERY_BENCH_WASM to a Go guest's .wasm")
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	merged, _, err := Merge(wasm, 4096)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("merge", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := Merge(wasm, 4096); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("instrument", func(b *testing.B) {
		for b.Loop() {
			if _, err := Instrument(merged, 1<<14); err != nil {
				b.Fatal(err)
			}
		}
	})
}
