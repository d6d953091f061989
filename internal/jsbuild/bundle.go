// Package jsbuild builds JavaScript and TypeScript Workers the way wrangler
// does — one esbuild bundle of the Worker's main and the npm packages it
// imports, with the config's alias, define and rules — and prepares what
// the host runs it with: StarlingMonkey spliced for Bindery's WIT world
// (made once per toolchain, in the user cache) and the pre-initialisation
// that evaluates the bundle in it (host.InitConfig). See docs/sdk-js.md,
// "How a JS Worker runs", and docs/design.md.
package jsbuild

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/bindery-run/bindery/internal/wrangler"
	"github.com/evanw/esbuild/pkg/api"
)

// Options say what to bundle and how.
type Options struct {
	// Entry is the Worker's main: a .js, .mjs, .cjs, .ts, .mts, .jsx or
	// .tsx file.
	Entry string
	// ProjectDir is where relative aliases resolve (the config's
	// directory, as in wrangler); "" means the entry's directory.
	ProjectDir string
	// Bundle is the config's bundling keys (alias, define, rules, …).
	Bundle wrangler.Bundle
	// NodeCompat says which Node.js built-in modules and globals the
	// bundle gets (wrangler.Config.NodeCompat); the zero value is none,
	// and a node:* import is an error naming the nodejs_compat flag.
	NodeCompat wrangler.NodeCompat
	// Dev bundles for bindery dev (process.env.NODE_ENV "development").
	Dev bool
}

// Bundle is a bundled Worker.
type Bundle struct {
	// Code is the bundle: one ES module.
	Code []byte
	// SourceMap maps Code back to the Worker's files.
	SourceMap []byte
	// Inputs are the files the bundle was made from (absolute paths).
	Inputs []string
	// Warnings are esbuild's warnings, formatted.
	Warnings []string
}

// BundleName is the name the bundle has in the engine (and so in its stack
// traces, which the host maps back with SourceMap).
const BundleName = "worker.js"

// JSExtensions are the file name extensions of a main jsbuild bundles.
var JSExtensions = []string{".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx"}

// IsJS reports whether path is a main jsbuild bundles.
func IsJS(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	for _, e := range JSExtensions {
		if ext == e {
			return true
		}
	}
	return false
}

// defaultRules are wrangler's DEFAULT_MODULE_RULES: which other files a
// Worker may import, and as what.
var defaultRules = []wrangler.Rule{
	{Type: "Text", Globs: []string{"**/*.txt", "**/*.html", "**/*.sql"}},
	{Type: "Data", Globs: []string{"**/*.bin"}},
	{Type: "CompiledWasm", Globs: []string{"**/*.wasm", "**/*.wasm?module"}},
}

