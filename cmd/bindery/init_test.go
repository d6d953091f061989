package main

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/bindings/kv/kvmodule"
	"github.com/bindery-run/bindery/internal/testutil"
	"github.com/bindery-run/bindery/internal/wrangler"
)

func TestInitUsage(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr error
		want    string // in stdout+stderr
	}{
		{[]string{"init", "--help"}, flag.ErrHelp, "Languages (--lang): go (default), c, rust, zig, assemblyscript, js, python."},
		{[]string{"init", "--help"}, flag.ErrHelp, "index.ts imports the SDK folder by a relative path"},
		{[]string{"init", "--lang", "cobol"}, errUsage, `unknown --lang "cobol": want one of go, c, rust, zig, assemblyscript, js, python`},
		{[]string{"init", "a", "b"}, errUsage, "at most one DIR"},
		{[]string{"init", "--name", "Bad_Name"}, errUsage, `--name "Bad_Name"`},
		{[]string{"init", "--name", "-dash"}, errUsage, `--name "-dash"`},
		{[]string{"init", "--bogus"}, errUsage, "flag provided but not defined"},
		{[]string{"init", "___"}, errUsage, "give --name"},
		{[]string{"init", "--lang", "rust", "--name", "9lives"}, errUsage, "starts with a digit"},
		{[]string{"build", "--help"}, flag.ErrHelp, "Builds the Worker as \"bindery dev\" would"},
		{[]string{"build", "extra"}, errUsage, `unexpected arguments ["extra"]`},
		{[]string{"help"}, nil, "bindery init [--lang LANG]"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			out, errOut, err := runCLI(t, dir, tc.args...)
			if !errors.Is(err, tc.wantErr) && !(err == nil && tc.wantErr == nil) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(out+errOut, tc.want) {
				t.Errorf("output lacks %q:\n%s%s", tc.want, out, errOut)
			}
			if tc.wantErr != nil {
				if entries, _ := os.ReadDir(dir); len(entries) > 0 {
					t.Errorf("a failed init wrote %d files in %s", len(entries), dir)
				}
			}
		})
	}
}

