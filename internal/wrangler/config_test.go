package wrangler

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const fullTOML = `# A typical Worker config.
name = "my-worker"
main = "build/worker.wasm"
compatibility_date = "2024-09-23"

[vars]
GREETING = "hello"   # plain text
LIMIT = 42
RATIO = 1.5
ENABLED = true
LIST = ["a", "b"]
NESTED = { url = "https://example.com/?a=1&b=<2>", retries = 3 }

[[kv_namespaces]]
binding = "CACHE"
id = "0f2ac74b498b48028cb68387c421e279"
preview_id = "6a1ddb03f3ec250963f0a1e46820076f"

[[kv_namespaces]]
binding = "SESSIONS"

[[r2_buckets]]
binding = "ASSETS"
bucket_name = "my-assets"
preview_bucket_name = "my-assets-preview"
jurisdiction = "eu"

[build]
command = "make wasm"
cwd = "worker"
watch_dir = ["src", "/abs/lib"]

[dev]
ip = "0.0.0.0"
port = 8788
local_protocol = "https"
host = "example.com"
`

const fullJSONC = `// wrangler.jsonc with comments and trailing commas
{
  "$schema": "node_modules/wrangler/config-schema.json",
  "name": "my-worker",
  "main": "build/worker.wasm", // the Wasm Worker
  "compatibility_date": "2024-09-23",
  /* vars: text and JSON */
  "vars": {
    "GREETING": "hello",
    "LIMIT": 42,
    "RATIO": 1.5,
    "ENABLED": true,
    "LIST": ["a", "b",],
    "NESTED": {"url": "https://example.com/?a=1&b=<2>", "retries": 3},
  },
  "kv_namespaces": [
    {"binding": "CACHE", "id": "0f2ac74b498b48028cb68387c421e279", "preview_id": "6a1ddb03f3ec250963f0a1e46820076f"},
    {"binding": "SESSIONS",},
  ],
  "r2_buckets": [
    {
      "binding": "ASSETS",
      "bucket_name": "my-assets",
      "preview_bucket_name": "my-assets-preview",
      "jurisdiction": "eu",
    },
  ],
  "build": {"command": "make wasm", "cwd": "worker", "watch_dir": ["src", "/abs/lib"]},
  "dev": {"ip": "0.0.0.0", "port": 8788, "local_protocol": "https", "host": "example.com"},
}
`

// wantFull is the Config both fullTOML and fullJSONC must produce, for a
// config file in dir.
func wantFull(dir string) *Config {
	return &Config{
		Path:              filepath.Join(dir, "wrangler.x"),
		Name:              "my-worker",
		Main:              filepath.Join(dir, "build/worker.wasm"),
		CompatibilityDate: "2024-09-23",
		Vars: map[string]Var{
			"GREETING": {Text: "hello"},
			"LIMIT":    {JSON: json.RawMessage(`42`)},
			"RATIO":    {JSON: json.RawMessage(`1.5`)},
			"ENABLED":  {JSON: json.RawMessage(`true`)},
			"LIST":     {JSON: json.RawMessage(`["a","b"]`)},
			"NESTED":   {JSON: json.RawMessage(`{"retries":3,"url":"https://example.com/?a=1&b=<2>"}`)},
		},
		Bindings: map[string]any{
			"kv": []KVNamespace{
				{Binding: "CACHE", ID: "0f2ac74b498b48028cb68387c421e279", PreviewID: "6a1ddb03f3ec250963f0a1e46820076f"},
				{Binding: "SESSIONS"},
			},
			"r2": []R2Bucket{
				{Binding: "ASSETS", BucketName: "my-assets", PreviewBucketName: "my-assets-preview", Jurisdiction: "eu"},
			},
		},
		BindingNames: map[string]string{"CACHE": "kv_namespaces[0].binding", "SESSIONS": "kv_namespaces[1].binding", "ASSETS": "r2_buckets[0].binding"},
		Build: Build{
			Command:  "make wasm",
			Cwd:      filepath.Join(dir, "worker"),
			WatchDir: []string{filepath.Join(dir, "src"), "/abs/lib"},
		},
		Dev: Dev{IP: "0.0.0.0", Port: 8788, LocalProtocol: "https", Host: "example.com"},
	}
}

