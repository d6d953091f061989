package jsbuild

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/bindery-run/bindery/internal/wrangler"
	"github.com/evanw/esbuild/pkg/api"
)

// nodeBuiltins are Node.js's built-in modules (node's
// require('module').builtinModules, v20 and v22): with nodejs_compat each
// resolves, with or without "node:", to the SDK's implementation in
// src/node/ or to a stub whose functions throw when called.
var nodeBuiltins = []string{
	"_http_agent", "_http_client", "_http_common", "_http_incoming", "_http_outgoing", "_http_server",
	"_stream_duplex", "_stream_passthrough", "_stream_readable", "_stream_transform", "_stream_wrap", "_stream_writable",
	"_tls_common", "_tls_wrap", "assert", "assert/strict", "async_hooks", "buffer", "child_process", "cluster",
	"console", "constants", "crypto", "dgram", "diagnostics_channel", "dns", "dns/promises", "domain", "events",
	"fs", "fs/promises", "http", "http2", "https", "inspector", "inspector/promises", "module", "net", "os",
	"path", "path/posix", "path/win32", "perf_hooks", "process", "punycode", "querystring", "readline",
	"readline/promises", "repl", "stream", "stream/consumers", "stream/promises", "stream/web", "string_decoder",
	"sys", "timers", "timers/promises", "tls", "trace_events", "tty", "url", "util", "util/types", "v8", "vm",
	"wasi", "worker_threads", "zlib",
}

// nodePrefixOnly are built-in modules Node.js has only as node:NAME.
var nodePrefixOnly = []string{"sea", "sqlite", "test", "test/reporters"}

// nodeModules maps the built-in modules the SDK implements to their files
// in src/node/; every other built-in is a stub (see src/node/stub.js).
// docs/sdk-js.md lists what each one has.
var nodeModules = map[string]string{
	"_stream_duplex":      "stream_duplex.js",
	"_stream_passthrough": "stream_passthrough.js",
	"_stream_readable":    "stream_readable.js",
	"_stream_transform":   "stream_transform.js",
	"_stream_writable":    "stream_writable.js",
	"assert":              "assert.js",
	"assert/strict":       "assert_strict.js",
	"async_hooks":         "async_hooks.js",
	"buffer":              "buffer.js",
	"console":             "console.js",
	"crypto":              "crypto.js",
	"diagnostics_channel": "diagnostics_channel.js",
	"events":              "events.js",
	"module":              "module.js",
	"os":                  "os.js",
	"path":                "path.js",
	"path/posix":          "path.js",
	"perf_hooks":          "perf_hooks.js",
	"process":             "process.js",
	"querystring":         "querystring.js",
	"stream":              "stream.js",
	"stream/consumers":    "stream_consumers.js",
	"stream/promises":     "stream_promises.js",
	"stream/web":          "stream_web.js",
	"string_decoder":      "string_decoder.js",
	"sys":                 "util.js",
	"timers":              "timers.js",
	"timers/promises":     "timers_promises.js",
	"url":                 "url.js",
	"util":                "util.js",
	"util/types":          "util_types.js",
}

// nodeInternalAliases are the specifiers the SDK's npm dependencies use to
// ask for the npm copy of a built-in ("process/", "string_decoder/"): from
// inside the SDK they get the SDK's own module.
var nodeInternalAliases = map[string]string{"process/": "process", "string_decoder/": "string_decoder"}

// Namespaces of the modules the Node.js plugin makes.
const (
	nsNodeCJS    = "bindery-node-cjs"    // require("events"): module.exports is the module's default export
	nsNodeStub   = "bindery-node-stub"   // a built-in the SDK does not implement
	nsNodeConfig = "bindery-node-config" // what src/node/ needs to know of the build
)

// nodeConfigModule is the specifier src/node/ imports the build's Node.js
// settings from.
const nodeConfigModule = "bindery-node:config"

// isNodeBuiltin reports whether name (without "node:") is a built-in
// module; prefixed says it was imported as node:NAME.
func isNodeBuiltin(name string, prefixed bool) bool {
	return slices.Contains(nodeBuiltins, name) || (prefixed && slices.Contains(nodePrefixOnly, name))
}

// nodeFilter matches every specifier the plugin looks at.
func nodeFilter() string {
	names := append([]string{`node:.*`, nodeConfigModule}, nodeBuiltins...)
	for k := range nodeInternalAliases {
		names = append(names, k)
	}
	for i, n := range names[1:] {
		names[i+1] = regexp.QuoteMeta(n)
	}
	return `^(` + strings.Join(names, "|") + `)$`
}

// nodeFlagHelp says how to turn Node.js compatibility on.
const nodeFlagHelp = `add "nodejs_compat" to compatibility_flags in the wrangler config (or set a compatibility_date of ` +
	wrangler.NodeCompatDefaultOnDate + ` or later)`

