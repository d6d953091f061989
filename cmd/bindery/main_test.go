package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/internal/testutil"
)

func runCLI(t *testing.T, dir string, args ...string) (string, string, error) {
	t.Helper()
	wd, _ := os.Getwd()
	if dir != "" {
		if err := os.Chdir(dir); err != nil {
			t.Fatal(err)
		}
		defer os.Chdir(wd)
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader("from stdin"), &out, &errb)
	return out.String(), errb.String(), err
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr error
		want    string // in stdout+stderr
	}{
		{nil, errUsage, "Usage:"},
		{[]string{"frobnicate"}, errUsage, `unknown command "frobnicate"`},
		{[]string{"help"}, nil, "bindery dev"},
		{[]string{"version"}, nil, "bindery " + version},
		{[]string{"dev", "--help"}, flag.ErrHelp, "--persist-to"},
		{[]string{"dev", "--bogus"}, errUsage, "flag provided but not defined"},
		{[]string{"kv"}, errUsage, "bindery kv key put"},
		{[]string{"kv", "--help"}, nil, "bindery kv key put"},
		{[]string{"kv", "key", "zap"}, errUsage, `unknown command "zap"`},
		{[]string{"kv", "key", "get"}, errUsage, "wrong number of arguments"},
		{[]string{"kv", "key", "get", "k"}, errUsage, "exactly one of --binding and --namespace-id"},
		{[]string{"kv", "key", "put", "--help"}, flag.ErrHelp, "--ttl SECONDS"},
		{[]string{"kv", "put", "k"}, errUsage, `did you mean "bindery kv key put"`},
		{[]string{"r2", "get", "b/k"}, errUsage, `did you mean "bindery r2 object get"`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, err := runCLI(t, "", tc.args...)
			if !errors.Is(err, tc.wantErr) && !(err == nil && tc.wantErr == nil) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(out+errOut, tc.want) {
				t.Errorf("output lacks %q:\n%s%s", tc.want, out, errOut)
			}
		})
	}
}