func TestParseValid(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		file, src string
	}{
		{"wrangler.toml", fullTOML},
		{"wrangler.jsonc", fullJSONC},
		// wrangler reads .json files with the same comment-tolerant parser.
		{"wrangler.json", fullJSONC},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			name := filepath.Join(dir, tt.file)
			got, err := Parse(name, []byte(tt.src), "", testParsers()...)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := wantFull(dir)
			want.Path = name
			if len(got.Warnings) != 0 {
				t.Errorf("Warnings = %q, want none", got.Warnings)
			}
			got.Warnings = nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse mismatch\n got: %s\nwant: %s", dump(got), dump(want))
			}
			if got.Secrets != nil {
				t.Errorf("Parse read secrets: %v", got.Secrets)
			}
		})
	}
}

func dump(c *Config) string {
	type plain Config // drop the redacting String method for test output
	return fmt.Sprintf("%+v", plain(*c))
}

func TestParseMinimalAndDefaults(t *testing.T) {
	tests := []struct {
		name, file, src string
		check           func(t *testing.T, c *Config, dir string)
	}{
		{"empty toml", "wrangler.toml", "", func(t *testing.T, c *Config, dir string) {
			if c.Name != "" || c.Main != "" || c.Vars != nil || kvs(c) != nil {
				t.Errorf("empty config not empty: %s", dump(c))
			}
		}},
		{"empty jsonc object", "wrangler.jsonc", "{}\n// nothing\n", func(t *testing.T, c *Config, dir string) {
			if c.Name != "" {
				t.Errorf("Name = %q", c.Name)
			}
		}},
		{"no main is fine", "wrangler.toml", `name = "x"`, func(t *testing.T, c *Config, dir string) {
			if c.Main != "" {
				t.Errorf("Main = %q, want empty", c.Main)
			}
		}},
		{"build defaults when command set", "wrangler.toml", "[build]\ncommand = \"make\"\n", func(t *testing.T, c *Config, dir string) {
			want := Build{Command: "make", Cwd: dir, WatchDir: []string{filepath.Join(dir, "src")}}
			if !reflect.DeepEqual(c.Build, want) {
				t.Errorf("Build = %+v, want %+v", c.Build, want)
			}
		}},
		{"watch_dir as string", "wrangler.toml", "[build]\ncommand = \"make\"\nwatch_dir = \"lib\"\n", func(t *testing.T, c *Config, dir string) {
			if !reflect.DeepEqual(c.Build.WatchDir, []string{filepath.Join(dir, "lib")}) {
				t.Errorf("WatchDir = %q", c.Build.WatchDir)
			}
		}},
		{"absolute main kept", "wrangler.toml", `main = "/opt/w.wasm"`, func(t *testing.T, c *Config, dir string) {
			if c.Main != "/opt/w.wasm" {
				t.Errorf("Main = %q", c.Main)
			}
		}},
		{"dotted keys and inline tables", "wrangler.toml", "build.command = \"make\"\ndev = { port = 9000 }\nkv_namespaces = [ { binding = \"K\" } ]\n", func(t *testing.T, c *Config, dir string) {
			if c.Build.Command != "make" || c.Dev.Port != 9000 || len(kvs(c)) != 1 {
				t.Errorf("got %s", dump(c))
			}
		}},
		{"TOML date compatibility_date is accepted with a warning", "wrangler.toml", "compatibility_date = 2024-01-02\n", func(t *testing.T, c *Config, dir string) {
			if c.CompatibilityDate != "2024-01-02" {
				t.Errorf("CompatibilityDate = %q", c.CompatibilityDate)
			}
			if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "wrangler.toml:1:1: compatibility_date: is a TOML date") {
				t.Errorf("Warnings = %q", c.Warnings)
			}
		}},
		{"null var is JSON", "wrangler.jsonc", `{"vars": {"N": null, "S": "", "E": {}}}`, func(t *testing.T, c *Config, dir string) {
			want := map[string]Var{"N": {JSON: json.RawMessage("null")}, "S": {}, "E": {JSON: json.RawMessage("{}")}}
			if !reflect.DeepEqual(c.Vars, want) {
				t.Errorf("Vars = %+v", c.Vars)
			}
		}},
		{"JSON numbers keep their text", "wrangler.jsonc", `{"vars": {"BIG": 12345678901234567890, "F": 1e3}}`, func(t *testing.T, c *Config, dir string) {
			if string(c.Vars["BIG"].JSON) != "12345678901234567890" || string(c.Vars["F"].JSON) != "1e3" {
				t.Errorf("Vars = %+v", c.Vars)
			}
		}},
		{"128 vars is the limit", "wrangler.toml", manyVars(128), func(t *testing.T, c *Config, dir string) {
			if len(c.Vars) != 128 {
				t.Errorf("len(Vars) = %d", len(c.Vars))
			}
		}},
		{"5 KiB var is the limit", "wrangler.toml", "[vars]\nBIG = \"" + strings.Repeat("x", 5120) + "\"\n", func(t *testing.T, c *Config, dir string) {
			if len(c.Vars["BIG"].Text) != 5120 {
				t.Errorf("BIG has %d bytes", len(c.Vars["BIG"].Text))
			}
		}},
		{"unicode binding identifiers", "wrangler.toml", "[[kv_namespaces]]\nbinding = \"$café_1\"\n", func(t *testing.T, c *Config, dir string) {
			if ns := kvs(c); len(ns) != 1 || ns[0].Binding != "$café_1" {
				t.Errorf("KVNamespace not found: %s", dump(c))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c, err := Parse(filepath.Join(dir, tt.file), []byte(tt.src), "", testParsers()...)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, c, dir)
		})
	}
}

