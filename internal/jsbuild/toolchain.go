package jsbuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing/fstest"
	"time"

	"github.com/bindery-run/bindery/guest-sdk/js"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/wit"
)

// MinNode is the oldest Node.js major version the toolchain runs on.
const MinNode = 20

// features are the StarlingMonkey features the engine is spliced with: no
// wasi:http incoming handler or fetch event (a Worker speaks Bindery's HTTP
// interface).
var features = []string{"stdio", "random", "clocks"}

// World is the WIT world the engine is spliced for. Every JavaScript
// Worker runs the one engine, so it is the world that has everything:
// worker-with-objects, whose object exports a Worker without Durable
// Object classes serves with an empty class list (docs/sdk-js.md,
// "Durable Objects"), and whose queue and scheduled handlers a Worker
// without them answers with an error ("Queues and cron triggers").
const World = "worker-with-objects"

// Toolchain is the JavaScript toolchain in the user cache: Node.js (needed
// only to make the engine, once), the SDK's pinned npm packages and the
// SDK's runtime files.
type Toolchain struct {
	// Node is the node binary.
	Node string
	// NPMDir holds package.json, package-lock.json and node_modules.
	NPMDir string
	// SDKDir holds the runtime (src/) and splice.mjs.
	SDKDir string
	// CacheDir is the root everything lives under.
	CacheDir string
	// Progress receives one line per slow step ("installing …").
	Progress io.Writer
}

// DefaultCacheDir is where the toolchain lives unless a caller says:
// bindery/js in the user cache directory.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory for the JavaScript toolchain: %w", err)
	}
	return filepath.Join(d, "bindery"), nil
}

