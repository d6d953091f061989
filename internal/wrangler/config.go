// Package wrangler finds, parses and validates a Worker's Cloudflare wrangler
// configuration (wrangler.json, wrangler.jsonc or wrangler.toml) and its
// local secrets (.dev.vars / .env files), following wrangler's own rules for
// environments, inheritance and secrets-file precedence.
//
// Every error names the file, and the line, column and key path at fault
// when they are known, e.g.
//
//	wrangler.toml:7:1: kv_namespaces[0].binding: expected a string, found integer
package wrangler

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/bindery-run/bindery/bindings/config"
)

// Config is the part of a wrangler config that Bindery uses, after --env is applied.
type Config struct {
	// Path is the absolute path of the config file read.
	Path string
	// Name is "name". With an environment that does not set its own name it
	// is "<name>-<env>", as in wrangler.
	Name string
	// Main is "main", resolved to an absolute path relative to the config
	// file's directory ("" if absent).
	Main string
	// CompatibilityDate is "compatibility_date" (YYYY-MM-DD); NodeCompat
	// reads it.
	CompatibilityDate string
	// Vars is "[vars]". A secret with the same name overrides a var.
	Vars map[string]Var
	// Bindings holds what each binding module's parser (see Load) made
	// of its keys, by module name; a module whose keys the config lacks
	// may have nil or be missing.
	Bindings map[string]any
	// BindingNames maps each binding name the config declares (of every
	// kind, vars excluded) to the key path that declares it, e.g.
	// "kv_namespaces[0].binding".
	BindingNames map[string]string
	// Build is "[build]": command, cwd and watch_dir.
	Build Build
	// Bundle holds the keys that shape how a JavaScript or TypeScript main
	// is bundled (alias, define, rules, minify, tsconfig, …).
	Bundle Bundle
	// CompatibilityFlags is "compatibility_flags" (nodejs_compat,
	// python_workers, …).
	CompatibilityFlags []string
	// Dev is "[dev]": ip, port, local_protocol and host.
	Dev Dev
	// Secrets holds the local secrets read from .dev.vars or .env files by
	// Load (nil after Parse). String, GoString and LogValue never print the
	// values, and JSON encoding leaves the field out.
	Secrets map[string]string `json:"-"`
	// RequiredSecrets is "secrets.required" (nil if the config has no such
	// list). When it is set, Load keeps only these secrets and fails if one
	// is missing.
	RequiredSecrets []string
	// SecretsFiles lists the secrets files Load read, in the order applied
	// (later files override earlier ones); empty if none exists.
	SecretsFiles []string
	// Warnings are non-fatal findings, such as valid wrangler fields that
	// bindery dev ignores, each starting with "file:line:col: " or "file: ".
	Warnings []string
}

// Var is one "[vars]" entry. A string value is in Text and JSON is nil; any
// other value (table, array, number, boolean, null) is in JSON, compactly
// encoded, and Text is "". wrangler binds the first kind as plain text and
// the second as a JSON binding.
type Var struct {
	Text string
	JSON json.RawMessage
}

// Build is the "[build]" section. Paths are absolute, resolved against the
// config file's directory. When Command is set, Cwd defaults to that
// directory and WatchDir to its "src" subdirectory, as in wrangler.
type Build struct {
	Command, Cwd string
	WatchDir     []string
}

// Dev is the "[dev]" section. Zero values mean "not set": wrangler's defaults
// are ip "localhost", port 8787 and local_protocol "http".
type Dev struct {
	IP            string
	Port          int
	LocalProtocol string
	Host          string
}

// configNames lists the config file names in wrangler's order of preference.
func configNames() []string { return []string{"wrangler.json", "wrangler.jsonc", "wrangler.toml"} }

// Find returns the config file in dir: wrangler.json, then wrangler.jsonc, then wrangler.toml (wrangler's order), or an error naming dir.
// Only dir itself is searched, not its parents.
func Find(dir string) (string, error) {
	if dir == "" {
		dir = "."
	}
	for _, n := range configNames() {
		p := filepath.Join(dir, n)
		fi, err := os.Stat(p)
		switch {
		case err == nil && !fi.IsDir():
			return p, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("looking for a wrangler config: %w", err)
		}
	}
	shown := dir
	if abs, err := filepath.Abs(dir); err == nil {
		shown = abs
	}
	return "", fmt.Errorf("no wrangler.json, wrangler.jsonc or wrangler.toml in %s", shown)
}

