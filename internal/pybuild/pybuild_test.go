package pybuild_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/abi"
	cacheapi "github.com/bindery-run/bindery/bindings/cache"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/vars"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/durablehost"
	"github.com/bindery-run/bindery/internal/pybuild"
	"github.com/bindery-run/bindery/internal/testutil"
)

// fakePython writes a shell script that answers the commands pybuild runs
// as python3 would, without a network or a real componentize-py: the
// version check, pip --version, pip install (which lays out a wheel's
// files under --target, and logs its arguments and requirements to
// pip.log beside the script) and componentize-py --version. version is
// what sys.version_info says; pip "" means python has no pip.
func fakePython(t *testing.T, version, pip string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake python is a shell script")
	}
	dir := t.TempDir()
	script := `#!/bin/sh
log="$(dirname "$0")/pip.log"
case "$1 $2" in
"-c import sys; print"*) echo "` + version + `"; exit 0 ;;
"-m pip")
  [ -n "` + pip + `" ] || { echo "No module named pip" >&2; exit 1; }
  [ "$3" = "--version" ] && { echo "pip ` + pip + `"; exit 0; }
  echo "$*" >> "$log"
  target="" req=""
  while [ $# -gt 0 ]; do
    case "$1" in --target) target=$2; shift ;; -r) req=$2; shift ;; esac
    shift
  done
  cat "$req" >> "$log"
  mkdir -p "$target/componentize_py" "$target/componentize_py-0.25.1.dist-info"
  echo "# fake" > "$target/componentize_py/__init__.py"
  exit 0 ;;
esac
if [ "$1" = "-c" ] && [ "$3" = "--version" ]; then
  [ -f "$PYTHONPATH/componentize_py/__init__.py" ] || { echo "No module named componentize_py" >&2; exit 1; }
  echo "componentize-py 0.25.1"; exit 0
fi
echo "fake python: unexpected $*" >&2
exit 2
`
	p := filepath.Join(dir, "python3")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestInstall installs componentize-py with a fake python and pip: the