// EnsureToolchain returns the toolchain under cacheDir (DefaultCacheDir
// when ""), installing the SDK's npm packages at their pinned versions on
// first use. progress (nil: discarded) gets a line for each slow step.
func EnsureToolchain(ctx context.Context, cacheDir string, progress io.Writer) (*Toolchain, error) {
	if progress == nil {
		progress = io.Discard
	}
	if cacheDir == "" {
		var err error
		if cacheDir, err = DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	tc := &Toolchain{CacheDir: cacheDir, Progress: progress}
	pkg, err := fs.ReadFile(jssdk.Files, "package.json")
	if err != nil {
		return nil, err
	}
	lock, err := fs.ReadFile(jssdk.Files, "package-lock.json")
	if err != nil {
		return nil, err
	}
	tc.NPMDir = filepath.Join(cacheDir, "js", "npm-"+digest(pkg, lock))
	tc.SDKDir = filepath.Join(cacheDir, "js", "sdk-"+digestFS(jssdk.Files))
	if err := materialise(tc.SDKDir, func(dir string) error { return writeFS(dir, jssdk.Files) }); err != nil {
		return nil, fmt.Errorf("JavaScript SDK files: %w", err)
	}
	if _, err := os.Stat(filepath.Join(tc.NPMDir, "node_modules", "@bytecodealliance", "componentize-js", "package.json")); err == nil {
		return tc, nil
	}
	if err := tc.findNode(ctx); err != nil {
		return nil, err
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return nil, errors.New("JavaScript Workers need npm, once, to install their toolchain: npm was not found on PATH (it comes with Node.js)")
	}
	fmt.Fprintf(progress, "bindery: installing the JavaScript toolchain (componentize-js and its engine, pinned by guest-sdk/js/package-lock.json) into %s; this happens once\n", tc.NPMDir)
	start := time.Now()
	err = materialise(tc.NPMDir, func(dir string) error {
		if err := os.WriteFile(filepath.Join(dir, "package.json"), pkg, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), lock, 0o644); err != nil {
			return err
		}
		// npm install, not npm ci: npm 11 refuses this lock in ci for the
		// optional packages of other platforms; install still follows it.
		cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--omit=dev")
		cmd.Dir = dir
		out := &lineWriter{w: progress, prefix: "npm: "}
		cmd.Stdout, cmd.Stderr = out, out
		err := cmd.Run()
		out.Flush()
		if err != nil {
			return fmt.Errorf("npm install: %w (the lines above say why)", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("install the JavaScript toolchain: %w", err)
	}
	fmt.Fprintf(progress, "bindery: JavaScript toolchain installed in %s\n", time.Since(start).Round(time.Second))
	return tc, nil
}

// findNode finds node and checks its version.
func (tc *Toolchain) findNode(ctx context.Context) error {
	if tc.Node != "" {
		return nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("JavaScript Workers need Node.js %d or newer, once, to make their engine: node was not found on PATH", MinNode)
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return fmt.Errorf("%s --version: %w", node, err)
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	major, _, _ := strings.Cut(v, ".")
	if n, err := strconv.Atoi(major); err != nil || n < MinNode {
		return fmt.Errorf("JavaScript Workers need Node.js %d or newer to make their engine; %s is %s", MinNode, node, strings.TrimSpace(string(out)))
	}
	tc.Node = node
	return nil
}

// Engine is StarlingMonkey spliced for Bindery's WIT world (World): the module
// every JavaScript Worker runs, the glue it evaluates before the Worker's
// script, and the descriptors of the spliced functions.
type Engine struct {
	// Wasm is the engine's core module.
	Wasm []byte
	// Initializer is the glue the engine evaluates first.
	Initializer []byte
	meta        engineMeta
}

// engineMeta is splice.mjs's meta.json.
type engineMeta struct {
	Features       []string `json:"features"`
	ComponentizeJS string   `json:"componentizeJS"`
	Exports        [][2]json.RawMessage
	Imports        [][]json.RawMessage
}

// Engine returns the engine, making it on first use (node splice.mjs,
// a few seconds) and keeping it in the cache.
func (tc *Toolchain) Engine(ctx context.Context) (*Engine, error) {
	h := sha256.New()
	for _, name := range []string{"package-lock.json", "splice.mjs"} {
		b, err := fs.ReadFile(jssdk.Files, name)
		if err != nil {
			return nil, err
		}
		h.Write(b)
	}
	h.Write([]byte(digestFS(wit.FS())))
	h.Write([]byte(strings.Join(features, ",")))
	h.Write([]byte(World))
	dir := filepath.Join(tc.CacheDir, "js", "engine-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, "meta.json")); err != nil {
		if err := tc.findNode(ctx); err != nil {
			return nil, err
		}
		fmt.Fprintf(tc.Progress, "bindery: making the JavaScript engine for this toolchain and WIT world in %s; this happens once\n", dir)
		err := materialise(dir, func(out string) error {
			witDir, err := os.MkdirTemp("", "bindery-wit-*")
			if err != nil {
				return err
			}
			defer os.RemoveAll(witDir)
			if err := writeFS(witDir, wit.FS()); err != nil {
				return err
			}
			cmd := exec.CommandContext(ctx, tc.Node, filepath.Join(tc.SDKDir, "splice.mjs"), "--wit", witDir, "--out", out, "--world", World, "--features", strings.Join(features, ","))
			cmd.Dir = tc.NPMDir
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = io.Discard, &stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("splice the engine: %w\n%s", err, stderr.String())
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("make the JavaScript engine: %w", err)
		}
	}
	e := &Engine{}
	var err error
	if e.Wasm, err = os.ReadFile(filepath.Join(dir, "engine.wasm")); err != nil {
		return nil, err
	}
	if e.Initializer, err = os.ReadFile(filepath.Join(dir, "initializer.js")); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &e.meta); err != nil {
		return nil, fmt.Errorf("%s: %w (delete the directory to make it again)", filepath.Join(dir, "meta.json"), err)
	}
	return e, nil
}

// Init is the pre-initialisation that evaluates a bundle in the engine
// (what componentize-js runs under Wizer at build time, run by the host
// when the Worker starts): the engine reads the glue and the bundle from
// "/", and componentize.wizer evaluates them.
func (e *Engine) Init(b *Bundle) *host.InitConfig {
	env := map[string]string{
		"DEBUG":          "",
		"SOURCE_NAME":    BundleName,
		"EXPORT_CNT":     strconv.Itoa(len(e.meta.Exports)),
		"IMPORT_CNT":     strconv.Itoa(len(e.meta.Imports)),
		"FEATURE_CLOCKS": "1",
	}
	for i, ex := range e.meta.Exports {
		var name string
		var d struct {
			Params   []string `json:"params"`
			Ret      string   `json:"ret"`
			Retptr   bool     `json:"retptr"`
			Retsize  int      `json:"retsize"`
			Paramptr bool     `json:"paramptr"`
		}
		json.Unmarshal(ex[0], &name)
		json.Unmarshal(ex[1], &d)
		args, ret := strings.Join(d.Params, ","), d.Ret
		if d.Paramptr {
			args = "*" + args
		}
		if d.Retptr {
			ret = "*" + ret
		}
		k := "EXPORT" + strconv.Itoa(i) + "_"
		env[k+"NAME"], env[k+"ARGS"], env[k+"RET"], env[k+"RETSIZE"] = name, args, ret, strconv.Itoa(d.Retsize)
	}
	for i, im := range e.meta.Imports {
		var name string
		var argc int
		if len(im) == 3 {
			json.Unmarshal(im[1], &name)
			json.Unmarshal(im[2], &argc)
		}
		k := "IMPORT" + strconv.Itoa(i) + "_"
		env[k+"NAME"], env[k+"ARGCNT"] = name, strconv.Itoa(argc)
	}
	return &host.InitConfig{
		Func:         "componentize.wizer",
		Description:  "evaluate the Worker's script",
		Check:        "check_init",
		CheckMessage: "the engine could not set up the Worker's exports (a JavaScript toolchain that does not match this bindery?)",
		Env:          env,
		Stdin:        []byte("--initializer-script-path initializer.js --strip-path-prefix / " + BundleName),
		FS: fstest.MapFS{
			BundleName:       &fstest.MapFile{Data: b.Code, Mode: 0o444},
			"initializer.js": &fstest.MapFile{Data: e.Initializer, Mode: 0o444},
		},
	}
}

// Worker is a JavaScript Worker ready for host.WorkerConfig: the engine as
// its Wasm, the pre-initialisation that evaluates its bundle as its Init.
type Worker struct {
	Wasm   []byte
	Init   *host.InitConfig
	Bundle *Bundle
	// MapText maps the bundle's positions in what the Worker logs back to
	// its sources (host.WorkerConfig.MapText).
	MapText func(string) string
}

// Build bundles opts.Entry and pairs it with the toolchain's engine.
func (tc *Toolchain) Build(ctx context.Context, opts Options) (*Worker, error) {
	b, err := tc.Bundle(opts)
	if err != nil {
		return nil, err
	}
	e, err := tc.Engine(ctx)
	if err != nil {
		return nil, err
	}
	return &Worker{Wasm: e.Wasm, Init: e.Init(b), Bundle: b, MapText: b.Mapper()}, nil
}

// Bundle bundles opts.Entry with the toolchain's runtime. A Worker whose
// sources name Intl or a toLocale…String method gets the SDK's Intl
// (src/intl-full.js, which costs start-up time) too: it is bundled twice.
// The property escapes of its regular expression literals are expanded
// (expandRegexps).
func (tc *Toolchain) Bundle(opts Options) (*Bundle, error) {
	runtimeJS := filepath.Join(tc.SDKDir, "src", "runtime.js")
	nodePaths := []string{filepath.Join(tc.NPMDir, "node_modules")}
	b, err := bundle(opts, runtimeJS, nil, nodePaths)
	if err != nil {
		return nil, err
	}
	if usesIntl(b.Inputs, []string{filepath.Join(tc.SDKDir, "src"), nodePaths[0]}) {
		if b, err = bundle(opts, runtimeJS, []string{filepath.Join(tc.SDKDir, "src", "intl-full.js")}, nodePaths); err != nil {
			return nil, err
		}
	}
	if err := expandRegexps(b); err != nil {
		return nil, err
	}
	// The runtime's files are shown as "bindery/…", not as paths into the
	// user cache.
	project := opts.ProjectDir
	if project == "" {
		project = filepath.Dir(opts.Entry)
	}
	b.SourceMap = renameSources(b.SourceMap, func(src string) string {
		abs := src
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(project, filepath.FromSlash(src))
		}
		for _, dir := range []string{filepath.Join(tc.SDKDir, "src"), filepath.Join(tc.NPMDir, "node_modules")} {
			if rel, err := filepath.Rel(dir, abs); err == nil && !strings.HasPrefix(rel, "..") {
				return "bindery/" + filepath.ToSlash(rel)
			}
		}
		return src
	})
	return b, nil
}

// intlNames are the names whose mention in a Worker's sources brings in
// the SDK's Intl.
var intlNames = regexp.MustCompile(`\b(?:Intl|toLocaleString|toLocaleDateString|toLocaleTimeString)\b`)

// usesIntl says whether any of the bundle's inputs (but the SDK's own,
// under skip) names Intl or a toLocale…String method.
func usesIntl(inputs, skip []string) bool {
	for _, in := range inputs {
		own := false
		for _, dir := range skip {
			if rel, err := filepath.Rel(dir, in); err == nil && !strings.HasPrefix(rel, "..") {
				own = true
			}
		}
		if own {
			continue
		}
		if b, err := os.ReadFile(in); err == nil && intlNames.Match(b) {
			return true
		}
	}
	return false
}

// renameSources rewrites the "sources" of a source map with rename.
func renameSources(sm []byte, rename func(string) string) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(sm, &m); err != nil {
		return sm
	}
	var sources []string
	if err := json.Unmarshal(m["sources"], &sources); err != nil {
		return sm
	}
	for i, s := range sources {
		sources[i] = rename(s)
	}
	b, err := json.Marshal(sources)
	if err != nil {
		return sm
	}
	m["sources"] = b
	out, err := json.Marshal(m)
	if err != nil {
		return sm
	}
	return out
}

// materialise makes dir with fill, unless it exists: fill writes into a
// temporary sibling that is renamed into place, so a directory that exists
// is complete, and two processes filling it at once both end well.
func materialise(dir string, fill func(dir string) error) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".tmp-*")
	if err != nil {
		return err
	}
	if err := fill(tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if _, serr := os.Stat(dir); serr == nil {
			return nil // another process made it first
		}
		return err
	}
	return nil
}

// writeFS copies fsys into dir.
func writeFS(dir string, fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// digest is the first 16 hex digits of the SHA-256 of parts.
func digest(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// digestFS digests every file of fsys with its path.
func digestFS(fsys fs.FS) string {
	h := sha256.New()
	fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(fsys, p)
		fmt.Fprintf(h, "%s %d\n", p, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// lineWriter writes what a child process prints to w, a line at a time
// with a prefix.
type lineWriter struct {
	w      io.Writer
	prefix string
	buf    []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := strings.TrimSpace(string(l.buf[:i])); line != "" {
			fmt.Fprintf(l.w, "%s%s\n", l.prefix, line)
		}
		l.buf = l.buf[i+1:]
	}
}

// Flush writes a last line without a newline.
func (l *lineWriter) Flush() {
	if line := strings.TrimSpace(string(l.buf)); line != "" {
		fmt.Fprintf(l.w, "%s%s\n", l.prefix, line)
	}
	l.buf = nil
}