// Load reads the config at path for environment env ("" = top level), then its secrets file.
// The parsers decode the keys of the binding modules (kv_namespaces,
// r2_buckets, ...); their results are in Config.Bindings. A binding key
// no parser reads is recognised (its binding names count for duplicates)
// but not used, with a warning.
// Secrets come from the config file's directory (see LoadSecrets); when the
// config has "secrets.required", only those keys are kept and a missing one
// is an error.
func Load(path, env string, parsers ...config.Parser) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfg, st, err := parse(path, data, env, parsers)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(cfg.Path)
	secrets, files, err := loadSecrets(dir, env)
	if err != nil {
		return nil, err
	}
	cfg.SecretsFiles = files
	if cfg.RequiredSecrets != nil {
		kept := make(map[string]string, len(cfg.RequiredSecrets))
		var missing []string
		for _, k := range cfg.RequiredSecrets {
			if v, ok := secrets[k]; ok {
				kept[k] = v
			} else if !slices.Contains(missing, k) {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			from := "no .dev.vars or .env file in " + dir
			if len(files) > 0 {
				from = "not in " + strings.Join(files, ", ")
			}
			return nil, fmt.Errorf("%s: %s: required secret %s not found: %s",
				st.doc.where(st.requiredPath), st.requiredPath, quoteList(missing), from)
		}
		var extra []string
		for k := range secrets {
			if _, ok := kept[k]; !ok {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		if len(extra) > 0 {
			cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("%s: %s: %s not listed, so not loaded from %s",
				st.doc.where(st.requiredPath), st.requiredPath, quoteList(extra), strings.Join(files, ", ")))
		}
		secrets = kept
	}
	cfg.Secrets = secrets
	cfg.Warnings = append(cfg.Warnings, secretShadowWarnings(cfg)...)
	return cfg, nil
}

// secretShadowWarnings warns about secrets named like a binding.
func secretShadowWarnings(cfg *Config) []string {
	var out []string
	for _, k := range sortedMapKeys(cfg.Secrets) {
		if at, ok := cfg.BindingNames[k]; ok {
			out = append(out, fmt.Sprintf("%s: secret %q has the same name as the binding %q (%s)", strings.Join(cfg.SecretsFiles, ", "), k, k, at))
		}
	}
	return out
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// Parse parses config bytes (name is used in error messages; format picked from the extension .toml/.json/.jsonc).
// It reads no secrets: Secrets is nil. Path is name made absolute, and
// relative paths in the config are resolved against its directory.
func Parse(name string, data []byte, env string, parsers ...config.Parser) (*Config, error) {
	cfg, _, err := parse(name, data, env, parsers)
	return cfg, err
}

// parseState carries what Load needs from parsing beyond the Config.
type parseState struct {
	doc          *document
	requiredPath path
}

func parse(name string, data []byte, env string, parsers []config.Parser) (*Config, *parseState, error) {
	doc, err := newDocument(name, data)
	if err != nil {
		return nil, nil, err
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		abs = filepath.Clean(name)
	}
	b := newBuilder(doc, env, abs, parsers)
	cfg, err := b.run()
	if err != nil {
		return nil, nil, err
	}
	return cfg, &parseState{doc: doc, requiredPath: b.requiredPath}, nil
}

// String summarises the config for logs. Secret values are never included,
// only their names. It has a value receiver so that printing a Config value
// (not only a pointer) is redacted too.
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wrangler config %s: name=%q main=%q compatibility_date=%q", c.Path, c.Name, c.Main, c.CompatibilityDate)
	fmt.Fprintf(&b, " vars=%v", sortedMapKeys(c.Vars))
	fmt.Fprintf(&b, " bindings=%v", sortedMapKeys(c.BindingNames))
	fmt.Fprintf(&b, " secrets=%v (values redacted)", sortedMapKeys(c.Secrets))
	return b.String()
}

// GoString is String, so that %#v cannot print secret values either.
func (c Config) GoString() string { return c.String() }

// LogValue implements slog.LogValuer without secret values.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("path", c.Path),
		slog.String("name", c.Name),
		slog.String("main", c.Main),
		slog.Any("vars", sortedMapKeys(c.Vars)),
		slog.Any("bindings", sortedMapKeys(c.BindingNames)),
		slog.Any("secrets", sortedMapKeys(c.Secrets)),
	)
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