// TestInit scaffolds each language into a fresh folder and checks the files
// and the config they make.
func TestInit(t *testing.T) {
	root, _ := filepath.Abs(testutil.RepoRoot(t))
	tmp := t.TempDir()
	tests := []struct {
		lang      string
		files     []string // besides wrangler.toml, .gitignore, README.md
		main      string   // main, relative ("" for my-worker.wasm)
		command   string   // in [build] command
		contains  map[string]string
		execFiles []string
	}{
		{
			lang:    "go",
			files:   []string{"main.go", "go.mod"},
			command: "GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o my-worker.wasm .",
			contains: map[string]string{
				"go.mod":  "replace github.com/bindery-run/bindery/guest-sdk/go => " + filepath.Join(root, "guest-sdk", "go") + "\n",
				"main.go": `bindery.KV("STORE")`,
			},
		},
		{
			lang:    "c",
			files:   []string{"main.c", "bindery-sdk/bindery.h", "bindery-sdk/bindery.c", "bindery-sdk/structured.c", "bindery-sdk/generated/kv_store.c", "bindery-sdk/build.sh"},
			command: "bindery-sdk/build.sh -o my-worker.wasm main.c",
			contains: map[string]string{
				"main.c":    `bindery_kv_get("STORE"`,
				"README.md": "build.sh --probe",
			},
			execFiles: []string{"bindery-sdk/build.sh"},
		},
		{
			lang:    "rust",
			files:   []string{"Cargo.toml", "Cargo.lock", "src/lib.rs"},
			command: filepath.Join(root, "guest-sdk", "rust") + "/cargo-wasm -o my-worker.wasm",
			contains: map[string]string{
				"Cargo.toml": `bindery = { path = "` + filepath.Join(root, "guest-sdk", "rust") + `" }`,
				"Cargo.lock": "name = \"my-worker\"\nversion = \"0.1.0\"\ndependencies = [\n \"bindery\",\n]\n",
				"src/lib.rs": `env.kv("STORE")`,
				".gitignore": "/target/",
			},
		},
		{
			lang:    "zig",
			files:   []string{"src/main.zig"},
			command: filepath.Join(root, "guest-sdk", "zig") + "/build.sh -o my-worker.wasm src/main.zig",
			contains: map[string]string{
				"src/main.zig": `bindery.kv.open("STORE")`,
				".gitignore":   "/.zig-cache/",
			},
		},
		{
			lang:    "assemblyscript",
			files:   []string{"index.ts"},
			command: filepath.Join(root, "guest-sdk", "assemblyscript") + "/build.sh -o my-worker.wasm index.ts",
			contains: map[string]string{
				// Relative: asc resolves imports from the importing file.
				"index.ts": `from "` + relSlash(t, filepath.Join(tmp, "assemblyscript", "My Worker"), filepath.Join(root, "guest-sdk", "assemblyscript")) + `";`,
			},
		},
		{
			lang:  "js",
			files: []string{"src/index.js"},
			main:  "src/index.js",
			contains: map[string]string{
				"src/index.js": "env.STORE.get('count')",
			},
		},
		{
			lang:  "python",
			files: []string{"src/entry.py"},
			main:  "src/entry.py",
			contains: map[string]string{
				"src/entry.py":  `await self.env.STORE.get("count")`,
				".gitignore":    "__pycache__/",
				"wrangler.toml": `compatibility_flags = ["python_workers"]`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			dir := filepath.Join(tmp, tc.lang, "My Worker")
			out, errOut, err := runCLI(t, "", "init", "--lang", tc.lang, dir)
			if err != nil {
				t.Fatalf("init: %v\n%s%s", err, out, errOut)
			}
			for _, f := range append([]string{"wrangler.toml", ".gitignore", "README.md"}, tc.files...) {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("missing %s: %v", f, err)
				}
			}
			for f, want := range tc.contains {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				if !strings.Contains(string(b), want) {
					t.Errorf("%s lacks %q:\n%s", f, want, b)
				}
			}
			for _, f := range tc.execFiles {
				if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm()&0o100 == 0 {
					t.Errorf("%s is not executable: %v %v", f, fi.Mode(), err)
				}
			}
			cfg, err := wrangler.Load(filepath.Join(dir, "wrangler.toml"), "", parsers(modules())...)
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Warnings) > 0 {
				t.Errorf("warnings: %q", cfg.Warnings)
			}
			wantMain := filepath.Join(dir, "my-worker.wasm")
			if tc.main != "" {
				wantMain = filepath.Join(dir, filepath.FromSlash(tc.main))
			}
			if cfg.Name != "my-worker" || cfg.Main != wantMain || cfg.CompatibilityDate == "" {
				t.Errorf("name %q, main %q, compatibility_date %q", cfg.Name, cfg.Main, cfg.CompatibilityDate)
			}
			if cfg.Build.Command != tc.command {
				t.Errorf("[build] command = %q, want %q", cfg.Build.Command, tc.command)
			}
			if ns := kvmodule.Namespaces(cfg.Bindings["kv"]); len(ns) != 1 || ns[0].Binding != "STORE" || ns[0].ID != "my-worker-store" {
				t.Errorf("kv_namespaces = %+v", cfg.Bindings["kv"])
			}
			if v := cfg.Vars["GREETING"]; v.Text != "hello" {
				t.Errorf("vars = %+v", cfg.Vars)
			}
			gi, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
			for _, want := range []string{"/my-worker.wasm", "/.bindery/", ".dev.vars"} {
				if want == "/my-worker.wasm" && tc.main != "" {
					continue // no .wasm is built
				}
				if !strings.Contains(string(gi), want) {
					t.Errorf(".gitignore lacks %s:\n%s", want, gi)
				}
			}
			if !strings.Contains(out, "bindery dev") {
				t.Errorf("init output names no next command:\n%s", out)
			}
		})
	}
}

// TestInitOverwrite checks that init names the files in the way and
// writes nothing, unless --force.
func TestInitOverwrite(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := runCLI(t, dir, "init", "--name", "w1"); err != nil {
		t.Fatal(err)
	}
	mainGo := filepath.Join(dir, "main.go")
	os.WriteFile(mainGo, []byte("// mine\n"), 0o644)
	os.Remove(filepath.Join(dir, "README.md"))
	_, _, err := runCLI(t, dir, "init", "--name", "w1")
	if err == nil || errors.Is(err, errUsage) {
		t.Fatalf("second init: err = %v, want a refusal", err)
	}
	for _, want := range []string{".gitignore", "go.mod", "main.go", "wrangler.toml", "--force"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "README.md") {
		t.Errorf("error names README.md, which was not there: %v", err)
	}
	if b, _ := os.ReadFile(mainGo); string(b) != "// mine\n" {
		t.Errorf("main.go overwritten without --force: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err == nil {
		t.Errorf("a refused init wrote README.md")
	}
	if _, _, err := runCLI(t, dir, "init", "--name", "w1", "--force"); err != nil {
		t.Fatalf("init --force: %v", err)
	}
	if b, _ := os.ReadFile(mainGo); !strings.Contains(string(b), "bindery.Serve") {
		t.Errorf("--force left main.go as %q", b)
	}
}

func TestInitSDKPath(t *testing.T) {
	root, _ := filepath.Abs(testutil.RepoRoot(t))
	tests := []struct {
		name, sdkPath, want, wantErr string
	}{
		{"checkout", root, "=> " + filepath.Join(root, "guest-sdk", "go") + "\n", ""},
		{"sdk folder", filepath.Join(root, "guest-sdk", "go"), "=> " + filepath.Join(root, "guest-sdk", "go") + "\n", ""},
		{"elsewhere", t.TempDir(), "", "found no go.mod in it or in its guest-sdk/go"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, _, err := runCLI(t, dir, "init", "--sdk-path", tc.sdkPath)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "go.mod")); !strings.Contains(string(b), tc.want) {
				t.Errorf("go.mod lacks %q:\n%s", tc.want, b)
			}
		})
	}
}

