#!/usr/bin/env bash
# Rebuilds greet.wasm from greet.wat. Needs wat2wasm from WABT (Debian:
# apt-get install -y wabt); checked in with the output of wabt 1.0.32.
set -euo pipefail
cd "$(dirname "$0")"
wat2wasm --debug-names greet.wat -o greet.wasm
