package r2_test

import (
	"testing"

	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/r2/r2test"
)

// TestConformance runs the conformance suite over both backends: the
// Store (bytes in files, index in Badger) and the in-memory one.
func TestConformance(t *testing.T) {
	backends := []struct {
		name string
		new  r2test.NewStore
	}{
		{"store", func(t *testing.T, opts r2.Options) r2.Backend { return r2.OpenTestStore(t, opts) }},
		{"memory", func(t *testing.T, opts r2.Options) r2.Backend { return r2.NewMemory(opts) }},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { r2test.Run(t, b.new) })
	}
}
