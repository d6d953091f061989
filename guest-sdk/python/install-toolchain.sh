#!/usr/bin/env bash
# Installs componentize-py 0.25.1 (from PyPI with pip --target, the wheel
# pinned by its sha256) into $BINDERY_COMPONENTIZE_PY (default
# ~/.cache/bindery/componentize-py), where build.sh and `bindery` look for
# it; both also install it on first use. Does nothing when that version is
# already there. A thin wrapper around internal/pybuild (go run
# ./internal/cmd/pybuild --install). Needs python3 >= 3.9 with pip
# (installs python3-pip from Debian when pip is missing and apt-get is
# there).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! python3 -m pip --version >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends python3-pip
  fi
fi
env -u GOOS -u GOARCH go -C "$root" run ./internal/cmd/pybuild --install
env -u GOOS -u GOARCH go -C "$root" run ./internal/cmd/pybuild --probe