// nodePlugin resolves Node.js built-in modules as the Worker's Node.js
// compatibility says (see wrangler.NodeMode): to the SDK's modules in
// nodeDir, to stubs, or to an error that says which flag is missing.
// Imports from the SDK itself (internal: nodeDir and the SDK's
// node_modules) always get the SDK's modules. alias holds the config's
// aliases, which win. *usedALS is set when node:async_hooks is bundled.
func nodePlugin(nc wrangler.NodeCompat, nodeDir string, internal []string, alias map[string]string, usedALS *bool) api.Plugin {
	type marker struct{} // PluginData of the plugin's own pb.Resolve calls
	isInternal := func(importer string) bool {
		for _, d := range internal {
			if rel, err := filepath.Rel(d, importer); err == nil && !strings.HasPrefix(rel, "..") {
				return true
			}
		}
		return false
	}
	return api.Plugin{
		Name: "bindery-nodejs-compat",
		Setup: func(pb api.PluginBuild) {
			// module returns the resolution of built-in name for kind.
			module := func(name string, kind api.ResolveKind) api.OnResolveResult {
				if name == "async_hooks" {
					*usedALS = true
				}
				file, ok := nodeModules[name]
				switch {
				case !ok:
					return api.OnResolveResult{Path: name, Namespace: nsNodeStub}
				case kind == api.ResolveJSRequireCall:
					// require() gets what Node's module.exports is.
					return api.OnResolveResult{Path: name, Namespace: nsNodeCJS}
				default:
					return api.OnResolveResult{Path: filepath.Join(nodeDir, file)}
				}
			}
			pb.OnResolve(api.OnResolveOptions{Filter: nodeFilter()}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
				if _, ok := a.PluginData.(marker); ok {
					return api.OnResolveResult{}, nil
				}
				if a.Path == nodeConfigModule {
					return api.OnResolveResult{Path: a.Path, Namespace: nsNodeConfig}, nil
				}
				if _, ok := alias[a.Path]; ok {
					return api.OnResolveResult{}, nil // the config's alias
				}
				name, prefixed := strings.CutPrefix(a.Path, "node:")
				internalImport := a.Namespace == nsNodeCJS || isInternal(a.Importer)
				if internalImport {
					if n, ok := nodeInternalAliases[a.Path]; ok {
						name = n
					}
				}
				if !isNodeBuiltin(name, prefixed) {
					if prefixed {
						return api.OnResolveResult{}, fmt.Errorf("%q is not a Node.js built-in module", a.Path)
					}
					return api.OnResolveResult{}, nil // "process/" from the Worker's own code: npm's
				}
				if internalImport {
					return module(name, a.Kind), nil
				}
				if prefixed {
					switch {
					case nc.Mode == wrangler.NodeV1 || nc.Mode == wrangler.NodeV2:
						return module(name, a.Kind), nil
					case nc.Mode == wrangler.NodeALS && name == "async_hooks":
						return module(name, a.Kind), nil
					case nc.Mode == wrangler.NodeALS:
						return api.OnResolveResult{}, fmt.Errorf("%s is a Node.js built-in module: nodejs_als provides node:async_hooks only; to use the others, %s", a.Path, nodeFlagHelp)
					default:
						return api.OnResolveResult{}, fmt.Errorf("%s is a Node.js built-in module: to use it, %s", a.Path, nodeFlagHelp)
					}
				}
				if nc.Mode == wrangler.NodeV2 {
					return module(name, a.Kind), nil
				}
				// A bare name is a package first (as in wrangler without v2):
				// only when none is installed is it the built-in.
				// (The SDK's own npm packages, where esbuild looks last, do
				// not count: a Worker does not get them without the flag.)
				r := pb.Resolve(a.Path, api.ResolveOptions{Importer: a.Importer, ResolveDir: a.ResolveDir, Kind: a.Kind, Namespace: a.Namespace, PluginData: marker{}})
				if len(r.Errors) == 0 && !isInternal(r.Path) {
					return api.OnResolveResult{Path: r.Path, External: r.External, Namespace: r.Namespace, Suffix: r.Suffix, PluginData: r.PluginData, SideEffects: sideEffects(r.SideEffects)}, nil
				}
				if nc.Mode == wrangler.NodeV1 {
					return api.OnResolveResult{}, fmt.Errorf("%q is a Node.js built-in module, which nodejs_compat before %s provides as node:%s only: import node:%s, or set a compatibility_date of %s or later (or add nodejs_compat_v2)",
						a.Path, wrangler.NodeCompatV2Date, name, name, wrangler.NodeCompatV2Date)
				}
				return api.OnResolveResult{}, fmt.Errorf("%q is a Node.js built-in module and no package of that name is installed: to use the built-in, %s", a.Path, nodeFlagHelp)
			})
			pb.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: nsNodeCJS}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
				js := fmt.Sprintf("import m from %q;\nmodule.exports = m;\n", filepath.Join(nodeDir, nodeModules[a.Path]))
				return api.OnLoadResult{Contents: &js, Loader: api.LoaderJS, ResolveDir: nodeDir}, nil
			})
			pb.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: nsNodeStub}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
				js := fmt.Sprintf("import { stub } from %q;\nmodule.exports = stub(%q);\n", filepath.Join(nodeDir, "stub.js"), "node:"+a.Path)
				return api.OnLoadResult{Contents: &js, Loader: api.LoaderJS, ResolveDir: nodeDir}, nil
			})
			pb.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: nsNodeConfig}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
				js := fmt.Sprintf("export const mode = %q;\nexport const populateProcessEnv = %t;\n", nc.Mode, nc.PopulateProcessEnv)
				return api.OnLoadResult{Contents: &js, Loader: api.LoaderJS}, nil
			})
		},
	}
}

// sideEffects carries a resolution's side effects over to a result.
func sideEffects(has bool) api.SideEffects {
	if has {
		return api.SideEffectsTrue
	}
	return api.SideEffectsFalse
}
