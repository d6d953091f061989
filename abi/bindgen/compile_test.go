package bindgen

import (
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// buildGenerated compiles generated files as if they were in the
// repository, without writing there: go build -overlay maps their paths to
// temporary copies. Host packages build for the host, guest packages (under
// guest-sdk/go) for GOOS=wasip1 GOARCH=wasm. extra maps more repository
// paths to contents (a guest program, say); when out is set, the last guest
// package is built with -buildmode=c-shared into out.
func buildGenerated(t *testing.T, files []File, out string, extra ...File) {
	t.Helper()
	goBin, err := testutil.LookPath("go", "go", "")
	testutil.NeedToolchain(t, err)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	overlay := map[string]string{}
	var hostPkgs, guestPkgs []string
	for i, f := range append(slices.Clone(files), extra...) {
		copyPath := filepath.Join(tmp, strings.ReplaceAll(f.Path, "/", "_"))
		if err := os.WriteFile(copyPath, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		overlay[filepath.Join(root, filepath.FromSlash(f.Path))] = copyPath
		dir := path.Dir(f.Path)
		if rel, ok := strings.CutPrefix(dir, "guest-sdk/go/"); ok {
			if !slices.Contains(guestPkgs, "./"+rel) {
				guestPkgs = append(guestPkgs, "./"+rel)
			}
		} else if i < len(files) && !slices.Contains(hostPkgs, "./"+dir) {
			hostPkgs = append(hostPkgs, "./"+dir)
		}
	}
	ov, _ := json.Marshal(map[string]any{"Replace": overlay})
	ovPath := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(dir string, env []string, args ...string) {
		t.Helper()
		cmd := exec.Command(goBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	if len(hostPkgs) > 0 {
		run(root, nil, append([]string{"build", "-overlay", ovPath}, hostPkgs...)...)
	}
	if len(guestPkgs) > 0 {
		wasm := []string{"GOOS=wasip1", "GOARCH=wasm"}
		if out != "" {
			main := guestPkgs[len(guestPkgs)-1]
			run(filepath.Join(root, "guest-sdk", "go"), wasm, "build", "-overlay", ovPath, "-buildmode=c-shared", "-o", out, main)
		} else {
			run(filepath.Join(root, "guest-sdk", "go"), wasm, append([]string{"build", "-overlay", ovPath}, guestPkgs...)...)
		}
	}
}

// TestLayoutCompiles compiles the host and guest code generated from the
// layout WIT: gofmt only parses, so a type error would go unnoticed.
func TestLayoutCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	cfg := layoutConfig
	cfg.GuestModule = "github.com/bindery-run/bindery/guest-sdk/go"
	cfg.GuestModuleDir = "guest-sdk/go"
	cfg.Targets = nil
	for _, tg := range layoutConfig.Targets {
		tg.HostDir = "abi/bindgen/testdata/gencheck/layout"
		tg.GuestDir = "guest-sdk/go/internal/wit/gencheck"
		cfg.Targets = append(cfg.Targets, tg)
	}
	files, err := Generate(layoutWIT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 {
		t.Fatalf("%d files, want 4", len(files))
	}
	buildGenerated(t, files, "")
}