func TestBrokenConfig(t *testing.T) {
	tests := []struct {
		name, file, text, want string
	}{
		{"toml type", "wrangler.toml", "name = \"x\"\nmain = \"x.wasm\"\n\n[[kv_namespaces]]\nbinding = 5\n", "wrangler.toml:5"},
		{"toml typo", "wrangler.toml", "name = \"x\"\nmian = \"x.wasm\"\n", `did you mean "main"`},
		{"jsonc syntax", "wrangler.jsonc", "{\n  // comment\n  \"name\": \"x\",\n  \"main\": \n}\n", "wrangler.jsonc:5:1: invalid character"},
		{"unsupported main", "wrangler.toml", "name = \"x\"\nmain = \"src/index.rb\"\n", "bindery builds JavaScript and TypeScript mains"},
		{"missing source main", "wrangler.toml", "name = \"x\"\nmain = \"src/index.ts\"\n", "main: stat "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := runCLI(t, dir, "dev", "--no-build")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// syncBuf is a buffer written by the dev server goroutine and read by the test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestDevJSONC serves a project configured by wrangler.jsonc in-process and
// shuts it down by cancelling the context, as Ctrl-C does.
func TestDevJSONC(t *testing.T) {
	wasm := testutil.BuildGoGuest(t, "examples/kv-rest")
	dir := t.TempDir()
	cfg := fmt.Sprintf(`{
  // a JSONC config, as wrangler accepts
  "name": "kv-jsonc",
  "main": %q,
  "vars": { "GREETING": "from jsonc", "LIMITS": { "max": 3 } },
  "kv_namespaces": [ { "binding": "STORE", "id": "jsonc-store" }, ],
}`, wasm)
	if err := os.WriteFile(filepath.Join(dir, "wrangler.jsonc"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &syncBuf{}, &syncBuf{}
	done := make(chan error, 1)
	state := filepath.Join(dir, "state")
	go func() {
		done <- run(ctx, []string{"dev", "--config", filepath.Join(dir, "wrangler.jsonc"), "--port", "0", "--persist-to", state, "--var", "EXTRA:1"}, nil, out, errOut)
	}()
	var base string
	for deadline := time.Now().Add(2 * time.Minute); base == "" && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		for _, l := range strings.Split(out.String(), "\n") {
			if u, ok := strings.CutPrefix(l, "Ready on "); ok {
				base = u
			}
		}
		select {
		case err := <-done:
			t.Fatalf("dev exited: %v\n%s", err, errOut)
		default:
		}
	}
	if base == "" {
		t.Fatalf("dev never got ready:\n%s\n%s", out, errOut)
	}
	req, _ := http.NewRequest("PUT", base+"/kv/j", strings.NewReader("jsonc value"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("PUT: %v %v", resp, err)
	}
	resp, err := http.Get(base + "/vars")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "from jsonc") {
		t.Errorf("vars = %s", b)
	}
	if _, err := os.Stat(filepath.Join(state, "server.json")); err != nil {
		t.Errorf("server.json: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("dev: %v", err)
	}
	if _, err := os.Stat(filepath.Join(state, "server.json")); !os.IsNotExist(err) {
		t.Errorf("server.json left behind after shutdown: %v", err)
	}
	// The data outlives the server: the CLI reads it directly now.
	got, _, err := runCLI(t, "", "kv", "key", "get", "j", "--namespace-id", "jsonc-store", "--persist-to", state)
	if err != nil || got != "jsonc value" {
		t.Errorf("kv key get after shutdown = %q, %v", got, err)
	}
}

func TestKVDirect(t *testing.T) {
	state := t.TempDir()
	file := filepath.Join(t.TempDir(), "v.bin")
	os.WriteFile(file, []byte("from file"), 0o644)
	kvArgs := func(args ...string) []string {
		return append(append([]string{"kv", "key"}, args...), "--namespace-id", "ns1", "--persist-to", state)
	}
	steps := []struct {
		args    []string
		wantOut string
		wantErr string
	}{
		{kvArgs("put", "a", "alpha", "--metadata", `{"v":1}`, "--create"), "", ""},
		{kvArgs("put", "b", "--path", file), "", ""},
		{kvArgs("put", "c", "--path", "-"), "", ""},
		{kvArgs("get", "a"), "alpha", ""},
		{kvArgs("get", "b", "--text"), "from file\n", ""},
		{kvArgs("get", "c"), "from stdin", ""},
		{kvArgs("put", "t", "x", "--ttl", "10"), "", "minimum is 60"},
		{kvArgs("put", strings.Repeat("k", 513), "x"), "", "512"},
		{kvArgs("put", "m", "x", "--metadata", "{not json"), "", "metadata"},
		{kvArgs("delete", "b"), "", ""},
		{kvArgs("get", "b"), "", "not found"},
	}
	for _, s := range steps {
		out, _, err := runCLI(t, "", s.args...)
		if s.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), s.wantErr) {
				t.Errorf("%v: err = %v, want %q", s.args, err, s.wantErr)
			}
			continue
		}
		if err != nil || (s.wantOut != "" && out != s.wantOut) {
			t.Errorf("%v: got %q, %v; want %q", s.args, out, err, s.wantOut)
		}
	}
	out, _, err := runCLI(t, "", kvArgs("list")...)
	if err != nil {
		t.Fatal(err)
	}
	var keys []struct {
		Name     string
		Metadata json.RawMessage
	}
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatalf("list output %q: %v", out, err)
	}
	var meta bytes.Buffer
	if len(keys) > 0 {
		json.Compact(&meta, keys[0].Metadata)
	}
	if len(keys) != 2 || keys[0].Name != "a" || meta.String() != `{"v":1}` || keys[1].Name != "c" {
		t.Errorf("list = %s", out)
	}
}