// bundle bundles opts.Entry with the SDK's runtime (runtimeJS, a file)
// and the SDK modules in also (imported after the runtime, before the
// Worker) into one ES module; nodePaths are where packages the project
// does not have are found (the SDK's own dependencies).
func bundle(opts Options, runtimeJS string, also []string, nodePaths []string) (*Bundle, error) {
	entry, err := filepath.Abs(opts.Entry)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(entry); err != nil {
		return nil, fmt.Errorf("main: %w", err)
	} else if fi.IsDir() {
		return nil, fmt.Errorf("main %s is a directory", entry)
	}
	if opts.Bundle.NoBundle {
		return nil, errors.New("no_bundle = true: bindery always bundles a JavaScript main (it runs one module); remove no_bundle")
	}
	base := opts.Bundle.BaseDir
	if base == "" {
		base = filepath.Dir(entry)
	}
	project := opts.ProjectDir
	if project == "" {
		project = filepath.Dir(entry)
	}
	// The runtime is imported first, so its globals exist before the
	// Worker's top-level code runs; the Worker's module is imported as a
	// namespace, so a service-worker script (no default export) bundles.
	// With nodejs_compat v2 the Node.js globals (Buffer, process, global,
	// setImmediate) come next, as workerd defines them, then the SDK
	// modules in also.
	nodeDir := filepath.Join(filepath.Dir(runtimeJS), "node")
	var imports strings.Builder
	if opts.NodeCompat.Mode == wrangler.NodeV2 {
		fmt.Fprintf(&imports, "import %q;\n", filepath.Join(nodeDir, "globals.js"))
	}
	for _, m := range also {
		fmt.Fprintf(&imports, "import %q;\n", m)
	}
	// The engine's world is worker-with-objects: the Worker's Durable
	// Object classes (its exported classes) serve the object export, its
	// default export's queue and scheduled the queue consumer and the
	// scheduled handler (always exported: the SDK answers an event the
	// Worker has no handler for with an error). componentize-js binds an
	// export by its interface's name unless two share it (bindery:http/handler
	// and bindery:scheduled/handler): the second goes by its qualified name.
	glue := fmt.Sprintf("import { serve, serveObjects, serveQueue, serveScheduled } from %q;\n%simport * as worker from %q;\n"+
		"export const handler = serve(worker);\nexport const object = serveObjects(worker);\nexport const consumer = serveQueue(worker);\n"+
		"const scheduled = serveScheduled(worker);\nexport { scheduled as %q };\n", runtimeJS, imports.String(), entry, "bindery:scheduled/handler@0.1.0")
	nodeEnv := `"production"`
	if opts.Dev {
		nodeEnv = `"development"`
	}
	define := map[string]string{
		"process.env.NODE_ENV":            nodeEnv,
		"global.process.env.NODE_ENV":     nodeEnv,
		"globalThis.process.env.NODE_ENV": nodeEnv,
		// The engine traps on import.meta in the bundle; in workerd a
		// bundled module's import.meta is an object without a url (Node
		// packages call createRequire(import.meta.url) at load).
		"import.meta": "{}",
	}
	for k, v := range opts.Bundle.Define {
		define[k] = v
	}
	rules := append(append([]wrangler.Rule(nil), opts.Bundle.Rules...), defaultRules...)
	// "@bindery/worker" is the SDK's runtime (BindingError, trap, env):
	// the name a Worker imports it by, as with the npm package.
	// "cloudflare:workers" is the SDK's module of that name (DurableObject,
	// env), as workerd provides it.
	alias := map[string]string{"@bindery/worker": runtimeJS, "cloudflare:workers": filepath.Join(filepath.Dir(runtimeJS), "cloudflare-workers.js")}
	for k, v := range opts.Bundle.Alias {
		alias[k] = v
	}
	build := func(lowerAsync bool) (api.BuildResult, bool) {
		usedALS := false
		var supported map[string]bool
		if lowerAsync {
			// AsyncLocalStorage follows promise continuations through
			// Promise.prototype.then (src/node/async_hooks.js); await only
			// goes through then once esbuild turns async functions into
			// generators. See docs/design.md.
			supported = map[string]bool{"async-await": false, "async-generator": false, "for-await": false}
		}
		res := api.Build(api.BuildOptions{
			Stdin: &api.StdinOptions{
				Contents:   glue,
				ResolveDir: filepath.Dir(entry),
				Sourcefile: "bindery-entry.js",
				Loader:     api.LoaderJS,
			},
			Bundle:            true,
			Write:             false,
			Outfile:           BundleName,
			AbsWorkingDir:     project,
			Format:            api.FormatESModule,
			Target:            api.ES2022,
			Supported:         supported,
			Platform:          api.PlatformBrowser,
			Conditions:        []string{"workerd", "worker", "browser"},
			Sourcemap:         api.SourceMapExternal,
			SourcesContent:    api.SourcesContentInclude,
			MinifyWhitespace:  opts.Bundle.Minify,
			MinifyIdentifiers: opts.Bundle.Minify,
			MinifySyntax:      opts.Bundle.Minify,
			KeepNames:         opts.Bundle.KeepNames,
			Define:            define,
			Alias:             alias,
			Tsconfig:          opts.Bundle.TSConfig,
			JSXFactory:        opts.Bundle.JSXFactory,
			JSXFragment:       opts.Bundle.JSXFragment,
			Loader:            map[string]api.Loader{".js": api.LoaderJSX, ".mjs": api.LoaderJSX, ".cjs": api.LoaderJSX},
			External:          []string{"bindery:*", "cloudflare:*"},
			NodePaths:         nodePaths,
			Metafile:          true,
			LogLevel:          api.LogLevelSilent,
			Plugins: []api.Plugin{
				nodePlugin(opts.NodeCompat, nodeDir, append([]string{nodeDir}, nodePaths...), opts.Bundle.Alias, &usedALS),
				rulesPlugin(rules, base),
			},
		})
		return res, usedALS
	}
	res, usedALS := build(false)
	var alsWarning string
	if usedALS && len(res.Errors) == 0 {
		// esbuild cannot keep top-level await while it rewrites async
		// functions: such a Worker keeps them, and is told what it loses.
		if lowered, _ := build(true); len(lowered.Errors) == 0 {
			res = lowered
		} else {
			alsWarning = fmt.Sprintf("warning: %s uses top-level await, so its async functions stay native and an AsyncLocalStorage store is lost after an await (%s)",
				opts.Entry, strings.TrimSpace(lowered.Errors[0].Text))
		}
	}
	if len(res.Errors) > 0 {
		return nil, fmt.Errorf("bundle %s:\n%s", opts.Entry, formatMessages(res.Errors, api.ErrorMessage))
	}
	b := &Bundle{Warnings: strings.Split(strings.TrimSpace(formatMessages(res.Warnings, api.WarningMessage)), "\n")}
	if len(res.Warnings) == 0 {
		b.Warnings = nil
	}
	if alsWarning != "" {
		b.Warnings = append(b.Warnings, alsWarning)
	}
	for _, f := range res.OutputFiles {
		switch {
		case strings.HasSuffix(f.Path, ".map"):
			b.SourceMap = f.Contents
		default:
			b.Code = f.Contents
		}
	}
	if b.Code == nil {
		return nil, fmt.Errorf("bundle %s: esbuild wrote no output", opts.Entry)
	}
	b.Inputs = metafileInputs(res.Metafile, project)
	return b, nil
}

