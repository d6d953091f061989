package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// templates holds one folder per language. Every file ends in .tmpl (so
// that go.mod and main.go are neither a nested module nor part of this
// package) and is rendered with text/template and initData; a leading "_"
// in a name stands for "." (_gitignore.tmpl is written as .gitignore).
//
//go:embed all:templates
var templates embed.FS

// initLang is a language bindery init can scaffold.
type initLang struct {
	// name is the --lang value; template is the folder under templates/.
	name, template string
	// sdk is the SDK's folder in a bindery checkout, and marker a file that
	// must be in it; "" when bindery itself builds the language's main.
	sdk, marker string
	// copySDK copies the SDK's sources into the project (under
	// sdkCopyDir) instead of referring to the SDK where it lies.
	copySDK bool
	// cargoLock writes a Cargo.lock: the SDK's Worker lock plus the
	// Worker's crate.
	cargoLock bool
}

// sdkCopyDir is where a project gets its copy of the SDK when the language
// copies it.
const sdkCopyDir = "bindery-sdk"

// initLangs lists the languages, the default first.
var initLangs = []initLang{
	{name: "go", template: "go", sdk: "guest-sdk/go", marker: "go.mod"},
	{name: "c", template: "c", sdk: "guest-sdk/c", marker: "bindery.h", copySDK: true},
	{name: "rust", template: "rust", sdk: "guest-sdk/rust", marker: "Cargo.lock", cargoLock: true},
	{name: "zig", template: "zig", sdk: "guest-sdk/zig", marker: "bindery.zig"},
	{name: "assemblyscript", template: "assemblyscript", sdk: "guest-sdk/assemblyscript", marker: "asconfig.json"},
	{name: "js", template: "js"},         // bindery builds it itself: no SDK folder
	{name: "python", template: "python"}, // bindery builds it itself (internal/pybuild)
}

func langNames() []string {
	var ns []string
	for _, l := range initLangs {
		ns = append(ns, l.name)
	}
	return ns
}

const initUsage = `Usage: bindery init [--lang LANG] [--name NAME] [--sdk-path DIR] [--force] [DIR]

Scaffolds a Worker in DIR (default the current directory, created if
missing): wrangler.toml (with a [build] command, a KV namespace bound as
STORE and a GREETING var), a hello + KV counter source file, .gitignore and
a README with the next commands. Existing files are never overwritten
unless --force is given; other files in DIR are left as they are.

Languages (--lang): go (default), c, rust, zig, assemblyscript, js, python.

Where the SDK comes from:
  go    go.mod requires github.com/bindery-run/bindery/guest-sdk/go and
        replaces it with the SDK folder (the module is not published yet),
        so the project builds offline against the SDK of this checkout;
        moving or deleting that checkout breaks the build until go.mod is
        pointed elsewhere (rerun with --sdk-path, or edit the replace line).
  c     the SDK's sources and build.sh are copied into bindery-sdk/, so the
        project builds wherever clang for wasm32-wasi is installed; update
        the copy by hand when the SDK changes.
  rust  Cargo.toml depends on the SDK folder by path (its bindings are
        generated from that checkout's wit/), with go's trade-off;
        Cargo.lock is the SDK's Worker lock (worker.Cargo.lock) plus the
        Worker's crate, so the build's --locked holds.
  zig   the [build] command runs the SDK folder's build.sh (Zig 0.17,
        over the C bindings of that checkout's wit/), with go's trade-off.
  assemblyscript
        index.ts imports the SDK folder by a relative path and the
        [build] command runs its build.sh (which installs the SDK's
        pinned asc with npm ci on first use), with go's trade-off.
  js    nothing: main is src/index.js, which bindery bundles and runs
        itself, as wrangler does (it installs its JavaScript toolchain in
        the user cache on first use; that needs node, once).
  python
        nothing: main is src/entry.py (with the python_workers flag), which
        bindery builds itself (componentize-py 0.25.1, installed in the
        user cache on first use; that needs python3 and pip).

--sdk-path names a bindery checkout (or the language's guest-sdk folder).
By default it is the checkout this binary was built from, if it still
exists, else the module cache copy of this bindery release.
`