func manyVars(n int) string {
	var b strings.Builder
	b.WriteString("[vars]\n")
	for i := range n {
		fmt.Fprintf(&b, "V%d = \"%d\"\n", i, i)
	}
	return b.String()
}

func TestWarningsForUnusedFields(t *testing.T) {
	src := `name = "w"
account_id = "abc"
workers_dev = true
routes = ["example.com/*"]
compatibility_flags = ["nodejs_compat"]
node_compat = true

[[d1_databases]]
binding = "DB"
database_id = "x"

[dev]
port = 1
inspector_port = 9230

[[kv_namespaces]]
binding = "K"
remote = true
`
	c, err := Parse("wrangler.toml", []byte(src), "", testParsers()...)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []string{
		`wrangler.toml:2:1: field "account_id" is not used by bindery dev`,
		`wrangler.toml:3:1: field "workers_dev" is not used by bindery dev`,
		`wrangler.toml:4:1: field "routes" is not used by bindery dev`,
		`wrangler.toml:6:1: field "node_compat" is not used by bindery dev (wrangler 4 removed it; use the "nodejs_compat" compatibility flag)`,
		`wrangler.toml:8:1: field "d1_databases" is not used by bindery dev`,
		`wrangler.toml:14:1: field "dev.inspector_port" is not used by bindery dev`,
		`wrangler.toml:18:1: field "kv_namespaces[0].remote" is not used by bindery dev (bindery dev always uses local storage)`,
	}
	if !reflect.DeepEqual(c.Warnings, want) {
		t.Errorf("Warnings:\n%s\nwant:\n%s", strings.Join(c.Warnings, "\n"), strings.Join(want, "\n"))
	}
}

