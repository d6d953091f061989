#!/usr/bin/env bash
# Builds a Zig Bindery Worker: your .zig file (which declares `pub fn
# fetch`; it is the module "worker", and may @import files beside it) with
# the SDK (bindery.zig, module "bindery") over the C bindings generated from
# wit/ (guest-sdk/c/generated, translated into the module "c"), as a
# wasm32-wasi reactor. The root is entry.zig, which exports your fetch.
#
# Durable Objects: the bindings of their interfaces (guest-sdk/c/generated-durable)
# are compiled in too; a Worker imports only the functions it calls, so one
# that does not use them is as before. A Worker that defines classes (its
# file declares `pub const durable_objects`) also gets the object events'
# exports (durable_object.c), which implement world worker-with-objects;
# entry.zig checks that the two agree.
#
# Queues and cron triggers: a Worker whose file declares `pub fn queue`
# (the queue handler) gets its export (guest-sdk/c/generated-queue-consumer),
# and one that declares `pub fn scheduled` (the scheduled handler) that one
# (guest-sdk/c/generated-scheduled); a Worker without them exports neither.
#
#   guest-sdk/zig/build.sh -o worker.wasm main.zig [zig flags, e.g. -O ReleaseFast]
#   guest-sdk/zig/build.sh --probe      # exit 0 and print zig's path if it works, else say why (exit 3;
#                                       # exit 1 when zig works but the SDK does not compile)
#   guest-sdk/zig/build.sh --test       # run the SDK's native unit tests (zig test structured_test.zig,
#                                       # from the repository root, where the shared test vectors are,
#                                       # and queue_test.zig)
#
# Needs Zig 0.17 (guest-sdk/zig/install-toolchain.sh installs it). It uses
# $ZIG if set, else `zig` on PATH if it is 0.17, else the one
# install-toolchain.sh put under ${BINDERY_CACHE:-~/.cache/bindery}/zig.
#
# The stack is 1 MiB (--stack; Zig's wasm default is also 1 MiB, clang's is
# 64 KiB): overflowing it traps, as the stack sits below the data. Big
# buffers belong on the heap (req.arena) anyway. Override with
# BINDERY_ZIG_STACK=bytes.
set -euo pipefail

want="0.17"
sdk="$(cd "$(dirname "$0")" && pwd)"
gen="$sdk/../c/generated"
objgen="$sdk/../c/generated-durable"
qgen="$sdk/../c/generated-queue-consumer"
sgen="$sdk/../c/generated-scheduled"
cache="${BINDERY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bindery}/zig"
stack="${BINDERY_ZIG_STACK:-1048576}"

find_zig() {
  if [[ -n "${ZIG:-}" ]]; then
    command -v "$ZIG" >/dev/null 2>&1 && { echo "$ZIG"; return; }
    echo "build.sh: \$ZIG=$ZIG not found" >&2
    return 1
  fi
  local z v found=""
  for z in "$(command -v zig 2>/dev/null || true)" "$cache"/"$want".*/ziglang/zig; do
    [[ -n "$z" && -x "$z" ]] || continue
    v="$("$z" version 2>/dev/null || true)"
    if [[ "$v" == "$want".* ]]; then
      echo "$z"
      return
    fi
    found="$found $z ($v)"
  done
  if [[ -n "$found" ]]; then
    echo "build.sh: need zig $want.x, found only$found; run guest-sdk/zig/install-toolchain.sh or set \$ZIG" >&2
  else
    echo "build.sh: no zig $want.x (not on PATH, not in $cache); run guest-sdk/zig/install-toolchain.sh or set \$ZIG" >&2
  fi
  return 1
}

zig="$(find_zig)" || exit 3

# translate: the generated headers as the Zig module "c", into $1.
translate() {
  printf '#include "http_handler.h"\n#include "kv_store.h"\n#include "r2_bucket.h"\n#include "config_vars.h"\n#include "d1_database.h"\n#include "durable_client.h"\n#include "durable_state.h"\n#include "durable_object.h"\n#include "log_console.h"\n#include "queue_producer.h"\n#include "queue_consumer.h"\n#include "scheduled_handler.h"\n' >"$1/c.h"
  "$zig" translate-c -target wasm32-wasi -lc -I"$gen" -I"$objgen" -I"$qgen" -I"$sgen" "$1/c.h" >"$1/c.zig"
}

