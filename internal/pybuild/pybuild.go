package pybuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	pysdk "github.com/bindery-run/bindery/guest-sdk/python"
	"github.com/bindery-run/bindery/wit"
)

// Options configures Build, Install and Probe. The zero value builds with
// python3 from PATH, installs componentize-py on first use, and caches
// everything under the user's cache directory.
type Options struct {
	// CacheDir holds the SDK as written out (python-sdk/) and the built
	// Workers (py-build/). Default: <user cache dir>/bindery (on Linux
	// ~/.cache/bindery).
	CacheDir string
	// ToolchainDir is where componentize-py is installed (pip --target).
	// Default: <user cache dir>/bindery/componentize-py, where
	// guest-sdk/python/install-toolchain.sh puts it. The scripts and the
	// tests take it from $BINDERY_COMPONENTIZE_PY ([ToolchainEnv]).
	ToolchainDir string
	// Python is the interpreter (a path or a name on PATH) that installs
	// and runs componentize-py. Default: python3, else python, on PATH.
	Python string
	// PythonPath lists more directories the Worker imports modules from,
	// after the entry's own directory (e.g. a project's python_modules).
	PythonPath []string
	// NoInstall makes a missing componentize-py an error
	// (ErrToolchainMissing) instead of installing it.
	NoInstall bool
	// Progress receives a line for each slow step (installing, building)
	// and for a cached build. Nil discards them.
	Progress io.Writer
}

// withDefaults fills in the defaults and makes the paths absolute.
func (o Options) withDefaults() (Options, error) {
	if o.CacheDir == "" || o.ToolchainDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return o, fmt.Errorf("pybuild: no cache directory (set Options.CacheDir and ToolchainDir): %w", err)
		}
		if o.CacheDir == "" {
			o.CacheDir = filepath.Join(base, "bindery")
		}
		if o.ToolchainDir == "" {
			o.ToolchainDir = filepath.Join(base, "bindery", "componentize-py")
		}
	}
	var err error
	if o.CacheDir, err = filepath.Abs(o.CacheDir); err != nil {
		return o, fmt.Errorf("pybuild: cache dir: %w", err)
	}
	if o.ToolchainDir, err = filepath.Abs(o.ToolchainDir); err != nil {
		return o, fmt.Errorf("pybuild: toolchain dir: %w", err)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o, nil
}

// moduleName is a Python module name the entry file can have.
var moduleName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// reserved are the modules a build puts on the Python path itself: an
// entry by one of these names would shadow it.
var reserved = []string{"bindery", "bindery_entry", "workers", "js", "pyodide", "wit_world", "componentize_py_types",
	"componentize_py_runtime", "componentize_py_async_support", "poll_loop"}

// Build builds the Python Worker whose entry module is the file entry
// (e.g. "src/entry.py"; modules beside it can be imported) and returns
// the path of the component, in opts.CacheDir. The entry defines class
// Default(WorkerEntrypoint) with fetch(self, request), or on_fetch or
// fetch(request, env): see docs/sdk-python.md. A build whose inputs did
// not change returns the earlier output at once.
func Build(ctx context.Context, entry string, opts Options) (string, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return "", err
	}
	src, mod, err := checkEntry(entry)
	if err != nil {
		return "", err
	}
	tc, err := ensureToolchain(ctx, o)
	if err != nil {
		return "", err
	}
	sdkDir, sdkSum, err := writeSDK(o.CacheDir)
	if err != nil {
		return "", err
	}
	paths := []string{filepath.Dir(src)}
	for _, p := range o.PythonPath {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("pybuild: python path %s: %w", p, err)
		}
		if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
			return "", fmt.Errorf("pybuild: python path %s is not a directory", p)
		}
		paths = append(paths, abs)
	}
	key, err := inputsKey(mod, sdkSum, paths)
	if err != nil {
		return "", err
	}
	outDir := filepath.Join(o.CacheDir, "py-build")
	out := filepath.Join(outDir, mod+"-"+key+".wasm")
	if _, err := os.Stat(out); err == nil {
		fmt.Fprintf(o.Progress, "python: %s is unchanged since it was built (cached: %s)\n", entry, out)
		return out, nil
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", fmt.Errorf("pybuild: %w", err)
	}
	work, err := os.MkdirTemp(outDir, "work-")
	if err != nil {
		return "", fmt.Errorf("pybuild: %w", err)
	}
	defer os.RemoveAll(work)
	fmt.Fprintf(o.Progress, "python: building %s with componentize-py %s (~20 s)\n", entry, Version)
	start := time.Now()
	if err := componentize(ctx, tc, entry, mod, work, sdkDir, paths); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(work, "out.wasm"), out); err != nil {
		return "", fmt.Errorf("pybuild: %w", err)
	}
	fmt.Fprintf(o.Progress, "python: built %s in %s\n", entry, time.Since(start).Round(100*time.Millisecond))
	return out, nil
}

