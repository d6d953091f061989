package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/bindery-run/bindery/internal/wrangler"
)

const buildUsage = `Usage: bindery build [--config FILE] [--env NAME]

Builds the Worker as "bindery dev" would, without serving it: runs the
[build] command of the Worker's wrangler config, if any (with sh -c, in
[build] cwd, default the config's directory); then, when main is a .wasm
file, checks it and prints its path and size, and when main is JavaScript
or TypeScript, bundles it with its npm dependencies (as wrangler does) into
.bindery/build/worker.js with a source map. "bindery dev" runs the [build]
command before serving unless --no-build is given.
`

// runBuild implements "bindery build".
func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var config, env string
	fs := flag.NewFlagSet("bindery build", flag.ContinueOnError)
	fs.StringVar(&config, "config", "", "the wrangler.toml or wrangler.json(c) `FILE` to use (default: the one in the current directory)")
	alias(fs, "c", "config")
	fs.StringVar(&env, "env", "", "use the [env.`NAME`] section of the config")
	alias(fs, "e", "env")
	pos, err := parse(fs, buildUsage, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "bindery build: unexpected arguments %q (the config names what to build)\n\n%s", pos, buildUsage)
		return errUsage
	}
	cfg, err := loadConfig(config, env, false)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if cfg.Main == "" {
		return fmt.Errorf("%s has no main: set it to the Worker's source (src/index.ts, …) or to the .wasm file the [build] command writes", cfg.Path)
	}
	if cfg.Build.Command == "" && strings.HasSuffix(cfg.Main, ".wasm") {
		return fmt.Errorf("%s has no [build] command: add a [build] section whose command writes main (%s); \"bindery init --lang LANG\" shows one for each language", cfg.Path, displayPath(cfg.Main))
	}
	start := time.Now()
	if cfg.Build.Command != "" {
		before, _ := os.Stat(cfg.Main)
		if err := build(ctx, cfg, stderr); err != nil {
			return err
		}
		if strings.HasSuffix(cfg.Main, ".wasm") {
			took := time.Since(start)
			size, err := checkWasm(cfg.Main)
			if err != nil {
				return fmt.Errorf("after [build] command %q: %w", cfg.Build.Command, err)
			}
			if after, _ := os.Stat(cfg.Main); before != nil && after != nil && after.ModTime().Equal(before.ModTime()) && after.Size() == before.Size() {
				fmt.Fprintf(stderr, "warning: the [build] command did not change %s (does it write main?)\n", displayPath(cfg.Main))
			}
			fmt.Fprintf(stdout, "built %s (%s) in %s\n", displayPath(cfg.Main), formatSize(size), took.Round(10*time.Millisecond))
			return nil
		}
	}
	// A source main: bindery builds it, as bindery dev would.
	w, err := loadMain(ctx, cfg, cfg.Main, stderr, false)
	if err != nil {
		return err
	}
	if w.bundle == nil {
		fmt.Fprintf(stdout, "built %s in %s\n", displayPath(cfg.Main), time.Since(start).Round(10*time.Millisecond))
		return nil
	}
	path, err := writeBundle(cfg, w.bundle)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bundled %s into %s (%s, %d files) in %s\n", displayPath(cfg.Main), displayPath(path),
		formatSize(int64(len(w.bundle.Code))), len(w.bundle.Inputs), time.Since(start).Round(10*time.Millisecond))
	return nil
}

// build runs cfg's [build] command with sh -c in [build] cwd (default the
// config's directory), sending the command's output to out. It prints the
// command before running it. A failure names the command, the directory
// and the exit code.
func build(ctx context.Context, cfg *wrangler.Config, out io.Writer) error {
	dir := configDir(cfg)
	if cfg.Build.Cwd != "" {
		dir = cfg.Build.Cwd
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(configDir(cfg), dir)
		}
	}
	fmt.Fprintf(out, "build: %s\n", cfg.Build.Command)
	cmd := exec.CommandContext(ctx, "sh", "-c", cfg.Build.Command)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, out, out
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() > 0 {
			return fmt.Errorf("%s: [build] command %q (in %s) failed with exit code %d: %w", cfg.Path, cfg.Build.Command, dir, exit.ExitCode(), err)
		}
		return fmt.Errorf("%s: [build] command %q (in %s) failed: %w", cfg.Path, cfg.Build.Command, dir, err)
	}
	return nil
}

// wasmMagic is the preamble of a WebAssembly core module: "\0asm" and
// binary format version 1.
var wasmMagic = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// componentMagic is the preamble of a WebAssembly component: "\0asm",
// version 0xd, layer 1 (a Python Worker: docs/components.md).
var componentMagic = []byte{0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00}

// checkWasm reports the size of the WebAssembly core module or component
// at path, or an error naming the file when it is missing or is neither.
func checkWasm(path string) (int64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("main %s does not exist: the command must write it", displayPath(path))
	}
	if err != nil {
		return 0, fmt.Errorf("main: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("main: %w", err)
	}
	if fi.IsDir() {
		return 0, fmt.Errorf("main %s is a directory, not a .wasm file", displayPath(path))
	}
	head := make([]byte, len(wasmMagic))
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.Equal(head, wasmMagic), bytes.Equal(head, componentMagic):
		return fi.Size(), nil
	case n == len(wasmMagic) && bytes.Equal(head[:4], wasmMagic[:4]):
		return 0, fmt.Errorf("main %s is WebAssembly but neither a core module of version 1 nor a component (version/layer bytes % x): bindery runs those", displayPath(path), head[4:])
	default:
		return 0, fmt.Errorf("main %s is not a WebAssembly module (%d bytes, starting % x, want % x)", displayPath(path), fi.Size(), head, wasmMagic)
	}
}

// displayPath shows path relative to the working directory when it lies
// inside it, else as given.
func displayPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}

// formatSize prints a byte count for people, with the exact count.
func formatSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB, %d bytes", float64(n)/(1<<20), n)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB, %d bytes", float64(n)/(1<<10), n)
	}
	return fmt.Sprintf("%d bytes", n)
}