# build: root (a .zig file) into out, with the SDK and the generated C.
build() {
  local out="$1" root="$2" tmp="$3"
  shift 3
  translate "$tmp"
  local objc=("$objgen"/durable_types.c "$objgen"/durable_client.c "$objgen"/durable_state.c)
  local defines=false
  if grep -Eq '^[[:space:]]*pub[[:space:]]+const[[:space:]]+durable_objects\b' "$root"; then
    objc+=("$objgen"/durable_object.c)
    defines=true
  fi
  local queue=false scheduled=false
  if grep -Eq '^[[:space:]]*pub[[:space:]]+fn[[:space:]]+queue[[:space:]]*\(' "$root"; then
    objc+=("$qgen"/queue_consumer.c)
    queue=true
  fi
  if grep -Eq '^[[:space:]]*pub[[:space:]]+fn[[:space:]]+scheduled[[:space:]]*\(' "$root"; then
    objc+=("$sgen"/scheduled_handler.c)
    scheduled=true
  fi
  printf '//! What build.sh compiled in (generated).\npub const defines_objects = %s;\npub const defines_queue = %s;\npub const defines_scheduled = %s;\n' \
    "$defines" "$queue" "$scheduled" >"$tmp/build_options.zig"
  "$zig" build-exe -target wasm32-wasi -mexec-model=reactor -fno-entry -lc \
    -O ReleaseSmall --stack "$stack" "$@" \
    -femit-bin="$out" \
    -cflags -std=c11 -Wall -- -I"$gen" -I"$objgen" -I"$qgen" -I"$sgen" "$gen"/*.c "${objc[@]}" \
    --dep bindery --dep worker --dep build_options -Mroot="$sdk/entry.zig" \
    --dep bindery -Mworker="$root" \
    --dep c -Mbindery="$sdk/bindery.zig" \
    -Mc="$tmp/c.zig" \
    -Mbuild_options="$tmp/build_options.zig"
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [[ "${1:-}" == "--probe" ]]; then
  # First the toolchain alone (exit 3: missing or broken, skip), then a
  # Worker with the SDK (exit 1: the SDK does not compile, a bug to fail on).
  printf 'export fn f(n: i32) i32 {\n    return n + 1;\n}\n' >"$tmp/t.zig"
  if ! out="$("$zig" build-exe -target wasm32-wasi -mexec-model=reactor -fno-entry -lc -O ReleaseSmall -femit-bin="$tmp/t.wasm" "$tmp/t.zig" 2>&1)"; then
    echo "build.sh: $zig ($("$zig" version)) cannot build for wasm32-wasi: $out" >&2
    exit 3
  fi
  printf 'const bindery = @import("bindery");\npub fn fetch(_: *bindery.Request, res: *bindery.Response) !void {\n    try res.text(200, "ok");\n}\n' >"$tmp/p.zig"
  if ! out="$(build "$tmp/p.wasm" "$tmp/p.zig" "$tmp" 2>&1)"; then
    echo "build.sh: the SDK does not compile with $zig ($("$zig" version)): $out" >&2
    exit 1
  fi
  echo "$zig"
  exit 0
fi

if [[ "${1:-}" == "--test" ]]; then
  # The parts of the SDK that need no host (structured.zig) run natively.
  cd "$sdk/../.."
  "$zig" test "$sdk/structured_test.zig"
  "$zig" test "$sdk/queue_test.zig"
  exit
fi

out=""
root=""
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -o) out="$2"; shift 2 ;;
    *.zig) root="$1"; shift ;;
    *) extra+=("$1"); shift ;;
  esac
done
[[ -n "$out" && -n "$root" ]] || { echo "usage: $0 -o worker.wasm main.zig [zig build-exe flags]" >&2; exit 2; }
build "$out" "$root" "$tmp" "${extra[@]}"
