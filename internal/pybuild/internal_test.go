package pybuild

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInputsKey holds the cache key to what a build reads: a change to
// any file of the Worker's directories, the module name or the SDK is a
// new key; caches, state and virtualenvs beside the Worker are not.
func TestInputsKey(t *testing.T) {
	write := func(t *testing.T, dir, name, content string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		change  func(t *testing.T, dir string)
		mod     string
		sdk     string
		changed bool
	}{
		{name: "nothing", change: func(*testing.T, string) {}},
		{name: "the entry", change: func(t *testing.T, d string) { write(t, d, "entry.py", "x = 2\n") }, changed: true},
		{name: "a module beside it", change: func(t *testing.T, d string) { write(t, d, "pkg/util.py", "y = 2\n") }, changed: true},
		{name: "a new module", change: func(t *testing.T, d string) { write(t, d, "more.py", "") }, changed: true},
		{name: "a data file", change: func(t *testing.T, d string) { write(t, d, "index.html", "<p>") }, changed: true},
		{name: "the module name", change: func(*testing.T, string) {}, mod: "other", changed: true},
		{name: "the SDK", change: func(*testing.T, string) {}, sdk: "sdk2", changed: true},
		{name: "__pycache__", change: func(t *testing.T, d string) { write(t, d, "__pycache__/entry.cpython-314.pyc", "pyc") }},
		{name: "a .pyc", change: func(t *testing.T, d string) { write(t, d, "pkg/util.pyc", "pyc") }},
		{name: "a build output", change: func(t *testing.T, d string) { write(t, d, "worker.wasm", "\x00asm") }},
		{name: "state in a dot-directory", change: func(t *testing.T, d string) { write(t, d, ".bindery/state/000001.vlog", "data") }},
		{name: "node_modules", change: func(t *testing.T, d string) { write(t, d, "node_modules/x/index.js", "") }},
		{name: "a virtualenv", change: func(t *testing.T, d string) {
			write(t, d, "venv/pyvenv.cfg", "home = /usr/bin\n")
			write(t, d, "venv/lib/site.py", "")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "entry.py", "x = 1\n")
			write(t, dir, "pkg/util.py", "y = 1\n")
			before, err := inputsKey("entry", "sdk1", []string{dir})
			if err != nil {
				t.Fatal(err)
			}
			tc.change(t, dir)
			mod, sdk := "entry", "sdk1"
			if tc.mod != "" {
				mod = tc.mod
			}
			if tc.sdk != "" {
				sdk = tc.sdk
			}
			after, err := inputsKey(mod, sdk, []string{dir})
			if err != nil {
				t.Fatal(err)
			}
			if (before != after) != tc.changed {
				t.Errorf("key %s -> %s; want changed = %v", before, after, tc.changed)
			}
		})
	}
}

// TestCleanOutput holds what a BuildError shows: the Worker's traceback
// out of componentize-py's wrapping, with the files on disk, without
// Rust's backtrace.
func TestCleanOutput(t *testing.T) {
	dirs := []string{"/tmp/work", "/home/me/proj/src", "/cache/sdk/python"}
	sep := string(filepath.Separator)
	tests := []struct {
		name, out string
		want      []string
		absent    []string
	}{
		{
			name: "an import error",
			out: "Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\n" +
				"AssertionError: Traceback (most recent call last):\n  File \"/0/bindery_entry.py\", line 2, in <module>\n    import entry as _worker\n" +
				"  File \"/1/entry.py\", line 1, in <module>\n    import nosuchmod\nModuleNotFoundError: No module named 'nosuchmod'\n\n\n" +
				"Caused by:\n    ModuleNotFoundError: No module named 'nosuchmod'\n\nStack backtrace:\n   0: anyhow::Error\n",
			want: []string{"Traceback (most recent call last):", `File "/home/me/proj/src` + sep + `entry.py", line 1`,
				`File "/tmp/work` + sep + `bindery_entry.py"`, "ModuleNotFoundError: No module named 'nosuchmod'"},
			absent: []string{"AssertionError", "Caused by", "Stack backtrace", "<string>", `"/1/`},
		},
		{
			name:   "anything else",
			out:    "Error: unknown world `worker`\n\nStack backtrace:\n   0: x\n",
			want:   []string{"Error: unknown world `worker`"},
			absent: []string{"Stack backtrace"},
		},
		{
			name: "long",
			out:  strings.Repeat("a", maxOutput) + "THE END",
			want: []string{"\n...\n", "THE END"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := cleanOutput(tc.out, dirs)
			if len(got) > maxOutput+len("\n...\n") {
				t.Errorf("%d bytes, want at most %d", len(got), maxOutput)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q does not contain %q", got, w)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(got, a) {
					t.Errorf("%q contains %q", got, a)
				}
			}
		})
	}
}