func TestOtherWarnings(t *testing.T) {
	tests := []struct {
		file, src, env string
		want           []string
	}{
		{"wrangler.jsonc", "{\n  \"name\": \"a\",\n  \"name\": \"b\"\n}", "", []string{
			`wrangler.jsonc:3:3: name: duplicate key; the last value wins`,
		}},
		{"wrangler.toml", "name = \"My Worker\"\n", "", []string{
			`wrangler.toml:1:1: name: "My Worker" is not a valid Worker name for wrangler (lowercase letters, digits, "-" and "_" only)`,
		}},
		{"wrangler.toml", "[env.staging]\ndev = { port = 1 }\n", "staging", []string{
			`wrangler.toml:2:1: field "dev" is only read from the top level of the config, so env.staging.dev is ignored`,
		}},
	}
	for _, tt := range tests {
		c, err := Parse(tt.file, []byte(tt.src), tt.env, testParsers()...)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		if !reflect.DeepEqual(c.Warnings, tt.want) {
			t.Errorf("Parse(%q) warnings = %q, want %q", tt.src, c.Warnings, tt.want)
		}
	}
}

const envTOML = `name = "app"
main = "dist/app.wasm"
compatibility_date = "2024-01-01"
workers_dev = true

[build]
command = "make"

[vars]
MODE = "dev"
SHARED = "1"

[[kv_namespaces]]
binding = "CACHE"
id = "top"

[[r2_buckets]]
binding = "BUCKET"

[env.staging]
compatibility_date = "2024-06-01"

[env.staging.vars]
MODE = "staging"

[[env.staging.kv_namespaces]]
binding = "CACHE"
id = "staging"

[env.production]
name = "app-prod-custom"
main = "dist/prod.wasm"
workers_dev = false
build = { command = "make release" }

[env.bare]
`

const envJSONC = `{
  "name": "app",
  "main": "dist/app.wasm",
  "compatibility_date": "2024-01-01",
  "workers_dev": true,
  "build": {"command": "make"},
  "vars": {"MODE": "dev", "SHARED": "1"},
  "kv_namespaces": [{"binding": "CACHE", "id": "top"}],
  "r2_buckets": [{"binding": "BUCKET"}],
  "env": {
    "staging": {
      "compatibility_date": "2024-06-01",
      "vars": {"MODE": "staging"},
      "kv_namespaces": [{"binding": "CACHE", "id": "staging"}],
    },
    "production": {
      "name": "app-prod-custom",
      "main": "dist/prod.wasm",
      "workers_dev": false,
      "build": {"command": "make release"},
    },
    "bare": {},
  },
}`

