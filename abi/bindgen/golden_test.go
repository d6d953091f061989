package bindgen

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
	"go.bytecodealliance.org/wit"
)

var update = flag.Bool("update", false, "rewrite the generated files in testdata/layouthost")

// layoutConfig generates host glue for testdata/layout/layout.wit into
// testdata/layouthost, which the layout tests import and run.
var layoutConfig = Config{
	Module: "github.com/bindery-run/bindery",
	World:  "layout",
	Targets: []Target{
		{Interface: "test:layout/types", HostDir: "abi/bindgen/testdata/layouthost"},
		{Interface: "test:layout/exports", HostDir: "abi/bindgen/testdata/layouthost"},
	},
}

var (
	layoutOnce sync.Once
	layoutRes  *wit.Resolve
	layoutErr  error
)

// layoutWIT loads testdata/layout/layout.wit once.
func layoutWIT(tb testing.TB) *wit.Resolve {
	tb.Helper()
	layoutOnce.Do(func() { layoutRes, layoutErr = wit.LoadWIT(filepath.Join("testdata", "layout", "layout.wit")) })
	if layoutErr != nil {
		tb.Fatal(layoutErr)
	}
	return layoutRes
}

// TestLayoutGolden checks that testdata/layouthost is what the generator
// makes of testdata/layout today; after a change to the generator, run
// go test ./abi/bindgen -run Golden -update and review the diff.
func TestLayoutGolden(t *testing.T) {
	files, err := Generate(layoutWIT(t), layoutConfig)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("generated %d files, want 2", len(files))
	}
	for _, f := range files {
		path := strings.TrimPrefix(f.Path, "abi/bindgen/")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(old, f.Data) {
			t.Errorf("%s is stale: run go test ./abi/bindgen -run Golden -update", path)
		}
	}
}

// TestLayoutGuestWasmIsFresh recompiles testdata/layoutguest.wat with
// wat2wasm and compares. Without wat2wasm it skips, or fails when wat is
// required (BINDERY_CONFORMANCE_REQUIRE, as in CI).
func TestLayoutGuestWasmIsFresh(t *testing.T) {
	wat2wasm, err := testutil.LookPath("wat", "wat2wasm", "apt-get install wabt")
	testutil.NeedToolchain(t, err)
	out := filepath.Join(t.TempDir(), "out.wasm")
	wat := filepath.Join("testdata", "layoutguest.wat")
	if b, err := exec.Command(wat2wasm, wat, "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("wat2wasm: %v\n%s", err, b)
	}
	want, _ := os.ReadFile(out)
	if got, err := os.ReadFile(filepath.Join("testdata", "layoutguest.wasm")); err != nil || !bytes.Equal(got, want) {
		t.Errorf("testdata/layoutguest.wasm is stale: run wat2wasm %s -o testdata/layoutguest.wasm", wat)
	}
}
