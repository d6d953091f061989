package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// TestDevTypeScriptMain: bindery dev serves a TypeScript main as wrangler
// would, unchanged: its npm dependency from node_modules, the config's
// alias and define, KV and vars, Node.js's built-ins (on by default for
// its compatibility date); and a main given on the command line with no
// config at all.
func TestDevTypeScriptMain(t *testing.T) {
	if testing.Short() {
		t.Skip("bundles and runs a JavaScript Worker")
	}
	_, err := testutil.ProbeNode()
	testutil.NeedToolchain(t, err)
	dir := t.TempDir()
	files := map[string]string{
		"wrangler.toml": `name = "ts"
main = "src/index.ts"
compatibility_date = "2026-11-01"

[alias]
"greeter" = "./src/greeter-impl.ts"

[define]
BUILD_ID = "'b42'"

[vars]
GREETING = "hi"

[[kv_namespaces]]
binding = "STORE"
id = "store"
`,
		"src/index.ts": `import { shout } from "shoutcase";
import { Buffer } from "node:buffer";
import greet from "greeter";
import notes from "./notes.txt";
declare const BUILD_ID: string;
interface Env { GREETING: string; STORE: { get(k: string): Promise<string | null>; put(k: string, v: string): Promise<void> } }
export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const n = Number((await env.STORE.get("n")) ?? 0) + 1;
    await env.STORE.put("n", String(n));
    return new Response([shout(greet(env.GREETING)), n, BUILD_ID, notes.trim(), Buffer.from(process.env.GREETING!).toString("hex")].join(" "));
  },
};
`,
		"src/greeter-impl.ts":                 "export default (g: string): string => g + ' there';\n",
		"src/notes.txt":                       "text module\n",
		"node_modules/shoutcase/package.json": `{"name":"shoutcase","version":"1.0.0","main":"index.cjs","module":"index.mjs"}`,
		"node_modules/shoutcase/index.mjs":    "export const shout = (s) => s.toUpperCase() + '!';\n",
		"node_modules/shoutcase/index.cjs":    "exports.shout = () => 'the CommonJS build was picked';\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base, _ := serveDev(t, dir)
	// compatibility_date 2026-11-01: nodejs_compat is on without the flag
	// (node:buffer, the global process, vars on process.env).
	for i, want := range []string{"HI THERE! 1 b42 text module 6869", "HI THERE! 2 b42 text module 6869"} {
		resp, err := http.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != want {
			t.Errorf("request %d: %d %q, want %q", i, resp.StatusCode, b, want)
		}
	}

	// No config: the main on the command line, as wrangler dev ./src/x.ts.
	bare := t.TempDir()
	os.WriteFile(filepath.Join(bare, "w.mjs"), []byte("export default { fetch: () => new Response('bare ' + typeof navigator) };\n"), 0o644)
	base, _ = serveDev(t, bare, filepath.Join(bare, "w.mjs"))
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(b), "bare ") {
		t.Errorf("bare main: %d %q", resp.StatusCode, b)
	}
}

// TestBuildNodeCompat: bindery build reads the Node.js compatibility from
// the config's compatibility date and flags: a node: import without it
// is an error naming the flag, v1 takes node: imports only, and
// contradicting flags are refused.
func TestBuildNodeCompat(t *testing.T) {
	if testing.Short() {
		t.Skip("bundles a JavaScript Worker")
	}
	_, err := testutil.ProbeNode()
	testutil.NeedToolchain(t, err)
	tests := []struct {
		name, date, flags, src, err string
	}{
		{name: "off", date: "2024-01-01", src: "import { Buffer } from 'node:buffer';", err: `add "nodejs_compat" to compatibility_flags`},
		{name: "v1", date: "2024-01-01", flags: `["nodejs_compat"]`, src: "import { Buffer } from 'node:buffer';"},
		{name: "v1 bare", date: "2024-01-01", flags: `["nodejs_compat"]`, src: "import { Buffer } from 'buffer';", err: "import node:buffer"},
		{name: "v2", date: "2024-09-23", flags: `["nodejs_compat"]`, src: "import { Buffer } from 'buffer';"},
		{name: "contradiction", date: "2025-01-01", flags: `["nodejs_compat", "no_nodejs_compat"]`, src: "", err: `both "nodejs_compat" and "no_nodejs_compat"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			toml := "name = \"n\"\nmain = \"index.js\"\ncompatibility_date = \"" + tc.date + "\"\n"
			if tc.flags != "" {
				toml += "compatibility_flags = " + tc.flags + "\n"
			}
			os.WriteFile(filepath.Join(dir, "wrangler.toml"), []byte(toml), 0o644)
			os.WriteFile(filepath.Join(dir, "index.js"), []byte(tc.src+"\nexport default { fetch: () => new Response(typeof Buffer) };\n"), 0o644)
			_, errOut, err := runCLI(t, dir, "build")
			if tc.err == "" {
				if err != nil {
					t.Fatalf("build: %v\n%s", err, errOut)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("build: %v, want %q", err, tc.err)
			}
		})
	}
}