// formatMessages formats esbuild's messages as it prints them.
func formatMessages(msgs []api.Message, kind api.MessageKind) string {
	return strings.Join(api.FormatMessages(msgs, api.FormatMessagesOptions{Kind: kind, TerminalWidth: 100}), "")
}

// metafileInputs lists the files a bundle read, from esbuild's metafile.
func metafileInputs(meta, dir string) []string {
	var m struct {
		Inputs map[string]any `json:"inputs"`
	}
	if err := json.Unmarshal([]byte(meta), &m); err != nil {
		return nil
	}
	var out []string
	for p := range m.Inputs {
		if strings.Contains(p, ":") && !filepath.IsAbs(p) { // a virtual module (namespace:path)
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// rulesPlugin loads the files the rules name as what the rules say:
// "Text" as a string, "Data" as an ArrayBuffer; "CompiledWasm" is refused
// (the engine has no WebAssembly).
func rulesPlugin(rules []wrangler.Rule, base string) api.Plugin {
	type compiled struct {
		typ string
		re  *regexp.Regexp
	}
	var cs []compiled
	for _, r := range rules {
		if r.Type == "ESModule" || r.Type == "CommonJS" {
			continue // esbuild bundles JavaScript itself
		}
		for _, g := range r.Globs {
			cs = append(cs, compiled{typ: r.Type, re: globRegexp(g)})
		}
	}
	return api.Plugin{
		Name: "bindery-module-rules",
		Setup: func(pb api.PluginBuild) {
			pb.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: "file"}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
				rel, err := filepath.Rel(base, a.Path)
				if err != nil || strings.HasPrefix(rel, "..") {
					rel = a.Path
				}
				rel = filepath.ToSlash(rel)
				for _, c := range cs {
					if !c.re.MatchString(rel) && !c.re.MatchString(filepath.ToSlash(a.Path)) {
						continue
					}
					switch c.typ {
					case "Text":
						b, err := os.ReadFile(a.Path)
						if err != nil {
							return api.OnLoadResult{}, err
						}
						s := string(b)
						return api.OnLoadResult{Contents: &s, Loader: api.LoaderText}, nil
					case "Data":
						b, err := os.ReadFile(a.Path)
						if err != nil {
							return api.OnLoadResult{}, err
						}
						js := fmt.Sprintf("const s = atob(%q);\nconst b = new Uint8Array(s.length);\nfor (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);\nexport default b.buffer;\n",
							base64.StdEncoding.EncodeToString(b))
						return api.OnLoadResult{Contents: &js, Loader: api.LoaderJS}, nil
					case "CompiledWasm":
						return api.OnLoadResult{}, fmt.Errorf("%s: WebAssembly modules cannot be imported by a JavaScript Worker on Bindery (its engine has no WebAssembly); write that part as its own Wasm Worker", a.Path)
					default:
						return api.OnLoadResult{}, fmt.Errorf("%s: module rule type %q is not supported in a JavaScript bundle", a.Path, c.typ)
					}
				}
				return api.OnLoadResult{}, nil // esbuild's own loaders
			})
		},
	}
}

// globRegexp compiles a rule's glob as wrangler does (glob-to-regexp with
// globstar, not extended): "**" spans directories, "*" does not, and
// everything else, "?" too, is itself ("**/*.wasm?module").
func globRegexp(g string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(g); i++ {
		switch c := g[i]; c {
		case '*':
			if i+1 < len(g) && g[i+1] == '*' {
				i++
				if i+1 < len(g) && g[i+1] == '/' {
					i++
					b.WriteString("(?:[^/]*(?:/|$))*")
				} else {
					b.WriteString(".*")
				}
			} else {
				b.WriteString("[^/]*")
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}
