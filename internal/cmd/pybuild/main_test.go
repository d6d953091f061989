package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun holds the command to the exit statuses build.sh and its callers
// rely on: 2 for bad usage, 3 when a tool is missing (so a test can skip),
// with the reason on stderr.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	entry := filepath.Join(dir, "entry.py")
	if err := os.WriteFile(entry, []byte("x = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noPython := filepath.Join(dir, "no-python3")
	empty := filepath.Join(dir, "empty-toolchain")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{name: "no arguments", args: nil, code: 2, stderr: "usage: pybuild"},
		{name: "no output", args: []string{entry}, code: 2, stderr: "usage: pybuild"},
		{name: "unknown flag", args: []string{"--nope"}, code: 2, stderr: "flag provided but not defined"},
		{name: "probe without python", args: []string{"--probe", "--python", noPython, "--toolchain-dir", empty}, code: 3, stderr: "no python3"},
		{name: "install without python", args: []string{"--install", "--python", noPython, "--toolchain-dir", empty}, code: 3, stderr: "no python3"},
		{name: "build without python", args: []string{"--python", noPython, "--toolchain-dir", empty, "-o", filepath.Join(dir, "out.wasm"), entry}, code: 3, stderr: "no python3"},
		{name: "build a file that is not there", args: []string{"-o", filepath.Join(dir, "out.wasm"), filepath.Join(dir, "nope.py")}, code: 1, stderr: "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("run(%q) = %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.stderr)
			}
		})
	}
}