func TestCargoLock(t *testing.T) {
	const lock = "# generated\nversion = 4\n\n[[package]]\nname = \"anyhow\"\nversion = \"1\"\n\n[[package]]\nname = \"bindery\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"wit\"\nversion = \"2\"\n"
	entry := func(n string) string {
		return "[[package]]\nname = \"" + n + "\"\nversion = \"0.1.0\"\ndependencies = [\n \"bindery\",\n]\n"
	}
	tests := []struct {
		crate, wantAfter, wantErr string
	}{
		{crate: "aaa", wantAfter: "version = 4\n\n" + entry("aaa") + "\n[[package]]\nname = \"anyhow\""},
		{crate: "my-worker", wantAfter: "version = \"0.1.0\"\n\n" + entry("my-worker") + "\n[[package]]\nname = \"wit\""},
		{crate: "zzz", wantAfter: "version = \"2\"\n\n" + entry("zzz")},
		{crate: "bindery", wantErr: `already has a package "bindery"`},
	}
	for _, tc := range tests {
		t.Run(tc.crate, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "Cargo.lock")
			os.WriteFile(p, []byte(lock), 0o644)
			got, err := cargoLock(p, tc.crate)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(got), tc.wantAfter) || !strings.HasSuffix(string(got), "\n") {
				t.Errorf("lock lacks %q:\n%s", tc.wantAfter, got)
			}
			if strings.Count(string(got), "[[package]]") != 4 {
				t.Errorf("want 4 packages:\n%s", got)
			}
		})
	}
	if _, err := cargoLock(filepath.Join(t.TempDir(), "none"), "x"); err == nil {
		t.Error("no Cargo.lock: no error")
	}
}

func TestQuoting(t *testing.T) {
	tests := []struct{ in, toml, sh string }{
		{"/a/b-c_1.2", `"/a/b-c_1.2"`, "/a/b-c_1.2"},
		{"/my dir/it's", `"/my dir/it's"`, `'/my dir/it'\''s'`},
		{`C:\x"y`, `"C:\\x\"y"`, `'C:\x"y'`},
	}
	for _, tc := range tests {
		if got := tomlq(tc.in); got != tc.toml {
			t.Errorf("tomlq(%q) = %s, want %s", tc.in, got, tc.toml)
		}
		if got := shq(tc.in); got != tc.sh {
			t.Errorf("shq(%q) = %s, want %s", tc.in, got, tc.sh)
		}
	}
}

func TestSDKRef(t *testing.T) {
	tests := []struct{ dir, sdk, want string }{
		{"/src/bindery/examples/mine", "/src/bindery/guest-sdk/go", "../../guest-sdk/go"},
		{"/src/bindery", "/src/bindery/guest-sdk/go", "guest-sdk/go"},
		{"/home/me/mine", "/src/bindery/guest-sdk/go", "/src/bindery/guest-sdk/go"},
		{"/src/bindery-other/x", "/src/bindery/guest-sdk/go", "/src/bindery/guest-sdk/go"},
		{"/home/me/mine", "/opt/sdk", "/opt/sdk"},
	}
	for _, tc := range tests {
		if got := sdkRef(filepath.FromSlash(tc.dir), filepath.FromSlash(tc.sdk)); got != filepath.FromSlash(tc.want) && got != tc.want {
			t.Errorf("sdkRef(%q, %q) = %q, want %q", tc.dir, tc.sdk, got, tc.want)
		}
	}
}

// relSlash is target relative to base, with forward slashes.
func relSlash(t *testing.T, base, target string) string {
	r, err := filepath.Rel(base, target)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(r)
}

func TestImportPath(t *testing.T) {
	tests := []struct{ dir, sdk, want string }{
		{"/src/bindery/examples/mine", "/src/bindery/guest-sdk/assemblyscript", "../../guest-sdk/assemblyscript"},
		{"/src/bindery", "/src/bindery/guest-sdk/assemblyscript", "./guest-sdk/assemblyscript"},
		{"/home/me/my worker", "/src/bindery/guest-sdk/assemblyscript", "../../../src/bindery/guest-sdk/assemblyscript"},
		{"/a/b", "/a", ".."},
	}
	for _, tc := range tests {
		if got := importPath(filepath.FromSlash(tc.dir), filepath.FromSlash(tc.sdk)); got != tc.want {
			t.Errorf("importPath(%q, %q) = %q, want %q", tc.dir, tc.sdk, got, tc.want)
		}
	}
}

func TestGomodPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/abs/guest-sdk/go", "/abs/guest-sdk/go"},
		{"../../guest-sdk/go", "../../guest-sdk/go"},
		{"guest-sdk/go", "./guest-sdk/go"},
		{"/my sdk/go", `"/my sdk/go"`},
	}
	for _, tc := range tests {
		if got := gomodPath(tc.in); got != tc.want {
			t.Errorf("gomodPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWorkerName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hello", "hello"},
		{"My Worker_2", "my-worker-2"},
		{"--x--", "x"},
		{"___", ""},
		{strings.Repeat("a", 70), strings.Repeat("a", 63)},
	}
	for _, tc := range tests {
		if got := workerName(tc.in); got != tc.want {
			t.Errorf("workerName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestInitDir gives init odd DIRs: none of them may scaffold somewhere
// the user did not mean (an empty DIR used to mean the current directory).
func TestInitDir(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, wd string) // prepares the working directory
		dir     string
		wantErr error  // errUsage, errRuntime or nil
		want    string // in the error (or stderr for usage errors)
		wrote   string // a file init must have written, relative to wd
	}{
		{name: "empty", dir: "", wantErr: errUsage, want: "DIR is empty"},
		{name: "blank", dir: "  ", wantErr: errUsage, want: "DIR is empty"},
		{name: "a file", dir: "notes.txt", setup: writeFile("notes.txt"), wantErr: errRuntime, want: "notes.txt is a file, not a directory"},
		{name: "under a file", dir: "notes.txt/w", setup: writeFile("notes.txt"), wantErr: errRuntime, want: "notes.txt is a file, not a directory"},
		{name: "other config", dir: "proj", setup: writeFile("proj/wrangler.jsonc"), wantErr: errRuntime, want: "wrangler.jsonc"},
		{name: "clash", dir: "proj", setup: writeFile("proj/main.go"), wantErr: errRuntime, want: "already has main.go"},
		{name: "non-empty, no clash", dir: "proj", setup: writeFile("proj/LICENSE"), wrote: "proj/wrangler.toml"},
		{name: "new", dir: "a/b/my-worker", wrote: "a/b/my-worker/main.go"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wd := t.TempDir()
			if tc.setup != nil {
				tc.setup(t, wd)
			}
			before := tree(t, wd)
			_, errOut, err := runCLI(t, wd, "init", "--name", "w", tc.dir)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("err = %v, want success", err)
			case tc.wantErr == errRuntime && (err == nil || errors.Is(err, errUsage)):
				t.Fatalf("err = %v, want a failure (exit 1)", err)
			case tc.wantErr == errUsage && !errors.Is(err, errUsage):
				t.Fatalf("err = %v, want a usage error", err)
			}
			if err != nil {
				if msg := err.Error() + errOut; !strings.Contains(msg, tc.want) {
					t.Errorf("error %q lacks %q", msg, tc.want)
				}
				if after := tree(t, wd); after != before {
					t.Errorf("a failed init changed the directory:\nbefore %s\nafter  %s", before, after)
				}
			}
			if tc.wrote != "" {
				if _, err := os.Stat(filepath.Join(wd, tc.wrote)); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// writeFile returns a setup that writes a small file at rel.
func writeFile(rel string) func(t *testing.T, wd string) {
	return func(t *testing.T, wd string) {
		p := filepath.Join(wd, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tree lists the paths under dir.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var paths []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != dir {
			paths = append(paths, p[len(dir):])
		}
		return nil
	})
	return strings.Join(paths, " ")
}

// TestWorkerCargoLock: the Rust SDK's Worker lock plus a crate's entry is
// exactly the lock Cargo keeps for examples/hello-rust, a Worker that
// depends on bindery alone, so bindery init's Cargo.lock passes --locked.
// When the SDK's dependencies change: build examples/hello-rust, then copy
// its Cargo.lock without the hello-rust entry to guest-sdk/rust/worker.Cargo.lock.
func TestWorkerCargoLock(t *testing.T) {
	root := testutil.RepoRoot(t)
	got, err := cargoLock(filepath.Join(root, "guest-sdk", "rust", workerLock), "hello-rust")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(root, "examples", "hello-rust", "Cargo.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("guest-sdk/rust/%s plus hello-rust is not examples/hello-rust/Cargo.lock:\n%s", workerLock, got)
	}
}
