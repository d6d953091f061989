package wrangler

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/bindings/config"
)

// TestBrokenConfigs checks that every error names the file, the line (and
// column) and the key at fault.
func TestBrokenConfigs(t *testing.T) {
	tests := []struct {
		name string
		file string
		src  string
		env  string
		want []string // each must appear in the error, in this order
	}{
		// ---- syntax ----
		{
			name: "toml syntax error",
			file: "wrangler.toml",
			src:  "name = \"w\"\nmain = \n",
			want: []string{"wrangler.toml:2:"},
		},
		{
			name: "toml unterminated string",
			file: "wrangler.toml",
			src:  "name = \"w\n",
			want: []string{"wrangler.toml:1:"},
		},
		{
			name: "toml duplicate key",
			file: "wrangler.toml",
			src:  "name = \"a\"\nmain = \"m\"\nname = \"b\"\n",
			want: []string{"wrangler.toml:3:1: name: key name is already defined"},
		},
		{
			name: "toml duplicate table",
			file: "wrangler.toml",
			src:  "[vars]\nA = \"1\"\n\n[build]\ncommand = \"x\"\n[vars]\nB = \"2\"\n",
			want: []string{"wrangler.toml:6:1: vars: table vars already exists"},
		},
		{
			name: "toml duplicate key in array table",
			file: "wrangler.toml",
			src:  "[[kv_namespaces]]\nbinding = \"A\"\n[[kv_namespaces]]\nbinding = \"B\"\nbinding = \"C\"\n",
			want: []string{"wrangler.toml:5:1: kv_namespaces[1].binding: key binding is already defined"},
		},
		{
			name: "jsonc syntax error",
			file: "wrangler.jsonc",
			src:  "{\n  \"name\": \"w\",\n  \"main\" \"x\"\n}\n",
			want: []string{"wrangler.jsonc:3:10: invalid character"},
		},
		{
			name: "jsonc missing value",
			file: "wrangler.jsonc",
			src:  "{\n  // comment\n  \"name\": ,\n}\n",
			want: []string{"wrangler.jsonc:3:11: invalid character ','"},
		},
		{
			name: "jsonc unterminated comment",
			file: "wrangler.jsonc",
			src:  "{ /* never closed\n",
			want: []string{"wrangler.jsonc:1:"},
		},
		{
			name: "json top level not an object",
			file: "wrangler.json",
			src:  "\n  [1, 2]\n",
			want: []string{"wrangler.json:2:3: expected a JSON object at the top level, found array"},
		},
		{
			name: "unknown extension",
			file: "wrangler.yaml",
			src:  "name: x\n",
			want: []string{`wrangler.yaml: unsupported config file extension ".yaml"`},
		},

		// ---- types ----
		{
			name: "kv binding not a string (toml)",
			file: "wrangler.toml",
			src:  "name = \"w\"\nmain = \"w.wasm\"\n\n# KV\n[[kv_namespaces]]\nid = \"abc\"\nbinding = 7\n",
			want: []string{"wrangler.toml:7:1: kv_namespaces[0].binding: expected a string, found integer"},
		},
		{
			name: "kv binding not a string (jsonc)",
			file: "wrangler.jsonc",
			src:  "{\n  \"kv_namespaces\": [\n    {\"binding\": true},\n  ],\n}\n",
			want: []string{"wrangler.jsonc:3:6: kv_namespaces[0].binding: expected a string, found boolean"},
		},
		{
			name: "name not a string",
			file: "wrangler.toml",
			src:  "name = 1\n",
			want: []string{"wrangler.toml:1:1: name: expected a string, found integer"},
		},
		{
			name: "main not a string in env",
			file: "wrangler.toml",
			src:  "main = \"a\"\n[env.staging]\nmain = [\"b\"]\n",
			env:  "staging",
			want: []string{"wrangler.toml:3:1: env.staging.main: expected a string, found array"},
		},
		{
			name: "vars not a table",
			file: "wrangler.toml",
			src:  "vars = \"x\"\n",
			want: []string{"wrangler.toml:1:1: vars: expected a table, found string"},
		},
		{
			name: "vars not an object",
			file: "wrangler.jsonc",
			src:  `{"vars": []}`,
			want: []string{"wrangler.jsonc:1:2: vars: expected an object, found array"},
		},
		{
			name: "kv_namespaces not an array",
			file: "wrangler.toml",
			src:  "[kv_namespaces]\nbinding = \"A\"\n",
			want: []string{"wrangler.toml:1:1: kv_namespaces: expected an array, found table"},
		},
		{
			name: "kv entry not a table",
			file: "wrangler.jsonc",
			src:  "{\"kv_namespaces\": [\n \"CACHE\"\n]}",
			want: []string{"wrangler.jsonc:2:2: kv_namespaces[0]: expected an object, found string"},
		},
		{
			name: "dev port not an integer",
			file: "wrangler.toml",
			src:  "[dev]\nport = \"8787\"\n",
			want: []string{"wrangler.toml:2:1: dev.port: expected an integer, found string"},
		},
		{
			name: "dev port float in json",
			file: "wrangler.jsonc",
			src:  "{\"dev\": {\"port\": 87.5}}",
			want: []string{"wrangler.jsonc:1:10: dev.port: expected an integer, found number"},
		},
		{
			name: "dev port out of range",
			file: "wrangler.toml",
			src:  "dev.port = 70000\n",
			want: []string{"wrangler.toml:1:5: dev.port: port 70000 is out of range (0-65535)"},
		},
		{
			name: "dev local_protocol",
			file: "wrangler.toml",
			src:  "[dev]\nlocal_protocol = \"ftp\"\n",
			want: []string{`wrangler.toml:2:1: dev.local_protocol: expected "http" or "https", found "ftp"`},
		},
		{
			name: "build watch_dir wrong type",
			file: "wrangler.toml",
			src:  "[build]\ncommand = \"make\"\nwatch_dir = 3\n",
			want: []string{"wrangler.toml:3:1: build.watch_dir: expected a string or an array of strings, found integer"},
		},
		{
			name: "build watch_dir element wrong type",
			file: "wrangler.toml",
			src:  "[build]\nwatch_dir = [\"src\",\n  false]\n",
			want: []string{"wrangler.toml:2:1: build.watch_dir[1]: expected a string, found boolean"},
		},
		{
			name: "env not a table",
			file: "wrangler.toml",
			src:  "env = \"staging\"\n",
			want: []string{"wrangler.toml:1:1: env: expected a table of environments, found string"},
		},
		{
			name: "secrets.required not strings",
			file: "wrangler.toml",
			src:  "[secrets]\nrequired = [\"A\", 2]\n",
			want: []string{"wrangler.toml:2:18: secrets.required[1]: expected a string, found integer"},
		},
		{
			name: "TOML date var",
			file: "wrangler.toml",
			src:  "[vars]\nWHEN = 2025-12-19\n",
			want: []string{"wrangler.toml:2:1: vars.WHEN: is a TOML date, which wrangler does not support; use a string instead"},
		},
		{
			name: "var not representable as JSON",
			file: "wrangler.toml",
			src:  "[vars]\nX = nan\n",
			want: []string{"wrangler.toml:2:1: vars.X: cannot be represented as JSON"},
		},

		// ---- validation ----
		{
			name: "missing binding (toml)",
			file: "wrangler.toml",
			src:  "name = \"w\"\n\n[[kv_namespaces]]\nid = \"abc\"\n",
			want: []string{`wrangler.toml:3:1: kv_namespaces[0].binding: missing required field "binding"`},
		},
		{
			name: "missing binding (jsonc)",
			file: "wrangler.jsonc",
			src:  "{\n  \"r2_buckets\": [\n    {\"binding\": \"A\"},\n    {\"bucket_name\": \"b\"},\n  ],\n}\n",
			want: []string{`wrangler.jsonc:4:5: r2_buckets[1].binding: missing required field "binding"`},
		},
		{
			name: "missing binding in env",
			file: "wrangler.toml",
			src:  "[env.staging]\nname = \"s\"\n\n[[env.staging.kv_namespaces]]\nbinding = \"OK\"\n\n[[env.staging.kv_namespaces]]\nid = \"x\"\n",
			env:  "staging",
			want: []string{`wrangler.toml:7:1: env.staging.kv_namespaces[1].binding: missing required field "binding"`},
		},
		{
			name: "duplicate binding across kv and r2",
			file: "wrangler.toml",
			src:  "[[kv_namespaces]]\nbinding = \"STORE\"\n\n[[r2_buckets]]\nbinding = \"STORE\"\n",
			want: []string{`wrangler.toml:5:1: r2_buckets[0].binding: binding name "STORE" is already used by kv_namespaces[0].binding (line 2)`},
		},
		{
			name: "duplicate binding within kv",
			file: "wrangler.jsonc",
			src:  "{\"kv_namespaces\": [\n  {\"binding\": \"A\"},\n  {\"binding\": \"A\"}\n]}",
			want: []string{`wrangler.jsonc:3:4: kv_namespaces[1].binding: binding name "A" is already used by kv_namespaces[0].binding (line 2)`},
		},
		{
			name: "var and binding share a name",
			file: "wrangler.toml",
			src:  "[vars]\nCACHE = \"x\"\n\n[[kv_namespaces]]\nbinding = \"CACHE\"\n",
			want: []string{`wrangler.toml:5:1: kv_namespaces[0].binding: binding name "CACHE" is already used by vars.CACHE (line 2)`},
		},
		{
			name: "duplicate with a binding kind bindery does not use",
			file: "wrangler.toml",
			src:  "[[kv_namespaces]]\nbinding = \"DB\"\n\n[[d1_databases]]\nbinding = \"DB\"\ndatabase_id = \"x\"\n",
			want: []string{`wrangler.toml:5:1: d1_databases[0].binding: binding name "DB" is already used by kv_namespaces[0].binding (line 2)`},
		},
		{
			name: "binding not a JS identifier",
			file: "wrangler.toml",
			src:  "[[kv_namespaces]]\nbinding = \"my-cache\"\n",
			want: []string{`wrangler.toml:2:1: kv_namespaces[0].binding: binding name "my-cache" is not a valid JavaScript identifier`},
		},
		{
			name: "binding starting with a digit",
			file: "wrangler.jsonc",
			src:  `{"r2_buckets": [{"binding": "2FAST"}]}`,
			want: []string{`wrangler.jsonc:1:18: r2_buckets[0].binding: binding name "2FAST" is not a valid JavaScript identifier`},
		},
		{
			name: "empty binding",
			file: "wrangler.toml",
			src:  "[[kv_namespaces]]\nbinding = \"\"\n",
			want: []string{`kv_namespaces[0].binding: binding name "" is not a valid JavaScript identifier`},
		},
		{
			name: "empty var name",
			file: "wrangler.toml",
			src:  "[vars]\n\"\" = \"x\"\n",
			want: []string{`wrangler.toml:2:1: vars."": var name must not be empty`},
		},
		{
			name: "empty var name json",
			file: "wrangler.jsonc",
			src:  "{\"vars\": {\n  \"\": 1}}",
			want: []string{`wrangler.jsonc:2:3: vars."": var name must not be empty`},
		},
		{
			name: "too many vars",
			file: "wrangler.toml",
			src:  manyVars(129),
			want: []string{"wrangler.toml:1:1: vars: 129 vars, more than Cloudflare's limit of 128"},
		},
		{
			name: "var too large",
			file: "wrangler.toml",
			src:  "[vars]\nSMALL = \"x\"\nBIG = \"" + strings.Repeat("x", 5121) + "\"\n",
			want: []string{`wrangler.toml:3:1: vars.BIG: var "BIG" is 5121 bytes, more than Cloudflare's limit of 5120 bytes (5 KiB)`},
		},
		{
			name: "JSON var too large",
			file: "wrangler.jsonc",
			src:  "{\"vars\": {\"OBJ\": {\"k\": \"" + strings.Repeat("y", 5200) + "\"}}}",
			want: []string{`wrangler.jsonc:1:11: vars.OBJ: var "OBJ" is 5208 bytes`},
		},

		// ---- unknown keys ----
		{
			name: "typo with suggestion",
			file: "wrangler.toml",
			src:  "name = \"w\"\nmian = \"x.wasm\"\n",
			want: []string{`wrangler.toml:2:1: mian: unknown field "mian" (did you mean "main"?)`},
		},
		{
			name: "kebab case with suggestion",
			file: "wrangler.toml",
			src:  "[[kv-namespaces]]\nbinding = \"A\"\n",
			want: []string{`wrangler.toml:1:1: kv-namespaces: unknown field "kv-namespaces" (did you mean "kv_namespaces"?)`},
		},
		{
			name: "unknown key without suggestion",
			file: "wrangler.jsonc",
			src:  "{\n  \"name\": \"w\",\n  \"frobnicate\": true,\n}",
			want: []string{`wrangler.jsonc:3:3: frobnicate: unknown field "frobnicate": not a wrangler config field`},
		},
		{
			name: "unknown key in env",
			file: "wrangler.toml",
			src:  "[env.staging]\nvar = { A = \"1\" }\n",
			env:  "staging",
			want: []string{`wrangler.toml:2:1: env.staging.var: unknown field "var" (did you mean "vars"?)`},
		},
		{
			name: "unknown key in kv entry",
			file: "wrangler.toml",
			src:  "[[kv_namespaces]]\nbinding = \"A\"\npreview = \"x\"\n",
			want: []string{`wrangler.toml:3:1: kv_namespaces[0].preview: unknown field "preview" (expected one of: binding, id, preview_id, remote)`},
		},
		{
			name: "unknown key in r2 entry lists the valid ones",
			file: "wrangler.toml",
			src:  "[[r2_buckets]]\nbinding = \"A\"\nbucket = \"x\"\n",
			want: []string{`wrangler.toml:3:1: r2_buckets[0].bucket: unknown field "bucket" (expected one of: binding, bucket_name, jurisdiction, preview_bucket_name, remote)`},
		},
		{
			name: "unknown key in dev",
			file: "wrangler.toml",
			src:  "[dev]\nprot = 8787\n",
			want: []string{`wrangler.toml:2:1: dev.prot: unknown field "prot" (did you mean "port"?)`},
		},
		{
			name: "unknown key in build",
			file: "wrangler.jsonc",
			src:  `{"build": {"comand": "make"}}`,
			want: []string{`wrangler.jsonc:1:12: build.comand: unknown field "comand" (did you mean "command"?)`},
		},
		{
			name: "several errors are all reported in file order",
			file: "wrangler.toml",
			src:  "nme = \"w\"\n[[kv_namespaces]]\nbinding = 1\n[[r2_buckets]]\nid = \"x\"\n",
			want: []string{
				`wrangler.toml:1:1: nme: unknown field "nme" (did you mean "name"?)`,
				"\nwrangler.toml:3:1: kv_namespaces[0].binding: expected a string, found integer",
				"\nwrangler.toml:5:1: r2_buckets[0].id: unknown field \"id\"",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.file, []byte(tt.src), tt.env, testParsers()...)
			if err == nil {
				t.Fatalf("Parse succeeded (%v), want error", dump(c))
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.file+":") {
				t.Errorf("error %q does not start with the file name", msg)
			}
			rest := msg
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error:\n%s\nwant it to contain (in order):\n%s", msg, w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestTooManyErrorsAreCapped(t *testing.T) {
	var b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&b, "[[kv_namespaces]]\nbinding = %d\n", i)
	}
	_, err := Parse("wrangler.toml", []byte(b.String()), "", testParsers()...)
	if err == nil {
		t.Fatal("want error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxErrors+1 || lines[maxErrors] != "wrangler.toml: and 15 more errors" {
		t.Errorf("got %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestTOMLPositionsIndex(t *testing.T) {
	src := `name = "w"
[[kv_namespaces]]
binding = "A"
[[env.x.kv_namespaces]]
binding = "B"
[[env.x.kv_namespaces]]
binding = "C"
[env.x.vars]
V = { inner = [1, { deep = true }] }
[[outer]]
[outer.sub]
k = 1
[[outer]]
[outer.sub]
k = 2
`
	idx, _, err := indexTOML([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	d := &document{src: []byte(src), offsets: idx}
	tests := map[string]string{
		"name":                           "1:1",
		"kv_namespaces[0]":               "2:1",
		"kv_namespaces[0].binding":       "3:1",
		"env.x.kv_namespaces[0].binding": "5:1",
		"env.x.kv_namespaces[1]":         "6:1",
		"env.x.kv_namespaces[1].binding": "7:1",
		"env.x.vars.V":                   "9:1",
		"env.x.vars.V.inner":             "9:7",
		"env.x.vars.V.inner[0]":          "9:16",
		"env.x.vars.V.inner[1].deep":     "9:21",
		"outer[0].sub.k":                 "12:1",
		"outer[1].sub.k":                 "15:1",
	}
	for p, want := range tests {
		off, ok := idx[p]
		if !ok {
			t.Errorf("%s not indexed; have %v", p, idx)
			continue
		}
		line, col := d.lineCol(off)
		if got := fmt.Sprintf("%d:%d", line, col); got != want {
			t.Errorf("%s at %s, want %s", p, got, want)
		}
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"name", "main", "vars", "kv_namespaces", "r2_buckets"}
	tests := map[string]string{
		"nmae":          "name",
		"Name":          "name",
		"kvnamespaces":  "kv_namespaces",
		"r2-buckets":    "r2_buckets",
		"completely":    "",
		"var":           "vars",
		"kv_namespace":  "kv_namespaces",
		"r2_bucket_xyz": "",
	}
	for in, want := range tests {
		if got := config.Suggest(in, keys); got != want {
			t.Errorf("config.Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsJSIdentifier(t *testing.T) {
	for s, want := range map[string]bool{
		"CACHE": true, "_x": true, "$": true, "a1": true, "café": true, "ünïcode_Ω": true,
		"": false, "1a": false, "a-b": false, "a b": false, "a.b": false, "🙂": false,
	} {
		if got := config.IsJSIdentifier(s); got != want {
			t.Errorf("isJSIdentifier(%q) = %v, want %v", s, got, want)
		}
	}
}