func TestEnvironments(t *testing.T) {
	type want struct {
		name, main, date, buildCmd string
		vars                       []string
		kv                         []KVNamespace
		r2                         int
		warnings                   []string // substrings, in order
	}
	tests := []struct {
		env  string
		want want
	}{
		{"", want{
			name: "app", main: "dist/app.wasm", date: "2024-01-01", buildCmd: "make",
			vars: []string{"MODE", "SHARED"}, kv: []KVNamespace{{Binding: "CACHE", ID: "top"}}, r2: 1,
			warnings: []string{`field "workers_dev" is not used by bindery dev`},
		}},
		{"staging", want{
			// name gets the env suffix; main and build are inherited; the
			// env's own compatibility_date wins; vars/kv come only from env.
			name: "app-staging", main: "dist/app.wasm", date: "2024-06-01", buildCmd: "make",
			vars: []string{"MODE"}, kv: []KVNamespace{{Binding: "CACHE", ID: "staging"}}, r2: 0,
			warnings: []string{
				`field "workers_dev" is not used by bindery dev`,
				`"r2_buckets" exists at the top level, but not on "env.staging"`,
				`these vars exist at the top level, but not on "env.staging.vars" (vars are not inherited): SHARED`,
			},
		}},
		{"production", want{
			name: "app-prod-custom", main: "dist/prod.wasm", date: "2024-01-01", buildCmd: "make release",
			vars: nil, kv: nil, r2: 0,
			warnings: []string{
				`"vars" exists at the top level, but not on "env.production"`,
				`"kv_namespaces" exists at the top level, but not on "env.production"`,
				`"r2_buckets" exists at the top level, but not on "env.production"`,
				`field "env.production.workers_dev" is not used by bindery dev`,
			},
		}},
		{"bare", want{
			name: "app-bare", main: "dist/app.wasm", date: "2024-01-01", buildCmd: "make",
			warnings: []string{
				`field "workers_dev" is not used by bindery dev`,
				`"vars" exists at the top level, but not on "env.bare"`,
				`"kv_namespaces" exists at the top level, but not on "env.bare"`,
				`"r2_buckets" exists at the top level, but not on "env.bare"`,
			},
		}},
	}
	for _, file := range []struct{ name, src string }{{"wrangler.toml", envTOML}, {"wrangler.jsonc", envJSONC}} {
		for _, tt := range tests {
			t.Run(file.name+"/"+tt.env, func(t *testing.T) {
				dir := t.TempDir()
				c, err := Parse(filepath.Join(dir, file.name), []byte(file.src), tt.env, testParsers()...)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				w := tt.want
				if c.Name != w.name {
					t.Errorf("Name = %q, want %q", c.Name, w.name)
				}
				if c.Main != filepath.Join(dir, w.main) {
					t.Errorf("Main = %q, want %q", c.Main, filepath.Join(dir, w.main))
				}
				if c.CompatibilityDate != w.date {
					t.Errorf("CompatibilityDate = %q, want %q", c.CompatibilityDate, w.date)
				}
				if c.Build.Command != w.buildCmd {
					t.Errorf("Build.Command = %q, want %q", c.Build.Command, w.buildCmd)
				}
				if got := sortedMapKeys(c.Vars); !reflect.DeepEqual(got, w.vars) && (len(got) != 0 || len(w.vars) != 0) {
					t.Errorf("Vars = %q, want %q", got, w.vars)
				}
				if !reflect.DeepEqual(kvs(c), w.kv) {
					t.Errorf("KVNamespaces = %+v, want %+v", kvs(c), w.kv)
				}
				if len(r2s(c)) != w.r2 {
					t.Errorf("R2Buckets = %+v, want %d", r2s(c), w.r2)
				}
				if len(c.Warnings) != len(w.warnings) {
					t.Fatalf("Warnings:\n%s\nwant %d:\n%s", strings.Join(c.Warnings, "\n"), len(w.warnings), strings.Join(w.warnings, "\n"))
				}
				for i, sub := range w.warnings {
					if !strings.Contains(c.Warnings[i], sub) || !strings.HasPrefix(c.Warnings[i], filepath.Join(dir, file.name)+":") {
						t.Errorf("Warnings[%d] = %q, want it to contain %q", i, c.Warnings[i], sub)
					}
				}
			})
		}
	}
}

