#!/usr/bin/env bash
# Rebuilds every .wasm fixture in this folder from its .wat source, plus the
# two fixtures that are not compiled: notwasm.wasm and truncated.wasm.
# Needs wat2wasm from WABT (Debian: apt-get install -y wabt). Checked in with
# the output of wabt 1.0.32; the same version gives the same bytes.
# --debug-names keeps function names ($handle, $cabi_realloc) in a name
# section so traps read well; do not give a module a $name, as wazero would
# take it as the instance name and refuse a second instance of it.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v wat2wasm >/dev/null 2>&1; then
  echo "build.sh: wat2wasm not found; install WABT (apt-get install -y wabt)" >&2
  exit 1
fi

for wat in *.wat; do
  wat2wasm --debug-names "$wat" -o "${wat%.wat}.wasm"
done

# Malformed input: plain text, not a wasm binary.
printf 'this is not wasm\n' > notwasm.wasm
# Truncated binary: the first 20 bytes of hello.wasm.
head -c 20 hello.wasm > truncated.wasm

echo "build.sh: built $(ls *.wasm | wc -l) .wasm files with $(wat2wasm --version)"