// initData is what the templates see.
type initData struct {
	// Name is the Worker's name and Wasm the file main names (Name.wasm).
	Name, Wasm string
	// Date is compatibility_date: today, in UTC.
	Date string
	// SDKDir is the SDK the project uses: a path relative to the project
	// when both are in one checkout, else absolute. For copied SDKs it is
	// the copy's folder (bindery-sdk) and SDKSource is where it came from.
	SDKDir, SDKSource string
	// SDKImport is the SDK folder relative to the project, as a module
	// path an import can name ("../../guest-sdk/assemblyscript").
	SDKImport string
	// GoVersion is the go line of the Go SDK's go.mod.
	GoVersion string
	// Version is bindery's version.
	Version string
}

// validName is a Worker name as wrangler accepts it.
var validName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// runInit implements "bindery init".
func runInit(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var langName, name, sdkPath string
	var force bool
	fs := flag.NewFlagSet("bindery init", flag.ContinueOnError)
	fs.StringVar(&langName, "lang", "go", "the Worker's language, `LANG`: "+strings.Join(langNames(), ", "))
	alias(fs, "l", "lang")
	fs.StringVar(&name, "name", "", "the Worker's `NAME` (default DIR's name, in lower case)")
	fs.StringVar(&sdkPath, "sdk-path", "", "take the SDK from the bindery checkout (or guest-sdk/LANG folder) `DIR`")
	fs.BoolVar(&force, "force", false, "overwrite existing files")
	pos, err := parse(fs, initUsage, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "bindery init: at most one DIR, got %q\n", pos)
		return errUsage
	}
	i := slices.IndexFunc(initLangs, func(l initLang) bool { return l.name == strings.ToLower(langName) })
	if i < 0 {
		fmt.Fprintf(stderr, "bindery init: unknown --lang %q: want one of %s\n", langName, strings.Join(langNames(), ", "))
		return errUsage
	}
	lang := initLangs[i]
	dir := "."
	if len(pos) == 1 {
		dir = pos[0]
		if strings.TrimSpace(dir) == "" {
			// filepath.Abs("") is the current directory: not what was meant.
			fmt.Fprintf(stderr, "bindery init: DIR is empty (%q): give a directory, or none for the current one\n", dir)
			return errUsage
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if err := checkInitDir(abs); err != nil {
		return err
	}
	if name == "" {
		name = workerName(filepath.Base(abs))
		if !validName.MatchString(name) {
			fmt.Fprintf(stderr, "bindery init: cannot make a Worker name from %q: give --name\n", filepath.Base(abs))
			return errUsage
		}
	} else if !validName.MatchString(name) {
		fmt.Fprintf(stderr, "bindery init: --name %q: want lower-case letters, digits and dashes (at most 63, not starting or ending with a dash)\n", name)
		return errUsage
	}

	if lang.cargoLock && name[0] >= '0' && name[0] <= '9' {
		fmt.Fprintf(stderr, "bindery init: %q cannot be a Rust crate name (it starts with a digit): give --name\n", name)
		return errUsage
	}
	var sdk string
	if lang.sdk != "" {
		if sdk, err = findSDK(sdkPath, lang); err != nil {
			return err
		}
	}
	data := initData{Name: name, Wasm: name + ".wasm", Date: time.Now().UTC().Format(time.DateOnly), Version: version, SDKSource: sdk}
	data.SDKDir = sdkRef(abs, sdk)
	data.SDKImport = importPath(abs, sdk)
	if lang.copySDK {
		data.SDKDir = sdkCopyDir
	}
	if lang.name == "go" {
		data.GoVersion = goDirective(filepath.Join(sdk, "go.mod"))
	}
	files, err := renderTemplates(lang.template, data)
	if err != nil {
		return err
	}
	if lang.cargoLock {
		lock, err := cargoLock(filepath.Join(sdk, workerLock), name)
		if err != nil {
			return err
		}
		files = append(files, outFile{name: "Cargo.lock", data: lock, mode: 0o644})
	}
	if lang.copySDK {
		copied, err := sdkFiles(sdk)
		if err != nil {
			return err
		}
		files = append(files, copied...)
	}

	// Refuse before writing anything, naming every file in the way.
	var clash []string
	sdkClash := 0
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(abs, f.name)); err == nil {
			if strings.HasPrefix(f.name, sdkCopyDir+"/") {
				sdkClash++
			} else {
				clash = append(clash, f.name)
			}
		}
	}
	if sdkClash > 0 {
		clash = append(clash, fmt.Sprintf("%s/ (%d files)", sdkCopyDir, sdkClash))
	}
	if len(clash) > 0 && !force {
		return fmt.Errorf("%s already has %s: not overwriting (use --force to overwrite)", abs, strings.Join(clash, ", "))
	}
	// Another wrangler config would be read instead of the new
	// wrangler.toml (wrangler.Find prefers .json and .jsonc), so even
	// --force does not write beside one.
	for _, other := range []string{"wrangler.json", "wrangler.jsonc"} {
		if _, err := os.Lstat(filepath.Join(abs, other)); err == nil {
			return fmt.Errorf("%s already has %s, which bindery and wrangler would read instead of the new wrangler.toml: move it away, or init another directory", abs, other)
		}
	}
	for _, f := range files {
		p := filepath.Join(abs, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("init: %w", err)
		}
		if err := os.WriteFile(p, f.data, f.mode); err != nil {
			return fmt.Errorf("init: %w", err)
		}
		if err := os.Chmod(p, f.mode); err != nil { // WriteFile keeps an existing file's mode
			return fmt.Errorf("init: %w", err)
		}
	}
	fmt.Fprintf(stdout, "Created a %s Worker %q in %s:\n", lang.name, name, displayPath(abs))
	for _, f := range files {
		if !strings.HasPrefix(f.name, sdkCopyDir+"/") {
			fmt.Fprintf(stdout, "  %s\n", f.name)
		}
	}
	if lang.copySDK {
		fmt.Fprintf(stdout, "  %s/ (the SDK, copied from %s)\n", sdkCopyDir, sdk)
	} else {
		fmt.Fprintf(stdout, "SDK: %s\n", sdk)
	}
	fmt.Fprintln(stdout, "\nNext:")
	if rel := displayPath(abs); rel != "." {
		fmt.Fprintf(stdout, "  cd %s\n", rel)
	}
	fmt.Fprintf(stdout, "  bindery build    # %s\n  bindery dev      # build, then serve on http://127.0.0.1:8787\n", buildCommand(files))
	return nil
}

