package bindgen

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/abi"
	lh "github.com/bindery-run/bindery/abi/bindgen/testdata/layouthost"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// TestRoundTrip runs a Go guest (testdata/roundtrip/main.go) over the guest
// bindings generated from the layout WIT against the host glue generated
// from it (testdata/layouthost): every value crosses the boundary both ways
// through generated code on both sides. The guest and its bindings are
// built with go build -overlay, so nothing is written to the repository.
func TestRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Go guest")
	}
	cfg := layoutConfig
	cfg.GuestModule = "github.com/bindery-run/bindery/guest-sdk/go"
	cfg.GuestModuleDir = "guest-sdk/go"
	cfg.Targets = nil
	for _, tg := range layoutConfig.Targets {
		tg.HostDir = "" // the committed testdata/layouthost
		tg.GuestDir = "guest-sdk/go/internal/wit/layoutrt"
		cfg.Targets = append(cfg.Targets, tg)
	}
	files, err := Generate(layoutWIT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	main, err := os.ReadFile(filepath.Join("testdata", "roundtrip", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	wasmPath := filepath.Join(t.TempDir(), "roundtrip.wasm")
	buildGenerated(t, files, wasmPath, File{Path: "guest-sdk/go/internal/wit/layoutrt/guest/main.go", Data: main})
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	rc := wazero.NewRuntimeConfig()
	if dir, err := os.UserCacheDir(); err == nil { // as examples/ does: compiling big Go under -race is slow
		if cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(dir, "bindery-test", "wazero")); err == nil {
			rc = rc.WithCompilationCache(cache)
		}
	}
	r := wazero.NewRuntimeWithConfig(ctx, rc)
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	hb := r.NewHostModuleBuilder(lh.TypesInterface)
	lh.DefineTypes(hb, 0)
	if _, err := hb.Instantiate(ctx); err != nil {
		t.Fatal(err)
	}
	host := &layoutHost{}
	var inst *abi.Instance
	// _initialize runs with the instance in the context too, should the
	// guest's init call an import.
	var stderr bytes.Buffer // the guest's panics
	mod, err := r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName("").WithStartFunctions().WithStderr(&stderr))
	if err != nil {
		t.Fatal(err)
	}
	if inst, err = abi.NewInstance(mod, []any{host}); err != nil {
		t.Fatal(err)
	}
	ctx = abi.WithInstance(ctx, inst)
	if _, err := mod.ExportedFunction("_initialize").Call(ctx); err != nil {
		t.Fatal(err)
	}
	ex, err := lh.NewExportsExports(mod)
	if err != nil {
		t.Fatal(err)
	}
	want := mixedValues()
	for i := range 3 { // again, after post-return reset the guest's arena
		got, err := ex.MakeMixed(ctx, inst, "round trip")
		if err != nil {
			t.Fatalf("call %d: %v\nguest stderr:\n%s", i, err, stderr.Bytes())
		}
		if !same(got, want) {
			t.Fatalf("call %d: make-mixed returned\n%+v\nwant\n%+v", i, got, want)
		}
	}
	if !same(host.mixed, want) {
		t.Errorf("the host got\n%+v\nwant\n%+v", host.mixed, want)
	}
	if want := (lh.Shape{Tag: lh.ShapePainted, Painted: lh.ColorGreen}); !same(host.shape, want) || !same(host.opt, abi.Some[uint64](42)) {
		t.Errorf("flat-small got %+v %+v", host.opt, host.shape)
	}
	if host.spill != "spilled" {
		t.Errorf("spilled got %q", host.spill)
	}
	if host.char != '🌍' {
		t.Errorf("char-of got %q", host.char)
	}
	if inst.Poisoned() != nil {
		t.Errorf("poisoned: %v", inst.Poisoned())
	}
}
