// Package pybuild builds a Python Worker from its entry file (a
// Cloudflare-style Worker: main = "src/entry.py") into the WebAssembly
// component the host runs, with componentize-py and Bindery's Python SDK.
//
//	wasm, err := pybuild.Build(ctx, "src/entry.py", pybuild.Options{Progress: os.Stderr})
//
// The component is of world [World] (worker-with-objects): a Worker may
// define Durable Object classes and queue and scheduled handlers
// (docs/sdk-python.md); every Worker imports the Durable Objects
// interfaces and the queue producer, which the host serves to all, and
// exports the queue and scheduled handlers (the SDK answers "no queue
// handler" / "no scheduled handler" for a Worker without them).
//
// Build needs only python3 (3.9 or later) on the machine:
//
//   - componentize-py [Version] is installed on first use, with pip, into
//     the user's cache (Options.ToolchainDir, default
//     ~/.cache/bindery/componentize-py), from PyPI, pinned by the sha256
//     of each platform's wheel (pip --require-hashes --only-binary).
//   - The SDK (the packages bindery, workers, js and pyodide) and the WIT
//     are embedded in the Go binary (packages guest-sdk/python and wit)
//     and written to the cache, so a Worker can lie anywhere on disk.
//   - The output is cached by the hash of its inputs: the entry's
//     directory (every file, but dot-directories, __pycache__,
//     node_modules and virtualenvs), Options.PythonPath, the SDK, the WIT
//     and the componentize-py version. An unchanged Worker is not rebuilt
//     (componentize-py takes ~20 s).
//
// # Errors
//
// A missing python3 is [ErrNoPython], a python3 without pip (when
// componentize-py must be installed) [ErrNoPip], a missing componentize-py
// with Options.NoInstall [ErrToolchainMissing]; each is wrapped with what to
// install. componentize-py's own failure (an exception or syntax error
// while the Worker's module is imported, an import that cannot be found)
// is a [*BuildError] with its output: the Worker's traceback, its file
// names those on disk.
//
// # Notes
//
// Build is safe for concurrent use, by goroutines and by processes sharing
// the cache: everything is written to a temporary name and renamed into
// place. Nothing is ever deleted from the cache; removing CacheDir is
// always safe. guest-sdk/python/build.sh and install-toolchain.sh run this
// package through internal/cmd/pybuild.
package pybuild
