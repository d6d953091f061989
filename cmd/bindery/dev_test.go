package main

import (
	"errors"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// TestDevFlagRanges gives bindery dev out-of-range values: each is a usage
// error naming the flag and what it takes, found before anything else
// (the working directory has no config, which would be the next error).
func TestDevFlagRanges(t *testing.T) {
	tests := []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"--request-timeout", "-1s"}, "--request-timeout -1s: want more than 0s and at most 24h"},
		{[]string{"--request-timeout", "0"}, "--request-timeout 0s: want more than 0s"},
		{[]string{"--request-timeout", "25h"}, "--request-timeout 25h0m0s: want more than 0s and at most 24h"},
		{[]string{"--max-instances", "0"}, "--max-instances 0: want 1 to 1024"},
		{[]string{"--max-instances", "-3"}, "--max-instances -3: want 1 to 1024"},
		{[]string{"--max-instances", "100000"}, "--max-instances 100000: want 1 to 1024"},
		{[]string{"--memory-limit", "0"}, "--memory-limit 0: want 1 to 4096 (MiB"},
		{[]string{"--memory-limit", "-1"}, "--memory-limit -1: want 1 to 4096 (MiB"},
		{[]string{"--memory-limit", "5000"}, "--memory-limit 5000: want 1 to 4096 (MiB"},
		{[]string{"--port", "-1"}, "--port -1: want 0 to 65535"},
		{[]string{"--port", "99999"}, "--port 99999: want 0 to 65535"},
		{[]string{"--log-level", "loud"}, `--log-level "loud": want debug, info, warn or error`},
		{[]string{"--var", "NOVALUE"}, `--var "NOVALUE": want KEY:VALUE`},
		{[]string{"--var", ":v"}, `--var ":v": want KEY:VALUE`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			_, errOut, err := runCLI(t, dir, append([]string{"dev", "--no-build"}, tc.args...)...)
			if !errors.Is(err, errUsage) {
				t.Errorf("err = %v, want a usage error", err)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q lacks %q", errOut, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("a rejected start wrote %d entries in %s", len(entries), dir)
			}
		})
	}
}

// TestDevStateDirOnFailure starts bindery dev in projects whose start-up
// fails at each step: none leaves a .bindery (or --persist-to) directory
// it created behind, and none removes one that was there before.
func TestDevStateDirOnFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Worker")
	}
	wasm := testutil.BuildGoGuest(t, "examples/hello")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
	const good = "name = \"w\"\nmain = \"w.wasm\"\n"
	tests := []struct {
		name   string
		toml   string
		wasm   string            // "good": a real Worker; else the file's content ("" for none)
		before map[string]string // files there before, relative to the project
		args   []string
		want   string // in the error or stderr
		keep   []string
		gone   []string // directories that must not exist afterwards
	}{
		{name: "bad flag", toml: good, wasm: "good", args: []string{"--bogus"}, want: "-bogus"},
		{name: "bad config", toml: "name = \"w\"\nmian = \"w.wasm\"\n", wasm: "good", want: `did you mean "main"`},
		{name: "missing wasm", toml: good, want: "w.wasm"},
		{name: "build fails", toml: good + "[build]\ncommand = \"exit 3\"\n", wasm: "good", want: "exit code 3"},
		{name: "not wasm", toml: good, wasm: "garbage", want: "not a WebAssembly module"},
		{name: "port taken", toml: good, wasm: "good", args: []string{"--port", takenPort}, want: "address already in use"},
		{name: "bad admin addr", toml: good, wasm: "good", args: []string{"--admin-addr", "nowhere"}, want: "admin"},
		{name: "bad --persist-to", toml: good, wasm: "garbage", args: []string{"--persist-to", "a/b/state"}, want: "not a WebAssembly module", gone: []string{"a"}},
		{name: "existing .bindery", toml: good, wasm: "garbage", before: map[string]string{".bindery/js-build/cache": "x"}, want: "not a WebAssembly module",
			keep: []string{".bindery/js-build/cache"}, gone: []string{".bindery/state"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"wrangler.toml": tc.toml}
			maps.Copy(files, tc.before)
			for name, content := range files {
				writeFile(name)(t, dir)
				os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
			}
			switch tc.wasm {
			case "good":
				b, err := os.ReadFile(wasm)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(dir, "w.wasm"), b, 0o644)
			case "":
			default:
				os.WriteFile(filepath.Join(dir, "w.wasm"), []byte(tc.wasm), 0o644)
			}
			_, errOut, err := runCLI(t, dir, append([]string{"dev", "--s3-addr", "off"}, tc.args...)...)
			if err == nil {
				t.Fatal("dev started")
			}
			if msg := err.Error() + errOut; !strings.Contains(msg, tc.want) {
				t.Errorf("error %q lacks %q", msg, tc.want)
			}
			if len(tc.before) == 0 {
				tc.gone = append(tc.gone, ".bindery")
			}
			for _, g := range tc.gone {
				if _, err := os.Stat(filepath.Join(dir, g)); !os.IsNotExist(err) {
					t.Errorf("%s is there after a failed start (%v): %s", g, err, tree(t, dir))
				}
			}
			for _, k := range tc.keep {
				if b, err := os.ReadFile(filepath.Join(dir, k)); err != nil || string(b) != tc.before[k] {
					t.Errorf("%s was there before; now %q, %v", k, b, err)
				}
			}
		})
	}
}

// TestDevStateDirKept checks that a failed start leaves a data directory
// that was there before, data included.
func TestDevStateDirKept(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, ".bindery", "state")
	if _, _, err := runCLI(t, "", "kv", "key", "put", "k", "v", "--namespace-id", "ns", "--persist-to", state); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "wrangler.toml"), []byte("name = \"w\"\nmain = \"w.wasm\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "w.wasm"), []byte("garbage"), 0o644)
	if _, _, err := runCLI(t, dir, "dev"); err == nil {
		t.Fatal("dev started")
	}
	if out, _, err := runCLI(t, "", "kv", "key", "get", "k", "--namespace-id", "ns", "--persist-to", state); err != nil || out != "v" {
		t.Errorf("after a failed start: get = %q, %v", out, err)
	}
}
