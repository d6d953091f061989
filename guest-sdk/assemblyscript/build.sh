#!/usr/bin/env bash
# Builds an AssemblyScript Bindery Worker with the SDK's pinned asc
# (package.json: assemblyscript, installed by npm ci into node_modules here):
#
#   guest-sdk/assemblyscript/build.sh -o worker.wasm index.ts [asc flags ...]
#   guest-sdk/assemblyscript/build.sh --probe   # exit 0 once asc is installed, else say why (exit 3)
#   guest-sdk/assemblyscript/build.sh --test    # run the SDK's unit tests under node (test/structured_test.*:
#                                               # the structured-value encoding over the shared vectors;
#                                               # test/queue_test.*: queue.ts's ack/retry rules, fromJSON)
#
# It compiles generated/exports.ts (the wasm exports) and your entry file,
# with asconfig.json (incremental GC, _initialize, abort=binderyAbort) and
# transform.js (the exports' WIT names). Needs node >= 20 and npm; the first
# build runs npm ci (offline works once npm's cache holds the packages).
set -euo pipefail

sdk="$(cd "$(dirname "$0")" && pwd)"

missing() {
  echo "build.sh: $*" >&2
  exit 3
}

command -v node >/dev/null 2>&1 || missing "no node on PATH (want node >= 20 and npm)"
command -v npm >/dev/null 2>&1 || missing "no npm on PATH (want node >= 20 and npm)"
major="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$major" -ge 20 ]] || missing "node $(node --version) is too old for assemblyscript (want >= 20)"

# install runs npm ci once package-lock.json is newer than what is installed;
# a lock keeps parallel builds from installing at the same time.
install() {
  local stamp="$sdk/node_modules/.package-lock.json"
  if [[ -x "$sdk/node_modules/.bin/asc" && -f "$stamp" && ! "$sdk/package-lock.json" -nt "$stamp" ]]; then
    return 0
  fi
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$sdk/.install.lock"
    flock 9
    if [[ -x "$sdk/node_modules/.bin/asc" && -f "$stamp" && ! "$sdk/package-lock.json" -nt "$stamp" ]]; then
      return 0
    fi
  fi
  local out
  if ! out="$(cd "$sdk" && npm ci --no-audit --no-fund --prefer-offline 2>&1)"; then
    missing "npm ci in guest-sdk/assemblyscript failed (offline with an empty npm cache?): $(tail -n 3 <<<"$out" | tr '\n' ' ')"
  fi
  touch "$stamp"
}

install
if [[ "${1:-}" == "--probe" ]]; then
  "$sdk/node_modules/.bin/asc" --version
  exit 0
fi

if [[ "${1:-}" == "--test" ]]; then
  # Compiled with asc's ESM bindings, without the Worker's asconfig.json
  # (from test/, where there is none), unoptimised (it compiles 3x faster), and run under node.
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$sdk/test" && "$sdk/node_modules/.bin/asc" structured_test.ts --runtime incremental --bindings esm -o "$tmp/structured_test.wasm")
  node "$sdk/test/structured_test.mjs" "$tmp/structured_test.js" "$sdk/../../wit/deps/durable/testdata/structured-values.json"
  # queue.ts's acknowledgement rules and bodies, and fromJSON: raw
  # bindings, since the module imports bindery:log/console (the warnings).
  (cd "$sdk/test" && "$sdk/node_modules/.bin/asc" queue_test.ts --runtime incremental --bindings raw -o "$tmp/queue_test.wasm")
  node "$sdk/test/queue_test.mjs" "$tmp/queue_test.js" "$tmp/queue_test.wasm"
  exit
fi

out=""
entries=()
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -o) out="$2"; shift 2 ;;
    *.ts) entries+=("$1"); shift ;;
    *) extra+=("$1"); shift ;;
  esac
done
[[ -n "$out" && ${#entries[@]} -gt 0 ]] || { echo "usage: $0 -o worker.wasm index.ts [more .ts] [asc flags]" >&2; exit 2; }

# asc wants paths relative to where it runs: run it from the first entry's directory.
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
dir="$(cd "$(dirname "${entries[0]}")" && pwd)"
rel=()
for e in "${entries[@]}"; do
  rel+=("$(realpath --relative-to="$dir" "$e")")
done
cd "$dir"
s="$(realpath --relative-to="$dir" "$sdk")"
exec "$sdk/node_modules/.bin/asc" "$s/generated/exports.ts" "${rel[@]}" --config "$s/asconfig.json" -o "$out" "${extra[@]}"