func TestEnvironmentNotFound(t *testing.T) {
	tests := []struct {
		file, src, env, want string
	}{
		{"wrangler.toml", envTOML, "prod", `wrangler.toml: environment "prod" not found: expected [env.prod] (defined: staging, production, bare)`},
		{"wrangler.toml", `name = "x"`, "staging", `wrangler.toml: environment "staging" not found: expected [env.staging] (it defines no environments)`},
		{"wrangler.jsonc", envJSONC, "dev", `wrangler.jsonc: environment "dev" not found: expected "env": {"dev": ...} (defined: staging, production, bare)`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.file, []byte(tt.src), tt.env, testParsers()...)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%s, env %q) error = %v, want %q", tt.file, tt.env, err, tt.want)
		}
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		files []string
		want  string
	}{
		{[]string{"wrangler.toml"}, "wrangler.toml"},
		{[]string{"wrangler.jsonc"}, "wrangler.jsonc"},
		{[]string{"wrangler.toml", "wrangler.jsonc"}, "wrangler.jsonc"},
		{[]string{"wrangler.toml", "wrangler.jsonc", "wrangler.json"}, "wrangler.json"},
		{[]string{"wrangler.toml", "wrangler.json"}, "wrangler.json"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		for _, f := range tt.files {
			writeFile(t, filepath.Join(dir, f), "")
		}
		got, err := Find(dir)
		if err != nil || got != filepath.Join(dir, tt.want) {
			t.Errorf("Find with %q = %q, %v; want %q", tt.files, got, err, tt.want)
		}
	}

	dir := t.TempDir()
	// A directory with a config's name is not a config.
	if err := os.Mkdir(filepath.Join(dir, "wrangler.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Find(dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Find(empty dir) error = %v, want one naming %s", err, dir)
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "wrangler.toml"), envTOML)
	writeFile(t, filepath.Join(dir, ".dev.vars"), "API_KEY=top-secret\nMODE=from-dev-vars\n")
	writeFile(t, filepath.Join(dir, ".dev.vars.staging"), "API_KEY=staging-secret\n")

	path, err := Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, "", testParsers()...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !reflect.DeepEqual(c.Secrets, map[string]string{"API_KEY": "top-secret", "MODE": "from-dev-vars"}) {
		t.Errorf("Secrets = %v", c.Secrets)
	}
	if !reflect.DeepEqual(c.SecretsFiles, []string{filepath.Join(dir, ".dev.vars")}) {
		t.Errorf("SecretsFiles = %q", c.SecretsFiles)
	}
	c, err = Load(path, "staging", testParsers()...)
	if err != nil {
		t.Fatalf("Load staging: %v", err)
	}
	if !reflect.DeepEqual(c.Secrets, map[string]string{"API_KEY": "staging-secret"}) || c.Name != "app-staging" {
		t.Errorf("staging: Name %q Secrets %v", c.Name, c.Secrets)
	}

	// No secrets files: empty, non-nil.
	dir2 := t.TempDir()
	writeFile(t, filepath.Join(dir2, "wrangler.jsonc"), `{"name": "x"}`)
	c, err = Load(filepath.Join(dir2, "wrangler.jsonc"), "", testParsers()...)
	if err != nil || c.Secrets == nil || len(c.Secrets) != 0 || len(c.SecretsFiles) != 0 {
		t.Errorf("Load without secrets: %v, %v, %v", err, c.Secrets, c.SecretsFiles)
	}

	if _, err := Load(filepath.Join(dir2, "missing.toml"), "", testParsers()...); err == nil || !strings.Contains(err.Error(), "missing.toml") {
		t.Errorf("Load(missing) error = %v", err)
	}
}

