package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

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
		{[]string{"--operations-limit", "-1"}, "--operations-limit -1: want 0 (no limit) or more"},
		{[]string{"--d1-max-size", "lots"}, `--d1-max-size "lots": want a size such as 500MB, 10GB or 1GiB, or none`},
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
	if _, _, err := runCLI(t, "", "kv", "key", "put", "k", "v", "--namespace-id", "ns", "--create", "--persist-to", state); err != nil {
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

// serveDev runs bindery dev in-process with args (and --port 0 --s3-addr
// off) in dir until the test ends, and returns its base URL and stderr.
func serveDev(t *testing.T, dir string, args ...string) (string, *syncBuf) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &syncBuf{}, &syncBuf{}
	done := make(chan error, 1)
	flags := []string{"dev", "--port", "0", "--s3-addr", "off"}
	if cfg := filepath.Join(dir, "wrangler.toml"); fileExists(cfg) {
		flags = append(flags, "--config", cfg)
	} else {
		flags = append(flags, "--persist-to", filepath.Join(dir, ".bindery", "state"))
	}
	args = append(flags, args...)
	go func() { done <- run(ctx, args, nil, out, errOut) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dev: %v", err)
		}
	})
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range strings.Split(out.String(), "\n") {
			if u, ok := strings.CutPrefix(l, "Ready on "); ok {
				return u, errOut
			}
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("dev exited: %v\n%s", err, errOut)
		default:
		}
	}
	t.Fatalf("dev never got ready:\n%s\n%s", out, errOut)
	return "", nil
}

// TestDevAccessLog serves examples/hello with bindery dev: each request is
// one info line with the method, the path as sent, the status, the
// duration and the Worker's name; --log-level warn silences them.
func TestDevAccessLog(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Worker")
	}
	wasm := testutil.BuildGoGuest(t, "examples/hello")
	dir := t.TempDir()
	toml := fmt.Sprintf("name = \"hello-log\"\nmain = %q\n", wasm)
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^time=\S+ level=INFO msg=request method=(\S+) path=(\S+) status=(\d+) duration=[0-9.]+[µnm]?s worker=hello-log$`)
	for _, level := range []string{"info", "warn"} {
		t.Run(level, func(t *testing.T) {
			base, logs := serveDev(t, dir, "--log-level", level, "--persist-to", filepath.Join(t.TempDir(), "state"))
			for _, target := range []string{"/hello", "/a/../b%20c?q=1"} {
				req, _ := http.NewRequest("GET", base+target, nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			req, _ := http.NewRequest("POST", base+"/hello", strings.NewReader("x"))
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
			// The line is written after the response: wait for it.
			var got [][]string
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if got = line.FindAllStringSubmatch(logs.String(), -1); len(got) >= 3 || level == "warn" {
					break
				}
			}
			var want [][]string
			if level == "info" {
				want = [][]string{{"GET", "/hello", "200"}, {"GET", "/a/../b%20c", "404"}, {"POST", "/hello", "200"}}
			}
			var short [][]string
			for _, g := range got {
				short = append(short, g[1:])
			}
			if fmt.Sprint(short) != fmt.Sprint(want) {
				t.Errorf("access log lines = %q, want %q\n%s", short, want, logs.String())
			}
			if level == "warn" && strings.Contains(logs.String(), "msg=request") {
				t.Errorf("--log-level warn logged requests:\n%s", logs.String())
			}
		})
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestDevOperationsLimit: --operations-limit bounds the host calls one
// request makes through each binding. The kv-rest Worker's first request
// on an instance opens its namespace and puts (two KV operations): over a
// limit of 1 it fails (500) and the log names the interface and the
// limit; with 2, or 0 for none, it succeeds.
func TestDevOperationsLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Worker")
	}
	wasm := testutil.BuildGoGuest(t, "examples/kv-rest")
	for _, tc := range []struct {
		limit string
		want  int
	}{{"1", http.StatusInternalServerError}, {"2", http.StatusNoContent}, {"0", http.StatusNoContent}} {
		t.Run(tc.limit, func(t *testing.T) {
			dir := kvProject(t, wasm)
			base, errOut := serveDev(t, dir, "--log-level", "warn", "--operations-limit", tc.limit)
			req, _ := http.NewRequest(http.MethodPut, base+"/kv/k", strings.NewReader("v"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("PUT with --operations-limit %s: %d, want %d\n%s", tc.limit, resp.StatusCode, tc.want, errOut)
			}
			if tc.want == http.StatusInternalServerError {
				for _, w := range []string{"bindery:kv/store", "operations"} {
					if !strings.Contains(errOut.String(), w) {
						t.Errorf("the log does not name %q:\n%s", w, errOut)
					}
				}
			}
		})
	}
}