// checkEntry returns the entry's absolute path and module name, or an
// error saying why it cannot be a Worker's entry.
func checkEntry(entry string) (string, string, error) {
	src, err := filepath.Abs(entry)
	if err != nil {
		return "", "", fmt.Errorf("pybuild: entry %s: %w", entry, err)
	}
	fi, err := os.Stat(src)
	if err != nil {
		return "", "", fmt.Errorf("pybuild: entry: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", "", fmt.Errorf("pybuild: entry %s is not a file", entry)
	}
	mod, ok := strings.CutSuffix(filepath.Base(src), ".py")
	if !ok {
		return "", "", fmt.Errorf("pybuild: entry %s is not a .py file", entry)
	}
	if !moduleName.MatchString(mod) {
		return "", "", fmt.Errorf("pybuild: entry %s: %q is not a Python module name (letters, digits and _, not starting with a digit)", entry, mod)
	}
	if slices.Contains(reserved, mod) {
		return "", "", fmt.Errorf("pybuild: entry %s: a Worker's module cannot be named %q (the build uses that name; rename the file)", entry, mod)
	}
	return src, mod, nil
}

// writeSDK writes the embedded SDK (python/) and WIT (wit/) to
// cacheDir/python-sdk/<hash> once, and returns that directory and the
// hash of its contents.
func writeSDK(cacheDir string) (string, string, error) {
	h := sha256.New()
	trees := []struct {
		dir   string
		files fs.FS
	}{{"python", pysdk.FS()}, {"wit", wit.FS()}}
	for _, t := range trees {
		if err := hashFS(h, t.dir, t.files); err != nil {
			return "", "", fmt.Errorf("pybuild: the embedded SDK: %w", err)
		}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	dir := filepath.Join(cacheDir, "python-sdk", sum[:16])
	if _, err := os.Stat(dir); err == nil {
		return dir, sum, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", "", fmt.Errorf("pybuild: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), sum[:16]+".tmp-")
	if err != nil {
		return "", "", fmt.Errorf("pybuild: %w", err)
	}
	defer os.RemoveAll(tmp)
	for _, t := range trees {
		if err := os.CopyFS(filepath.Join(tmp, t.dir), t.files); err != nil {
			return "", "", fmt.Errorf("pybuild: write the SDK: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp made it 0700
		return "", "", fmt.Errorf("pybuild: write the SDK: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(dir); serr == nil {
			return dir, sum, nil // another build wrote the same SDK first
		}
		return "", "", fmt.Errorf("pybuild: write the SDK: %w", err)
	}
	return dir, sum, nil
}

// hashFS adds every file of files (path and contents, in lexical order)
// to h, under the name prefix.
func hashFS(h io.Writer, prefix string, files fs.FS) error {
	return fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s/%s %d\n", prefix, p, len(b))
		h.Write(b)
		return nil
	})
}

// skipDir reports whether the walk of a Worker's directory leaves out the
// directory dir (named name): dot-directories (.git, .bindery, .venv),
// __pycache__, node_modules, and virtualenvs (they hold a pyvenv.cfg).
func skipDir(dir, name string) bool {
	if strings.HasPrefix(name, ".") || name == "__pycache__" || name == "node_modules" {
		return true
	}
	_, err := os.Stat(filepath.Join(dir, "pyvenv.cfg"))
	return err == nil
}

// inputsKey hashes what the output depends on: the componentize-py
// version, the entry module's name, the SDK and WIT (sdkSum), and every
// file under paths but those skipDir leaves out, *.pyc and *.wasm.
func inputsKey(mod, sdkSum string, paths []string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "pybuild 2\nworld %s\ncomponentize-py %s\nmodule %s\nsdk %s\n", World, Version, mod, sdkSum)
	for i, root := range paths {
		fmt.Fprintf(h, "path %d\n", i)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != root && skipDir(p, d.Name()) {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || strings.HasSuffix(p, ".pyc") || strings.HasSuffix(p, ".wasm") {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(b))
			h.Write(b)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("pybuild: hash the Worker's files: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

// entryModule is the component's entry module: it imports the Worker and
// exports the SDK's handlers for it (fetch, queue, scheduled) and its
// Durable Object classes' events. componentize-py finds each export's
// class by its interface's name, qualified by the package when two
// interfaces share one (bindery:http/handler, bindery:scheduled/handler).
const entryModule = `# Generated by internal/pybuild: the component's entry module.
import %s as _worker
from bindery import Env as _Env, serve as _serve, serve_objects as _serve_objects
from bindery import serve_queue as _serve_queue, serve_scheduled as _serve_scheduled

_env = _Env()
BinderyHttpHandler = _serve(_worker, _env)
Consumer = _serve_queue(_worker, _env)
BinderyScheduledHandler = _serve_scheduled(_worker, _env)
Object = _serve_objects(_worker, _env)
`

// World is the WIT world every Python Worker is built for: componentize-py
// builds the interpreter once for a whole world, so every Worker imports
// bindery:durable/client and /state (the host serves them to every
// Worker, denying what is not granted) and exports the object events (a
// Worker without classes describes none).
const World = "worker-with-objects"

// maxOutput bounds the componentize-py output a BuildError carries.
const maxOutput = 16 << 10

// componentize runs componentize-py in work: the entry module, then the
// Worker's paths, then the SDK, on the Python path; the component is
// work/out.wasm.
func componentize(ctx context.Context, tc toolchain, entry, mod, work, sdkDir string, paths []string) error {
	if err := os.WriteFile(filepath.Join(work, "bindery_entry.py"), fmt.Appendf(nil, entryModule, mod), 0o644); err != nil {
		return fmt.Errorf("pybuild: %w", err)
	}
	// componentize-py names the directories of its Python path /0, /1, ...
	// in tracebacks; dirs maps them back.
	dirs := append([]string{work}, paths...)
	dirs = append(dirs, filepath.Join(sdkDir, "python"))
	args := []string{"-d", filepath.Join(sdkDir, "wit"), "-w", World, "componentize", "bindery_entry"}
	for _, d := range dirs {
		args = append(args, "-p", d)
	}
	args = append(args, "-o", filepath.Join(work, "out.wasm"))
	cmd := tc.command(ctx, args...)
	cmd.Dir = work
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("pybuild: build %s: %w", entry, ctx.Err())
		}
		return &BuildError{Entry: entry, Output: cleanOutput(out.String(), dirs), Err: err}
	}
	if _, err := os.Stat(filepath.Join(work, "out.wasm")); err != nil {
		return &BuildError{Entry: entry, Output: cleanOutput(out.String(), dirs), Err: errors.New("no component written")}
	}
	return nil
}

// cleanOutput reduces componentize-py's output to what helps: the
// Worker's traceback when an import failed (componentize-py wraps it in an
// AssertionError of its own, then repeats its last line), with the paths
// /0, /1, ... of its Python path replaced by the directories on disk, at
// most maxOutput bytes.
func cleanOutput(out string, dirs []string) string {
	if i := strings.Index(out, "\nStack backtrace:"); i >= 0 {
		out = out[:i]
	}
	const wrapped = "AssertionError: Traceback (most recent call last):"
	if i := strings.Index(out, wrapped); i >= 0 {
		out = out[i+len("AssertionError: "):]
		if j := strings.Index(out, "\n\nCaused by:"); j >= 0 {
			out = out[:j]
		}
	}
	for i, d := range dirs {
		out = strings.ReplaceAll(out, fmt.Sprintf(`File "/%d/`, i), `File "`+d+string(filepath.Separator))
	}
	out = strings.TrimSpace(out)
	if len(out) > maxOutput {
		out = out[:maxOutput/2] + "\n...\n" + out[len(out)-maxOutput/2:]
	}
	return out
}
