#!/usr/bin/env bash
# Builds a Python Worker into a component of world bindery:worker/worker-with-objects
# (wit/) with componentize-py 0.25.1 and the Bindery Python SDK
# (guest-sdk/python): a thin wrapper around internal/pybuild (go run
# ./internal/cmd/pybuild), which `bindery` uses too. The host runs the
# component as it is (docs/components.md).
#
#   build.sh path/to/worker.py -o worker.wasm [--cache-dir DIR]
#   build.sh --probe     exit 0 and print the version if componentize-py 0.25.1 is installed,
#                        else say why on stderr (exit 3: missing, so callers can skip)
#
# worker.py defines `class Default(WorkerEntrypoint)` with `fetch(self,
# request)`, or `on_fetch(request, env)` or `fetch(request, env)`
# (docs/sdk-python.md); modules next to it can be imported. componentize-py
# is installed on first use (pip, from PyPI, pinned by hash) into
# $BINDERY_COMPONENTIZE_PY (default ~/.cache/bindery/componentize-py; see
# install-toolchain.sh). A build whose inputs (the Worker's directory, the
# SDK, the WIT, the tool's version) did not change is copied from the cache
# (--cache-dir, default ~/.cache/bindery). Needs Go (this checkout's go.mod)
# and python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

abs() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }

args=()
if [ "${1:-}" = "--probe" ]; then
  args=(--probe)
else
  src="" out=""
  while [ $# -gt 0 ]; do
    case "$1" in
      -o) out=$(abs "$2"); shift 2 ;;
      --cache-dir) args+=(--cache-dir "$(abs "$2")"); shift 2 ;;
      -*) echo "build.sh: unknown option $1" >&2; exit 2 ;;
      *) src=$(abs "$1"); shift ;;
    esac
  done
  if [ -z "$src" ] || [ -z "$out" ]; then
    echo "usage: build.sh path/to/worker.py -o worker.wasm [--cache-dir DIR]" >&2
    exit 2
  fi
  args+=(-o "$out" "$src")
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: no go on PATH (build.sh runs internal/cmd/pybuild with go run; bindery build does the same without go)" >&2
  exit 3
fi
# GOOS/GOARCH may be set for a Go Worker's build: pybuild runs here.
exec env -u GOOS -u GOARCH go -C "$root" run ./internal/cmd/pybuild "${args[@]}"
