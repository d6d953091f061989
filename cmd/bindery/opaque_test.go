package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// opaqueKeys are keys that a path cleaner would take for others: each
// must reach exactly its own object, through the Worker, through the CLI
// with a dev server running (the admin API) and without one.
var opaqueKeys = []struct{ key, other string }{
	{"a//b", "a/b"},
	{"x/../etc", "etc"},
	{"p/./q", "p/q"},
	{"..", "dotdot"},
	{"trail/", "trail"},
	{"%2F", "/"},
}

// TestOpaqueKeys: keys are opaque bytes on every path they travel, with
// the dev server running and without it; no router cleans, redirects or
// normalises them.
func TestOpaqueKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the CLI")
	}
	bin := testutil.BuildCLI(t)
	dir := r2Project(t, testutil.BuildGoGuest(t, "examples/r2-files"))
	toml, _ := os.ReadFile(filepath.Join(dir, "wrangler.toml"))
	toml = append(toml, "\n[[kv_namespaces]]\nbinding = \"STORE\"\nid = \"store\"\n"...)
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), toml, 0o644); err != nil {
		t.Fatal(err)
	}
	base, cmd, _ := startDevProcess(t, bin, dir, "--port", freePort(t), "--s3-addr", "off", "--log-level", "warn")

	// The Worker (examples/r2-files) puts each key and its look-alike.
	do := func(method, key, body string) (int, string) {
		t.Helper()
		segs := strings.Split(key, "/")
		for i, seg := range segs {
			segs[i] = url.PathEscape(seg)
		}
		req, err := http.NewRequest(method, base+"/files/"+strings.Join(segs, "/"), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		client := http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, k := range opaqueKeys {
		for _, key := range []string{k.key, k.other} {
			if code, body := do("PUT", key, "value of "+key); code != http.StatusCreated {
				t.Fatalf("worker PUT %q: %d %s", key, code, body)
			}
		}
	}
	for _, k := range opaqueKeys {
		if code, body := do("GET", k.key, ""); code != 200 || body != "value of "+k.key {
			t.Errorf("worker GET %q: %d %q", k.key, code, body)
		}
	}

	// The CLI reads and deletes through the admin API, then directly.
	check := func(where string) {
		t.Helper()
		for _, k := range opaqueKeys {
			for _, key := range []string{k.key, k.other} {
				r := binCLI(t, bin, dir, nil, "r2", "object", "get", "files/"+key, "--pipe")
				if r.code != 0 || r.stdout != "value of "+key {
					t.Errorf("%s: r2 get %q: exit %d %q %s", where, key, r.code, r.stdout, r.stderr)
				}
				if key == ".." {
					continue // not a KV key (Workers KV refuses "." and "..")
				}
				r = binCLI(t, bin, dir, nil, "kv", "key", "put", key, "kv "+key, "--binding", "STORE")
				if r.code != 0 {
					t.Errorf("%s: kv put %q: exit %d %s", where, key, r.code, r.stderr)
				}
			}
			for _, key := range []string{k.key, k.other} {
				if key == ".." {
					continue
				}
				if r := binCLI(t, bin, dir, nil, "kv", "key", "get", key, "--binding", "STORE"); r.code != 0 || r.stdout != "kv "+key {
					t.Errorf("%s: kv get %q: exit %d %q %s", where, key, r.code, r.stdout, r.stderr)
				}
			}
		}
	}
	check("with the dev server")
	// Deleting the odd key leaves its look-alike, through the CLI and the Worker.
	if r := binCLI(t, bin, dir, nil, "r2", "object", "delete", "files/x/../etc"); r.code != 0 {
		t.Fatalf("r2 delete: %s", r.stderr)
	}
	if code, _ := do("DELETE", "a//b", ""); code/100 != 2 {
		t.Errorf("worker DELETE a//b: %d", code)
	}
	for key, want := range map[string]int{"x/../etc": 404, "etc": 200, "a//b": 404, "a/b": 200} {
		if code, _ := do("GET", key, ""); code != want {
			t.Errorf("after the deletes, worker GET %q: %d, want %d", key, code, want)
		}
	}
	for _, key := range []string{"x/../etc", "a//b"} {
		binCLI(t, bin, dir, nil, "r2", "object", "put", "files/"+key, "--pipe")
		do("PUT", key, "value of "+key)
	}

	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	check("without a server")
}