func TestLoadRequiredSecrets(t *testing.T) {
	tests := []struct {
		name     string
		config   string // wrangler.toml
		files    map[string]string
		env      string
		want     map[string]string
		wantErr  string
		wantWarn string
	}{
		{
			name:     "only required keys load",
			config:   "[secrets]\nrequired = [\"A\", \"B\"]\n",
			files:    map[string]string{".dev.vars": "A=1\nB=2\nC=3\n"},
			want:     map[string]string{"A": "1", "B": "2"},
			wantWarn: `wrangler.toml:2:1: secrets.required: "C" not listed, so not loaded from`,
		},
		{
			name:    "missing required key",
			config:  "name = \"w\"\nsecrets = { required = [\"A\", \"B\"] }\n",
			files:   map[string]string{".dev.vars": "A=1\n"},
			wantErr: `wrangler.toml:2:13: secrets.required: required secret "B" not found: not in `,
		},
		{
			name:    "missing required key and no file",
			config:  "[secrets]\nrequired = [\"A\"]\n",
			wantErr: `wrangler.toml:2:1: secrets.required: required secret "A" not found: no .dev.vars or .env file in`,
		},
		{
			name:   "empty required list loads nothing",
			config: "[secrets]\nrequired = []\n",
			files:  map[string]string{".env": "A=1\n"},
			want:   map[string]string{},
		},
		{
			name:   "secrets is not inherited by environments",
			config: "[secrets]\nrequired = [\"A\"]\n[env.dev]\n",
			files:  map[string]string{".dev.vars": "B=2\n"},
			env:    "dev",
			want:   map[string]string{"B": "2"},
		},
		{
			name:   "env's own required list",
			config: "[env.dev.secrets]\nrequired = [\"B\"]\n",
			files:  map[string]string{".dev.vars.dev": "B=2\nC=3\n"},
			env:    "dev",
			want:   map[string]string{"B": "2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "wrangler.toml"), tt.config)
			for n, content := range tt.files {
				writeFile(t, filepath.Join(dir, n), content)
			}
			t.Chdir(dir) // so that error messages show the relative name
			c, err := Load("wrangler.toml", tt.env, testParsers()...)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(c.Secrets, tt.want) {
				t.Errorf("Secrets = %v, want %v", c.Secrets, tt.want)
			}
			if tt.wantWarn != "" && !containsPrefix(c.Warnings, tt.wantWarn) {
				t.Errorf("Warnings = %q, want one starting %q", c.Warnings, tt.wantWarn)
			}
		})
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func TestSecretsNeverPrinted(t *testing.T) {
	c := &Config{
		Path:    "/w/wrangler.toml",
		Name:    "w",
		Vars:    map[string]Var{"PUBLIC": {Text: "visible"}},
		Secrets: map[string]string{"API_KEY": "s3cr3t-value"},
	}
	var logBuf strings.Builder
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("config", "cfg", c)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v":    fmt.Sprintf("%v", c),
		"%+v":   fmt.Sprintf("%+v", c),
		"%#v":   fmt.Sprintf("%#v", c),
		"%s":    fmt.Sprintf("%s", c),
		"value": fmt.Sprintf("%+v", *c),
		"slog":  logBuf.String(),
		"json":  string(js),
	}
	for how, out := range outputs {
		if strings.Contains(out, "s3cr3t-value") {
			t.Errorf("%s leaks the secret: %s", how, out)
		}
	}
	if !strings.Contains(outputs["%v"], "API_KEY") || !strings.Contains(outputs["slog"], "API_KEY") {
		t.Errorf("secret names should be listed: %s / %s", outputs["%v"], outputs["slog"])
	}
}

func TestBindingNames(t *testing.T) {
	c, err := Parse("wrangler.toml", []byte(fullTOML), "", testParsers()...)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.BindingNames["SESSIONS"]; got != "kv_namespaces[1].binding" {
		t.Errorf("BindingNames[SESSIONS] = %q", got)
	}
	if _, ok := c.BindingNames["GREETING"]; ok {
		t.Error("a var is in BindingNames")
	}
}

// TestBundleKeys: the keys that shape a JavaScript bundle, with wrangler's
// inheritance (define is not inherited by an environment; alias is top
// level only).
func TestBundleKeys(t *testing.T) {
	dir := t.TempDir()
	toml := `name = "b"
main = "src/index.ts"
compatibility_flags = ["nodejs_compat"]
minify = true
tsconfig = "tsconfig.build.json"
alias = { "lodash" = "lodash-es", "./x" = "./y" }

[define]
DEBUG = "false"

[[rules]]
type = "Text"
globs = ["**/*.md"]
fallthrough = true

[env.prod]
minify = false
[env.prod.define]
DEBUG = "true"
`
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env    string
		minify bool
		debug  string
	}{{"", true, "false"}, {"prod", false, "true"}} {
		cfg, err := Load(filepath.Join(dir, "wrangler.toml"), tc.env, testParsers()...)
		if err != nil {
			t.Fatal(err)
		}
		b := cfg.Bundle
		if b.Minify != tc.minify || b.Define["DEBUG"] != tc.debug || b.Alias["lodash"] != "lodash-es" ||
			b.TSConfig != filepath.Join(dir, "tsconfig.build.json") || len(b.Rules) != 1 || !b.Rules[0].FallThrough ||
			b.Rules[0].Type != "Text" || !cfg.HasFlag("nodejs_compat") {
			t.Errorf("env %q: bundle %+v, flags %v", tc.env, b, cfg.CompatibilityFlags)
		}
		if len(cfg.Warnings) != 0 {
			t.Errorf("env %q: warnings %q", tc.env, cfg.Warnings)
		}
	}
	os.WriteFile(filepath.Join(dir, "wrangler.toml"), []byte("name = \"b\"\n[[rules]]\ntype = \"Wasmish\"\nglobs = [\"*.x\"]\n"), 0o644)
	if _, err := Load(filepath.Join(dir, "wrangler.toml"), "", testParsers()...); err == nil || !strings.Contains(err.Error(), `rule type "Wasmish"`) {
		t.Errorf("bad rule type: %v", err)
	}
}
