package examples_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// embedderMain is the embedding module's program: it imports the host
// package, as a Go service that runs Workers does.
const embedderMain = `package main

import (
	"context"
	"fmt"
	"os"

	"github.com/bindery-run/bindery/host"
)

func main() {
	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer rt.Close(ctx)
}
`

// TestEmbedderModuleGraph is a Go module that depends on bindery, as an
// embedder's does: a replace in bindery's own go.mod does not apply there,
// so were the root module to require the guest SDK (a nested module that is
// not published), `go list -m all` and the build would fail. The Go Workers
// that import the SDK are modules of their own for that reason. It runs
// offline: everything comes from the module cache, which CI fills with
// `go mod download` and the rest of the tests need anyway.
func TestEmbedderModuleGraph(t *testing.T) {
	goBin, err := testutil.LookPath("go", "go", "")
	testutil.NeedToolchain(t, err)
	root, err := filepath.Abs(testutil.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	rootMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := "go 1.26.0"
	for line := range strings.Lines(string(rootMod)) {
		if strings.HasPrefix(line, "go ") {
			goLine = strings.TrimSpace(line)
			break
		}
	}
	sums, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/embedder\n\n" + goLine + "\n\n" +
			"require github.com/bindery-run/bindery v0.0.0\n\n" +
			"replace github.com/bindery-run/bindery => " + strconv.Quote(root) + "\n",
		// bindery's go.sum covers its module graph, as `go get` would write it.
		"go.sum":  string(sums),
		"main.go": embedderMain,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(),
		"GOFLAGS=-mod=mod -buildvcs=false",
		"GOPROXY=off", // offline: the module cache only
		"GOSUMDB=off",
		"GOWORK=off",
		"GOTOOLCHAIN=local",
	)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(goBin, args...)
		cmd.Dir = dir
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s in an embedding module: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	mods := run("list", "-m", "all")
	if strings.Contains(mods, "github.com/bindery-run/bindery/guest-sdk/go") {
		t.Errorf("the embedder's module graph has the guest SDK:\n%s", mods)
	}
	run("build", "-o", filepath.Join(dir, "embedder"), ".")
}
