package main

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/internal/testutil"
	"github.com/bindery-run/bindery/internal/wrangler"
)

// TestBuildErrors runs "bindery build" on small configs whose command
// fails or writes something other than a Worker.
func TestBuildErrors(t *testing.T) {
	const magic = `printf '\000asm\001\000\000\000'`
	magicTOML := strings.ReplaceAll(magic, `\`, `\\`) // in a TOML basic string
	tests := []struct {
		name    string
		toml    string // after name and main = "w.wasm"
		before  string // main's content before the build, if any
		wantOut string // in stdout, on success
		wantErr []string
		wantLog string // in stderr
	}{
		{name: "ok", toml: "[build]\ncommand = \"" + magicTOML + " > w.wasm\"\n", wantOut: "built w.wasm (8 bytes)", wantLog: "build: " + magic},
		{name: "cwd", toml: "[build]\ncwd = \"sub\"\ncommand = \"" + magicTOML + " > ../w.wasm && pwd\"\n", wantOut: "built w.wasm", wantLog: string(filepath.Separator) + "sub\n"},
		{name: "no build", toml: "", wantErr: []string{"wrangler.toml has no [build] command", "bindery init"}},
		{name: "no main", toml: "[build]\ncommand = \"true\"\n", wantErr: []string{"wrangler.toml has no main"}},
		{name: "fails", toml: "[build]\ncommand = \"echo oops >&2; exit 3\"\n", wantErr: []string{`[build] command "echo oops >&2; exit 3"`, "exit code 3"}, wantLog: "oops"},
		{name: "not found", toml: "[build]\ncommand = \"no-such-compiler-xyz\"\n", wantErr: []string{`"no-such-compiler-xyz"`, "exit code 127"}},
		{name: "writes nothing", toml: "[build]\ncommand = \"true\"\n", wantErr: []string{"main w.wasm does not exist", `after [build] command "true"`}},
		{name: "not wasm", toml: "[build]\ncommand = \"echo hello > w.wasm\"\n", wantErr: []string{"main w.wasm is not a WebAssembly module", "68 65 6c 6c 6f"}},
		{name: "empty", toml: "[build]\ncommand = \": > w.wasm\"\n", wantErr: []string{"main w.wasm is not a WebAssembly module (0 bytes"}},
		{name: "component", toml: "[build]\ncommand = \"printf '\\\\000asm\\\\015\\\\000\\\\001\\\\000' > w.wasm\"\n", wantOut: "built w.wasm (8 bytes)"},
		{name: "other version", toml: "[build]\ncommand = \"printf '\\\\000asm\\\\014\\\\000\\\\001\\\\000' > w.wasm\"\n", wantErr: []string{"main w.wasm is WebAssembly but neither a core module of version 1 nor a component", "0c 00 01 00"}},
		{name: "directory", toml: "[build]\ncommand = \"mkdir -p w.wasm\"\n", wantErr: []string{"main w.wasm is a directory"}},
		{name: "stale", toml: "[build]\ncommand = \"true\"\n", before: "\x00asm\x01\x00\x00\x00", wantOut: "built w.wasm", wantLog: "did not change w.wasm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.Mkdir(filepath.Join(dir, "sub"), 0o755)
			main := "main = \"w.wasm\"\n"
			if tc.name == "no main" {
				main = ""
			}
			toml := "name = \"b\"\n" + main + tc.toml
			if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), []byte(toml), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.before != "" {
				os.WriteFile(filepath.Join(dir, "w.wasm"), []byte(tc.before), 0o644)
			}
			out, errOut, err := runCLI(t, dir, "build")
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("build: %v\n%s", err, errOut)
				}
				if !strings.Contains(out, tc.wantOut) {
					t.Errorf("stdout = %q, want %q", out, tc.wantOut)
				}
			} else {
				if err == nil || errors.Is(err, errUsage) {
					t.Fatalf("build: err = %v, want a failure", err)
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error lacks %q: %v", want, err)
					}
				}
			}
			if !strings.Contains(errOut, tc.wantLog) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantLog, errOut)
			}
		})
	}
}

// TestBuildConfigFlag builds a project named by --config from elsewhere,
// with an [env] that changes the command.
func TestBuildConfigFlag(t *testing.T) {
	dir := t.TempDir()
	toml := "name = \"b\"\nmain = \"w.wasm\"\n[build]\ncommand = \"exit 9\"\n\n[env.ok]\n[env.ok.build]\ncommand = \"printf '\\\\000asm\\\\001\\\\000\\\\000\\\\000' > w.wasm\"\n"
	cfg := filepath.Join(dir, "wrangler.toml")
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, t.TempDir(), "build", "-c", cfg); err == nil || !strings.Contains(err.Error(), "exit code 9") {
		t.Errorf("top-level build: err = %v, want exit code 9", err)
	}
	out, errOut, err := runCLI(t, t.TempDir(), "build", "--config", cfg, "--env", "ok")
	if err != nil || !strings.Contains(out, filepath.Join(dir, "w.wasm")+" (8 bytes)") {
		t.Errorf("--env ok: %q, %v\n%s", out, err, errOut)
	}
}

// TestInitBuildDev is the path a new user takes, through the real binary:
// bindery init, bindery build, bindery dev, then requests.
func TestInitBuildDev(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI and Workers")
	}
	bin := testutil.BuildCLI(t)
	// A missing toolchain skips its language, or fails it when the
	// language is required (testutil.NeedToolchain).
	tests := []struct {
		lang  string
		probe func() (string, error) // nil: the toolchain is there (go)
	}{
		{"go", nil},
		{"c", probe("c", "guest-sdk/c/build.sh")},
		{"rust", probe("rust", "guest-sdk/rust/cargo-wasm")},
		{"zig", probe("zig", "guest-sdk/zig/build.sh")},
		{"assemblyscript", probe("assemblyscript", "guest-sdk/assemblyscript/build.sh")},
		{"js", testutil.ProbeNode},
		{"python", probe("python", "guest-sdk/python/build.sh")},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			if tc.probe != nil {
				_, err := tc.probe()
				testutil.NeedToolchain(t, err)
			}
			if tc.lang == "rust" {
				// Share the build (std included) across runs, as conformance does.
				cache, err := os.UserCacheDir()
				if err != nil {
					cache = os.TempDir()
				}
				t.Setenv("CARGO_TARGET_DIR", filepath.Join(cache, "bindery-test", "rust-init-target"))
			}
			dir := filepath.Join(t.TempDir(), "hello-"+tc.lang)
			if r := binCLI(t, bin, "", nil, "init", "--lang", tc.lang, dir); r.code != 0 {
				t.Fatalf("init: exit %d\n%s", r.code, r.stderr)
			}
			r := binCLI(t, bin, dir, nil, "build")
			switch tc.lang {
			case "js":
				// bindery builds a JavaScript main itself: the bundle is the output.
				if r.code != 0 || !strings.Contains(r.stdout, "bundled src/index.js into .bindery/build/worker.js (") {
					t.Fatalf("build: exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
			case "python":
				// So is a Python main (internal/pybuild), into its cache.
				if r.code != 0 || !strings.Contains(r.stdout, "built src/entry.py in ") {
					t.Fatalf("build: exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
			default:
				if r.code != 0 || !strings.Contains(r.stdout, "built hello-"+tc.lang+".wasm (") {
					t.Fatalf("build: exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				if _, err := checkWasm(filepath.Join(dir, "hello-"+tc.lang+".wasm")); err != nil {
					t.Fatal(err)
				}
			}
			if r := binCLI(t, bin, dir, nil, "init", "--lang", tc.lang); r.code != 1 || !strings.Contains(r.stderr, "wrangler.toml") {
				t.Errorf("init over the project: exit %d, want 1 naming wrangler.toml\n%s", r.code, r.stderr)
			}

			base := startDev(t, bin, dir)
			tests := []struct{ path, want string }{
				{"/", "hello from hello-" + tc.lang + "\n"},
				{"/count", "1\n"},
				{"/count", "2\n"},
			}
			for _, rt := range tests {
				resp, err := http.Get(base + rt.path)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(b) != rt.want {
					t.Errorf("GET %s = %d %q, want %q", rt.path, resp.StatusCode, b, rt.want)
				}
			}
			if resp, err := http.Get(base + "/nope"); err != nil || resp.StatusCode != 404 {
				t.Errorf("GET /nope = %v, %v; want 404", resp, err)
			}
		})
	}
}

// probe returns a function that runs the guest SDK script (relative to
// the repository root) with --probe for toolchain lang.
func probe(lang, script string) func() (string, error) {
	return func() (string, error) { return testutil.ProbeScript(lang, script) }
}

// startDev runs "bindery dev --port 0" in dir (which builds first) and
// returns the server's base URL; the server is killed when the test ends.
func startDev(t *testing.T, bin, dir string) string {
	t.Helper()
	base, _, stderr := startDevProcess(t, bin, dir, "--port", "0", "--log-level", "warn")
	if cfg, err := wrangler.Load(filepath.Join(dir, "wrangler.toml"), "", parsers(modules())...); err == nil && cfg.Build.Command != "" && !strings.Contains(stderr.String(), "build: ") {
		t.Errorf("bindery dev did not run the [build] command:\n%s", stderr.String())
	}
	return base
}

// startDevProcess runs the built binary's bindery dev with args in dir
// and returns, once it is ready, its base URL, its process (killed when
// the test ends; a test may stop it sooner) and its stderr.
func startDevProcess(t *testing.T, bin, dir string, args ...string) (string, *exec.Cmd, *syncBuf) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"dev"}, args...)...)
	cmd.Dir = dir
	stderr := &syncBuf{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Ready on "); ok {
				ready <- u
				break
			}
		}
		close(ready)
		io.Copy(io.Discard, out)
	}()
	select {
	case base, ok := <-ready:
		if !ok {
			t.Fatalf("bindery dev exited before it was ready:\n%s", stderr.String())
		}
		return base, cmd, stderr
	case <-time.After(3 * time.Minute):
		t.Fatalf("bindery dev not ready after 3 minutes:\n%s", stderr.String())
	}
	return "", nil, nil
}
