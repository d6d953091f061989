package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/jsbuild"
	"github.com/bindery-run/bindery/internal/pybuild"
	"github.com/bindery-run/bindery/internal/wrangler"
)

// worker is a Worker's main made ready for the host: a .wasm read as it
// is, or a source file built, as wrangler builds main (JavaScript and
// TypeScript bundled with esbuild and run by the JS engine, Python, with
// the python_workers flag, by componentize-py: internal/pybuild).
type worker struct {
	// path is main, as configured or given on the command line.
	path string
	// wasm and init are what host.WorkerConfig takes.
	wasm    []byte
	init    *host.InitConfig
	mapText func(string) string
	// bundle is a JavaScript main's bundle (nil otherwise).
	bundle *jsbuild.Bundle
}

// loadMain makes main ready: it builds a JavaScript or TypeScript main
// (the toolchain is installed on first use, with progress on progress),
// and reads a .wasm one. dev bundles for bindery dev.
func loadMain(ctx context.Context, cfg *wrangler.Config, main string, progress io.Writer, dev bool) (*worker, error) {
	switch {
	case strings.HasSuffix(main, ".wasm"):
		wasm, err := os.ReadFile(main)
		if err != nil {
			return nil, fmt.Errorf("read worker: %w", err)
		}
		return &worker{path: main, wasm: wasm}, nil
	case jsbuild.IsJS(main):
		if _, err := os.Stat(main); err != nil {
			return nil, fmt.Errorf("main: %w", err)
		}
		node, err := cfg.NodeCompat()
		if err != nil {
			return nil, err
		}
		tc, err := jsbuild.EnsureToolchain(ctx, "", progress)
		if err != nil {
			return nil, err
		}
		w, err := tc.Build(ctx, jsbuild.Options{Entry: main, ProjectDir: configDir(cfg), Bundle: cfg.Bundle, NodeCompat: node, Dev: dev})
		if err != nil {
			return nil, err
		}
		for _, warning := range w.Bundle.Warnings {
			fmt.Fprintln(progress, warning)
		}
		if cfg.Bundle.FindAdditionalModules {
			fmt.Fprintln(progress, "warning: find_additional_modules: bindery bundles every module main imports (dynamic imports with a literal path too) into one; files only reachable by a computed import are not found")
		}
		return &worker{path: main, wasm: w.Wasm, init: w.Init, mapText: w.MapText, bundle: w.Bundle}, nil
	case strings.HasSuffix(main, ".py"):
		if !cfg.HasFlag("python_workers") {
			return nil, fmt.Errorf("main %s is Python: add \"python_workers\" to compatibility_flags in %s, as wrangler requires", displayPath(main), cfg.Path)
		}
		if _, err := os.Stat(main); err != nil {
			return nil, fmt.Errorf("main: %w", err)
		}
		path, err := pybuild.Build(ctx, main, pybuild.Options{Progress: progress})
		if err != nil {
			return nil, err
		}
		wasm, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read the built Python Worker: %w", err)
		}
		return &worker{path: main, wasm: wasm}, nil
	}
	return nil, fmt.Errorf("main %s: bindery builds JavaScript and TypeScript mains (%s) and Python ones (.py), and serves WebAssembly (.wasm)",
		displayPath(main), strings.Join(jsbuild.JSExtensions, ", "))
}

// writeBundle keeps a JavaScript main's bundle and source map in
// .bindery/build beside the config, for a look at what runs.
func writeBundle(cfg *wrangler.Config, b *jsbuild.Bundle) (string, error) {
	dir := filepath.Join(configDir(cfg), ".bindery", "build")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, jsbuild.BundleName)
	if err := os.WriteFile(path, b.Code, 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(path+".map", b.SourceMap, 0o644); err != nil {
		return "", err
	}
	return path, nil
}
