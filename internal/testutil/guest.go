// Package testutil builds guests and the CLI for tests, and decides
// whether a test whose toolchain is missing skips or fails
// (BINDERY_CONFORMANCE_REQUIRE, see [NeedToolchain]).
package testutil

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/bindery-run/bindery/internal/pybuild"
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
// A Worker that imports guest-sdk/go is a module of its own (dir/go.mod
// with a replace to the SDK): the root module does not require the SDK.
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
		hint := ""
		if _, statErr := os.Stat(filepath.Join(cmd.Dir, "go.mod")); statErr != nil {
			hint = "\n(a Go Worker that imports guest-sdk/go needs a go.mod of its own, as examples/hello has)"
		}
		t.Fatalf("build %s: %v\n%s%s", dir, err, b, hint)
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
// repository root, e.g. "examples/hello-py/worker.py") with internal/pybuild
// (the SDK embedded in the test binary) and returns the component's path.
// The build is cached by its inputs in the user cache directory
// (bindery-test/python), so only a changed Worker, SDK or WIT pays
// componentize-py's ~20 s. Without componentize-py 0.25.1 (never installed
// by a test: see [ProbePython]) the test skips, or fails when python is
// required (see [NeedToolchain]).
func BuildPythonGuest(t testing.TB, src string) string {
	t.Helper()
	opts, err := ProbePython()
	NeedToolchain(t, err)
	wasm, err := pybuild.Build(context.Background(), filepath.Join(root(), filepath.FromSlash(src)), opts)
	if err != nil {
		t.Fatalf("build %s: %v", src, err)
	}
	return wasm
}

// ProbePython returns the pybuild options the tests build Python Workers
// with (the cache in bindery-test/python under the user cache directory,
// componentize-py from $BINDERY_COMPONENTIZE_PY or its default, never
// installed) when componentize-py 0.25.1 is installed, else a
// *MissingError for "python" that says what is missing.
func ProbePython() (pybuild.Options, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	opts := pybuild.Options{
		CacheDir:     filepath.Join(cache, "bindery-test", "python"),
		ToolchainDir: os.Getenv(pybuild.ToolchainEnv),
		NoInstall:    true,
	}
	if err := pybuild.Probe(context.Background(), opts); err != nil {
		if errors.Is(err, pybuild.ErrNoPython) || errors.Is(err, pybuild.ErrToolchainMissing) {
			return opts, &MissingError{Toolchain: "python", Reason: err.Error() + " (run guest-sdk/python/install-toolchain.sh)"}
		}
		return opts, err
	}
	return opts, nil
}
