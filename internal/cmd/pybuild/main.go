// Command pybuild builds a Python Worker with internal/pybuild, for
// guest-sdk/python/build.sh and install-toolchain.sh, which run it with
// "go run":
//
//	pybuild [flags] worker.py -o worker.wasm   build (installs componentize-py on first use)
//	pybuild --probe                            exit 0 when a build needs no install, else 3 and why
//	pybuild --install                          install componentize-py (nothing when it is there)
//
// Flags: --cache-dir DIR (the SDK and build cache, default
// ~/.cache/bindery), --toolchain-dir DIR (componentize-py, default
// $BINDERY_COMPONENTIZE_PY or ~/.cache/bindery/componentize-py), --python
// PY, --python-path DIR (repeatable), --no-install. Progress lines go to
// stderr. Exit status: 0, 1 for a failed build, 2 for bad usage, 3 when
// a tool is missing (no python3, no pip, or --no-install / --probe and no
// componentize-py), so that callers can skip instead of failing.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/bindery-run/bindery/internal/pybuild"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// pathList is a repeatable flag.
type pathList []string

func (p *pathList) String() string     { return fmt.Sprint(*p) }
func (p *pathList) Set(v string) error { *p = append(*p, v); return nil }

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		opts           pybuild.Options
		out            string
		probe, install bool
		paths          pathList
	)
	fs := flag.NewFlagSet("pybuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&out, "o", "", "write the component to `FILE`")
	fs.StringVar(&opts.CacheDir, "cache-dir", "", "the SDK and build cache `DIR` (default ~/.cache/bindery)")
	fs.StringVar(&opts.ToolchainDir, "toolchain-dir", os.Getenv(pybuild.ToolchainEnv), "componentize-py's `DIR` (default $"+pybuild.ToolchainEnv+" or ~/.cache/bindery/componentize-py)")
	fs.StringVar(&opts.Python, "python", "", "the Python interpreter `PY` (default python3 on PATH)")
	fs.Var(&paths, "python-path", "another `DIR` the Worker imports from (repeatable)")
	fs.BoolVar(&opts.NoInstall, "no-install", false, "fail (exit 3) instead of installing componentize-py")
	fs.BoolVar(&probe, "probe", false, "exit 0 when a build needs no install, else 3 and say why")
	fs.BoolVar(&install, "install", false, "install componentize-py "+pybuild.Version+" (from PyPI, pinned by hash) unless it is there")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts.PythonPath = paths
	opts.Progress = stderr
	switch {
	case probe:
		if err := pybuild.Probe(ctx, opts); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintln(stdout, "componentize-py", pybuild.Version)
		return 0
	case install:
		if err := pybuild.Install(ctx, opts); err != nil {
			return fail(stderr, err)
		}
		return 0
	}
	if fs.NArg() != 1 || out == "" {
		fmt.Fprintln(stderr, "usage: pybuild [flags] worker.py -o worker.wasm | --probe | --install")
		return 2
	}
	wasm, err := pybuild.Build(ctx, fs.Arg(0), opts)
	if err != nil {
		return fail(stderr, err)
	}
	if err := copyFile(wasm, out); err != nil {
		return fail(stderr, err)
	}
	return 0
}

// fail prints err and returns the exit status for it: 3 for a missing
// tool, else 1.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, err)
	if errors.Is(err, pybuild.ErrNoPython) || errors.Is(err, pybuild.ErrNoPip) || errors.Is(err, pybuild.ErrToolchainMissing) {
		return 3
	}
	return 1
}

// copyFile copies src to dst through a temporary file beside dst.
func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("pybuild: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("pybuild: %w", err)
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("pybuild: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("pybuild: %w", err)
	}
	return nil
}
