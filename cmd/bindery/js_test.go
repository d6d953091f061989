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
// alias and define, KV and vars; and a main given on the command line
// with no config at all.
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
import greet from "greeter";
import notes from "./notes.txt";
declare const BUILD_ID: string;
interface Env { GREETING: string; STORE: { get(k: string): Promise<string | null>; put(k: string, v: string): Promise<void> } }
export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const n = Number((await env.STORE.get("n")) ?? 0) + 1;
    await env.STORE.put("n", String(n));
    return new Response([shout(greet(env.GREETING)), n, BUILD_ID, notes.trim()].join(" "));
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
	for i, want := range []string{"HI THERE! 1 b42 text module", "HI THERE! 2 b42 text module"} {
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