// checkInitDir fails when dir, or the nearest of its parents that exists,
// is not a directory, naming it.
func checkInitDir(dir string) error {
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		switch {
		case err == nil && !fi.IsDir():
			return fmt.Errorf("init: %s is a file, not a directory: give a directory to scaffold the Worker in", displayPath(p))
		case err == nil:
			return nil
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return fmt.Errorf("init: %w", err)
		}
		if filepath.Dir(p) == p {
			return nil
		}
	}
}

// buildCommand is the [build] command of the rendered wrangler.toml.
func buildCommand(files []outFile) string {
	for _, f := range files {
		if f.name != "wrangler.toml" {
			continue
		}
		for _, l := range strings.Split(string(f.data), "\n") {
			if c, ok := strings.CutPrefix(l, "command = "); ok {
				if s, err := strconv.Unquote(c); err == nil {
					return s
				}
				return c
			}
		}
	}
	return "runs the [build] command"
}

// outFile is one file bindery init writes, relative to the project.
type outFile struct {
	name string
	data []byte
	mode fs.FileMode
}

// renderTemplates renders the templates of one language.
func renderTemplates(lang string, data initData) ([]outFile, error) {
	root := path.Join("templates", lang)
	var files []outFile
	err := fs.WalkDir(templates, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := templates.ReadFile(p)
		if err != nil {
			return err
		}
		t, err := template.New(p).Funcs(template.FuncMap{"gomodPath": gomodPath, "tomlq": tomlq, "shq": shq, "jsq": strconv.Quote}).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return fmt.Errorf("template %s: %w", p, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, data); err != nil {
			return fmt.Errorf("template %s: %w", p, err)
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(p, root+"/"), ".tmpl")
		if base := path.Base(rel); strings.HasPrefix(base, "_") {
			rel = path.Join(path.Dir(rel), "."+base[1:])
		}
		mode := fs.FileMode(0o644)
		if strings.HasSuffix(rel, ".sh") {
			mode = 0o755
		}
		files = append(files, outFile{name: rel, data: b.Bytes(), mode: mode})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	return files, nil
}

// sdkFiles reads the sources of a copied SDK (.c, .h, .sh files, also in
// sub-folders) as files under sdkCopyDir, keeping their modes.
func sdkFiles(sdk string) ([]outFile, error) {
	var files []outFile
	err := filepath.WalkDir(sdk, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(p) {
		case ".c", ".h", ".sh":
		default:
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(sdk, p)
		if err != nil {
			return err
		}
		files = append(files, outFile{name: path.Join(sdkCopyDir, filepath.ToSlash(rel)), data: b, mode: fi.Mode().Perm()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("copy SDK: %w", err)
	}
	return files, nil
}

// findSDK returns the absolute folder of lang's SDK: under sdkPath (a
// bindery checkout or the SDK folder itself) when given, else in the
// checkout this binary was built from, else in the module cache copy of
// this bindery release.
func findSDK(sdkPath string, lang initLang) (string, error) {
	has := func(dir string) bool {
		fi, err := os.Stat(filepath.Join(dir, lang.marker))
		return err == nil && !fi.IsDir()
	}
	if sdkPath != "" {
		abs, err := filepath.Abs(sdkPath)
		if err != nil {
			return "", fmt.Errorf("--sdk-path: %w", err)
		}
		for _, d := range []string{filepath.Join(abs, filepath.FromSlash(lang.sdk)), abs} {
			if has(d) {
				return d, nil
			}
		}
		return "", fmt.Errorf("--sdk-path %s: found no %s in it or in its %s", sdkPath, lang.marker, lang.sdk)
	}
	var tried []string
	for _, root := range checkoutCandidates() {
		d := filepath.Join(root, filepath.FromSlash(lang.sdk))
		if has(d) {
			return d, nil
		}
		tried = append(tried, d)
	}
	if len(tried) == 0 {
		return "", fmt.Errorf("cannot find the %s SDK: this bindery knows no checkout to take it from; pass --sdk-path with a bindery checkout", lang.name)
	}
	return "", fmt.Errorf("cannot find the %s SDK (no %s in %s): pass --sdk-path with a bindery checkout", lang.name, lang.marker, strings.Join(tried, ", "))
}

// checkoutCandidates returns the places a bindery checkout may be: the one
// this file was compiled from (unless built with -trimpath) and the module
// cache copy of this release.
func checkoutCandidates() []string {
	var out []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		out = append(out, filepath.Join(filepath.Dir(file), "..", ".."))
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		cache := os.Getenv("GOMODCACHE")
		if cache == "" {
			gopath := os.Getenv("GOPATH")
			if gopath == "" {
				if home, err := os.UserHomeDir(); err == nil {
					gopath = filepath.Join(home, "go")
				}
			}
			if gopath != "" {
				cache = filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
			}
		}
		if cache != "" {
			out = append(out, filepath.Join(cache, filepath.FromSlash(bi.Main.Path)+"@"+bi.Main.Version))
		}
	}
	for i, p := range out {
		out[i] = filepath.Clean(p)
	}
	return out
}

// sdkRef is how a project in dir refers to the SDK folder sdk: relative
// when both lie in one bindery checkout (so the checkout can move), else
// absolute.
func sdkRef(dir, sdk string) string {
	root := filepath.Dir(filepath.Dir(sdk)) // the checkout holding guest-sdk/LANG
	if filepath.Base(filepath.Dir(sdk)) == "guest-sdk" {
		if rel, err := filepath.Rel(root, dir); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			if r, err := filepath.Rel(dir, sdk); err == nil {
				return filepath.ToSlash(r)
			}
		}
	}
	return sdk
}

// importPath is sdk relative to dir, with forward slashes and a leading
// "./" or "../", as an import statement names a file module; sdk as it is
// when there is no relative path (another volume).
func importPath(dir, sdk string) string {
	r, err := filepath.Rel(dir, sdk)
	if err != nil {
		return filepath.ToSlash(sdk)
	}
	r = filepath.ToSlash(r)
	if r != ".." && !strings.HasPrefix(r, "../") {
		r = "./" + r
	}
	return r
}

// goDirective returns the go line of a go.mod ("1.26" when unreadable).
func goDirective(gomod string) string {
	b, err := os.ReadFile(gomod)
	if err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "go "); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "1.26"
}

// gomodPath writes a path as go.mod needs it: quoted when it has spaces
// or other characters go.mod does not take bare. A relative path gets a
// leading "./", which go.mod needs to tell it from a module path.
func gomodPath(p string) string {
	if !filepath.IsAbs(p) && !strings.HasPrefix(p, "./") && !strings.HasPrefix(p, "../") {
		p = "./" + p
	}
	if strings.ContainsAny(p, " \t\"'`\\()[]{},") {
		return strconv.Quote(p)
	}
	return p
}

// tomlq writes s as a TOML basic string.
func tomlq(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// shq quotes s for sh when it has characters sh would interpret.
func shq(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./+:@%,=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// workerLock is the Rust SDK's lock of a Worker that depends on bindery
// alone, without the Worker's own entry. It is not the SDK's Cargo.lock:
// that one also resolves the SDK's dev-dependencies (its unit tests),
// which a Worker's build does not, so --locked would refuse it.
// TestWorkerCargoLock keeps it equal to examples/hello-rust's.
const workerLock = "worker.Cargo.lock"

// cargoLock returns the SDK's Worker lock (workerLock) with a package
// entry for the Worker's crate (which depends on bindery alone) inserted
// where Cargo sorts it, so that a build with --locked accepts it as it is.
func cargoLock(sdkLock, crate string) ([]byte, error) {
	b, err := os.ReadFile(sdkLock)
	if err != nil {
		return nil, fmt.Errorf("rust SDK: %w", err)
	}
	const sep = "\n[[package]]\n"
	parts := strings.Split(string(b), sep)
	entry := fmt.Sprintf("name = %q\nversion = \"0.1.0\"\ndependencies = [\n \"bindery\",\n]\n", crate)
	at := len(parts)
	for i, p := range parts[1:] {
		n, _, _ := strings.Cut(strings.TrimPrefix(p, "name = \""), "\"")
		if n == crate {
			return nil, fmt.Errorf("rust SDK: %s already has a package %q: choose another --name", sdkLock, crate)
		}
		if n > crate {
			at = i + 1
			break
		}
	}
	if len(parts) < 2 || !strings.HasPrefix(parts[1], "name = \"") {
		return nil, fmt.Errorf("rust SDK: %s is not a Cargo.lock with [[package]] entries", sdkLock)
	}
	parts = slices.Insert(parts, at, entry)
	return []byte(strings.Join(parts, sep)), nil
}

// workerName makes a Worker name from a folder name: lower case, with runs
// of other characters turned into single dashes.
func workerName(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	n := strings.TrimRight(b.String(), "-")
	if len(n) > 63 {
		n = strings.TrimRight(n[:63], "-")
	}
	return n
}
