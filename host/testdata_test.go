package host_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// TestTestdataWasmIsFresh rebuilds every testdata/*.wat as
// testdata/build.sh does (wat2wasm --debug-names) and compares the result
// with the committed .wasm, and checks the two fixtures that are not
// compiled (notwasm.wasm, truncated.wasm). Without wat2wasm it skips, or
// fails when wat is required (BINDERY_CONFORMANCE_REQUIRE, as in CI).
func TestTestdataWasmIsFresh(t *testing.T) {
	wats, err := filepath.Glob(filepath.Join("testdata", "*.wat"))
	if err != nil || len(wats) == 0 {
		t.Fatalf("no testdata/*.wat: %v", err)
	}
	hello, err := os.ReadFile(filepath.Join("testdata", "hello.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	fixed := []struct {
		name string
		want []byte
	}{
		{"notwasm.wasm", []byte("this is not wasm\n")},
		{"truncated.wasm", hello[:20]},
	}
	for _, f := range fixed {
		got, err := os.ReadFile(filepath.Join("testdata", f.name))
		if err != nil {
			t.Fatalf("%v: run host/testdata/build.sh", err)
		}
		if !bytes.Equal(got, f.want) {
			t.Errorf("testdata/%s is not what testdata/build.sh writes: run host/testdata/build.sh", f.name)
		}
	}

	wat2wasm, err := testutil.LookPath("wat", "wat2wasm", "apt-get install wabt")
	testutil.NeedToolchain(t, err)
	for _, wat := range wats {
		t.Run(filepath.Base(wat), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.wasm")
			if b, err := exec.Command(wat2wasm, "--debug-names", wat, "-o", out).CombinedOutput(); err != nil {
				t.Fatalf("wat2wasm %s: %v\n%s", wat, err, b)
			}
			want, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			committed := strings.TrimSuffix(wat, ".wat") + ".wasm"
			got, err := os.ReadFile(committed)
			if err != nil {
				t.Fatalf("%v: run host/testdata/build.sh", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is stale: run host/testdata/build.sh", committed)
			}
		})
	}
}
