// Package testutil builds guests and the CLI for tests, and decides
// whether a test whose toolchain is missing skips or fails
// (BINDERY_CONFORMANCE_REQUIRE, see [NeedToolchain]).
package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	built = map[string]string{}
)

// RepoRoot returns the repository root (the directory holding go.mod).
func RepoRoot(t testing.TB) string { return root() }

// root returns the repository root, found from this file's path.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// BuildGoGuest builds the Go Worker in dir (relative to the repository
// root) as a wasip1 reactor and returns the .wasm path. It builds each
// directory once per test process; Go's build cache makes rebuilds cheap.
func BuildGoGuest(t testing.TB, dir string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if p, ok := built[dir]; ok {
		return p
	}
	out, err := os.MkdirTemp("", "bindery-guest-*")
	if err != nil {
		t.Fatal(err)
	}
	wasm := filepath.Join(out, filepath.Base(dir)+".wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", wasm, ".")
	cmd.Dir = filepath.Join(RepoRoot(t), dir)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", dir, err, b)
	}
	built[dir] = wasm
	return wasm
}

// BuildCLI builds cmd/bindery and returns the binary's path.
func BuildCLI(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if p, ok := built["cmd/bindery"]; ok {
		return p
	}
	out, err := os.MkdirTemp("", "bindery-cli-*")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(out, "bindery")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/bindery")
	cmd.Dir = RepoRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build bindery: %v\n%s", err, b)
	}
	built["cmd/bindery"] = bin
	return bin
}

// BuildPythonGuest builds the Python Worker src (relative to the
// repository root, e.g. "examples/hello-py/worker.py") with
// guest-sdk/python/build.sh and returns the component's path. The build is
// cached by its inputs in the user cache directory (bindery-test/python),
// so only a changed Worker, SDK or WIT pays componentize-py's ~20 s.
// Without componentize-py 0.25.1 the test skips, or fails when python is
// required (see [NeedToolchain]).
func BuildPythonGuest(t testing.TB, src string) string {
	t.Helper()
	_, err := ProbeScript("python", "guest-sdk/python/build.sh")
	NeedToolchain(t, err)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	out := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(src), ".py")+".wasm")
	cmd := exec.Command("bash", filepath.Join(root(), "guest-sdk", "python", "build.sh"), filepath.Join(root(), filepath.FromSlash(src)), "-o", out,
		"--cache-dir", filepath.Join(cache, "bindery-test", "python"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", src, err, b)
	}
	return out
}
