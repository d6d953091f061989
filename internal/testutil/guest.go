// Package testutil builds Go guests for tests.
package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	built = map[string]string{}
)

// RepoRoot returns the repository root (the directory holding go.mod).
func RepoRoot(t testing.TB) string {
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