// pip command is pinned (one version, its wheels' hashes, binaries only,
// no dependencies), the install is marked complete, a second Install
// does nothing, an install an older install-toolchain.sh made (no marker)
// is checked and kept, and a python without pip or too old is an error
// that says what to install.
func TestInstall(t *testing.T) {
	tests := []struct {
		name, version, pip string
		// before prepares the toolchain directory.
		before  func(t *testing.T, dir string)
		wantErr error
		// pipRuns is how many pip installs the two Installs make.
		pipRuns int
	}{
		{name: "fresh", version: "3.12", pip: "24.0", pipRuns: 1},
		{name: "an older script's install", version: "3.12", pip: "24.0", pipRuns: 0, before: func(t *testing.T, dir string) {
			for _, d := range []string{"componentize_py", "componentize_py-0.25.1.dist-info"} {
				if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "componentize_py", "__init__.py"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "another version", version: "3.12", pip: "24.0", pipRuns: 1, before: func(t *testing.T, dir string) {
			if err := os.MkdirAll(filepath.Join(dir, "componentize_py-0.19.0.dist-info"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "no pip", version: "3.12", pip: "", wantErr: pybuild.ErrNoPip},
		{name: "python 3.8", version: "3.8", pip: "24.0", wantErr: pybuild.ErrNoPython},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			py := fakePython(t, tc.version, tc.pip)
			dir := filepath.Join(t.TempDir(), "componentize-py")
			if tc.before != nil {
				tc.before(t, dir)
			}
			var progress bytes.Buffer
			opts := pybuild.Options{Python: py, ToolchainDir: dir, CacheDir: t.TempDir(), Progress: &progress}
			for range 2 {
				err := pybuild.Install(context.Background(), opts)
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) {
						t.Fatalf("Install = %v, want %v", err, tc.wantErr)
					}
					if !strings.Contains(err.Error(), py) {
						t.Errorf("the error %q does not name the python", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Install: %v\n%s", err, progress.String())
				}
			}
			if b, err := os.ReadFile(filepath.Join(dir, ".installed")); err != nil || string(b) != "componentize-py 0.25.1\n" {
				t.Errorf("marker: %q %v", b, err)
			}
			if err := pybuild.Probe(context.Background(), opts); err != nil {
				t.Errorf("Probe after Install: %v", err)
			}
			log, _ := os.ReadFile(filepath.Join(filepath.Dir(py), "pip.log"))
			if n := strings.Count(string(log), "-m pip install "); n != tc.pipRuns {
				t.Fatalf("pip ran %d times, want %d:\n%s", n, tc.pipRuns, log)
			}
			if tc.pipRuns == 0 {
				return
			}
			for _, want := range []string{"--require-hashes", "--only-binary=:all:", "--no-deps", "--target " + filepath.Dir(dir),
				"componentize-py==0.25.1",
				"--hash=sha256:8623cd8cab8453cb0cd8bf03f3c7103420d06f2f3d360186a280a70a1ca5e89f",
				"--hash=sha256:7b6a87c520358166843af0daa86d2312d7af4cbcbbf1e598951085cf7f2991ca"} {
				if !strings.Contains(string(log), want) {
					t.Errorf("pip's arguments and requirements do not contain %q:\n%s", want, log)
				}
			}
			if !strings.Contains(progress.String(), "installing componentize-py 0.25.1 into "+dir) {
				t.Errorf("progress does not say what it installs where:\n%s", progress.String())
			}
			if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
				t.Errorf("the toolchain's parent holds %d entries, want only the install (no temporary left)", len(entries))
			}
		})
	}
}

// TestBuildRefuses holds Build to clear errors for what cannot be built,
// before componentize-py runs.
func TestBuildRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"entry.py", "my-worker.py", "bindery.py", "js.py", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x = 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	py := fakePython(t, "3.12", "24.0")
	empty := filepath.Join(t.TempDir(), "none")
	tests := []struct {
		name, entry string
		opts        pybuild.Options
		want        string
		wantErr     error
	}{
		{name: "missing", entry: filepath.Join(dir, "nope.py"), want: "no such file"},
		{name: "a directory", entry: dir, want: "is not a file"},
		{name: "not python", entry: filepath.Join(dir, "notes.txt"), want: "is not a .py file"},
		{name: "not a module name", entry: filepath.Join(dir, "my-worker.py"), want: `"my-worker" is not a Python module name`},
		{name: "the SDK's name", entry: filepath.Join(dir, "bindery.py"), want: `cannot be named "bindery"`},
		{name: "the js shim's name", entry: filepath.Join(dir, "js.py"), want: `cannot be named "js"`},
		{name: "no python", entry: filepath.Join(dir, "entry.py"), opts: pybuild.Options{Python: filepath.Join(dir, "no-python3")}, wantErr: pybuild.ErrNoPython},
		{name: "no toolchain and no install", entry: filepath.Join(dir, "entry.py"), opts: pybuild.Options{Python: py, NoInstall: true},
			wantErr: pybuild.ErrToolchainMissing, want: "install-toolchain.sh"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.CacheDir, opts.ToolchainDir = t.TempDir(), empty
			if opts.Python == "" {
				opts.Python = py
			}
			_, err := pybuild.Build(context.Background(), tc.entry, opts)
			if err == nil {
				t.Fatal("Build succeeded")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("Build = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Build = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// project writes files (path → content) into a new directory outside the
// repository and returns it.
func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// realToolchain returns options for a real build with a fresh cache
// directory (so the SDK is written from the copy embedded in the test
// binary), or skips the test without componentize-py.
func realToolchain(t *testing.T) pybuild.Options {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: componentize-py takes ~20 s a build")
	}
	opts, err := testutil.ProbePython()
	testutil.NeedToolchain(t, err)
	opts.CacheDir = t.TempDir()
	return opts
}

// TestBuild builds a Worker in Cloudflare's layout (src/entry.py and a
// module beside it) that lies outside the repository, with the SDK from
// the copy embedded in the binary, serves it, and builds it again from
// the cache.
func TestBuild(t *testing.T) {
	opts := realToolchain(t)
	dir := project(t, map[string]string{
		"wrangler.jsonc": `{"main": "src/entry.py", "compatibility_flags": ["python_workers"]}`,
		"src/entry.py": `from workers import Response, WorkerEntrypoint
from greeting import greet


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(greet(self.env.GREETING))
`,
		"src/greeting.py": "def greet(word):\n    return word + \" from outside the repository\"\n",
	})
	var progress bytes.Buffer
	opts.Progress = &progress
	entry := filepath.Join(dir, "src", "entry.py")
	wasm, err := pybuild.Build(context.Background(), entry, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(wasm, opts.CacheDir+string(filepath.Separator)) {
		t.Errorf("output %s is not in the cache %s", wasm, opts.CacheDir)
	}
	b, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0, 'a', 's', 'm', 0x0d, 0, 1, 0}) {
		t.Fatalf("%s is not a component: % x", wasm, b[:8])
	}
	// The SDK came from the embedded copy, written to the cache.
	sdk, _ := filepath.Glob(filepath.Join(opts.CacheDir, "python-sdk", "*", "python", "workers", "__init__.py"))
	wit, _ := filepath.Glob(filepath.Join(opts.CacheDir, "python-sdk", "*", "wit", "deps", "kv", "kv.wit"))
	if len(sdk) != 1 || len(wit) != 1 {
		t.Errorf("the cache holds SDK %q and WIT %q, want one of each", sdk, wit)
	}
	if !strings.Contains(progress.String(), "python: building "+entry) || !strings.Contains(progress.String(), "python: built ") {
		t.Errorf("progress:\n%s", progress.String())
	}

	progress.Reset()
	again, err := pybuild.Build(context.Background(), entry, opts)
	if err != nil || again != wasm {
		t.Errorf("rebuild = %s, %v; want the cached %s", again, err, wasm)
	}
	if !strings.Contains(progress.String(), "unchanged") {
		t.Errorf("rebuild progress:\n%s", progress.String())
	}

	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{Interfaces: []abi.Interface{kv.WIT(), vars.WIT(), r2.WIT(), cacheapi.WIT(), d1.WIT(), durablehost.ClientWIT(), durablehost.StateWIT()}})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	v, err := vars.New(map[string]vars.Var{"GREETING": {Kind: vars.Text, Value: "hello"}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := rt.NewWorker(ctx, host.WorkerConfig{Name: "outside", Wasm: b, Bindings: []host.Binding{v}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx)
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || rec.Body.String() != "hello from outside the repository" {
		t.Errorf("GET / = %d %q", rec.Code, rec.Body)
	}
}

// TestBuildError holds a failed build to an error that shows the Worker's
// own traceback, with its file on disk.
func TestBuildError(t *testing.T) {
	opts := realToolchain(t)
	tests := []struct {
		name, src string
		want      []string
	}{
		{name: "an import that is not there", src: "import nosuchmodule\n",
			// The Worker's own file, as it is on disk.
			want: []string{"ModuleNotFoundError: No module named 'nosuchmodule'", "entry.py\", line 1", "{dir}"}},
		{name: "no handler", src: "x = 1\n",
			want: []string{"TypeError: the Worker module 'entry' must define class Default(WorkerEntrypoint)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := project(t, map[string]string{"entry.py": tc.src})
			_, err := pybuild.Build(context.Background(), filepath.Join(dir, "entry.py"), opts)
			var be *pybuild.BuildError
			if !errors.As(err, &be) {
				t.Fatalf("Build = %v, want a *BuildError", err)
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Errorf("Build = %v, want it to wrap the exit status", err)
			}
			for _, w := range append(tc.want, "Traceback (most recent call last)") {
				w = strings.ReplaceAll(w, "{dir}", dir)
				if !strings.Contains(be.Output, w) {
					t.Errorf("the output does not contain %q:\n%s", w, be.Output)
				}
			}
			if strings.Contains(be.Output, "Stack backtrace") || strings.Contains(be.Output, "AssertionError") {
				t.Errorf("the output keeps componentize-py's own wrapping:\n%s", be.Output)
			}
			// Nothing half-built is left for the next build to take.
			outs, _ := filepath.Glob(filepath.Join(opts.CacheDir, "py-build", "*"))
			if len(outs) != 0 {
				t.Errorf("py-build holds %q after a failed build", outs)
			}
		})
	}
}
