#!/usr/bin/env bash
# Builds a C or C++ Bindery Worker: the SDK (bindery.c, structured.c and the generated
# bindings) plus your sources, as a wasm32-wasi reactor.
#
#   guest-sdk/c/build.sh -o worker.wasm main.c [more.c|.cc ...] [-DFOO ...]
#   guest-sdk/c/build.sh --durable -o worker.wasm main.c   # with Durable Objects, at once
#   guest-sdk/c/build.sh --probe      # exit 0 if a toolchain works, else say why (exit 3)
#
# Durable Objects (bindery_durable.h: durable.c and generated-durable/, the
# bindings of world worker-with-objects) go only into a Worker that uses
# them, so that a Worker without them neither imports their interfaces nor
# exports the object events: the Worker is linked without them first, and
# when the linker misses a bindery_do_ symbol, they are compiled and the
# Worker linked again. --durable skips the first link. The queue handler
# (queue_handler.c and generated-queue-consumer/: a missing
# bindery_serve_queue, bindery_batch_ or bindery_message_ symbol) and the
# scheduled handler (scheduled.c and generated-scheduled/: a missing
# bindery_serve_scheduled or bindery_scheduled_ symbol) go in the same way,
# so that only a Worker that defines them exports them.
#
# Needs Debian's clang + lld + wasi-libc + libclang-rt wasm32 builtins, e.g.
#   apt-get install -y --no-install-recommends clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32
# (C++: + libc++-14-dev-wasm32 libc++abi-14-dev-wasm32). It uses $CLANG if
# set, else the first of clang-19, clang-16, clang-14, clang on PATH whose
# wasm32 builtins are installed.
set -euo pipefail

sdk="$(cd "$(dirname "$0")" && pwd)"
flags=(--target=wasm32-wasi -O2)

find_clang() {
  if [[ -n "${CLANG:-}" ]]; then
    command -v "$CLANG" >/dev/null 2>&1 && { echo "$CLANG"; return; }
    echo "build.sh: \$CLANG=$CLANG not found" >&2
    return 1
  fi
  local c
  for c in clang-19 clang-16 clang-14 clang; do
    command -v "$c" >/dev/null 2>&1 || continue
    # clang finds wasm-ld and the builtins by itself; check both are there.
    local rt
    rt="$("$c" --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null || true)"
    [[ -n "$rt" && -f "$rt" ]] || continue
    echo "$c"
    return
  done
  echo "build.sh: no usable clang (want clang-19/16/14 with lld, wasi-libc and libclang-rt-NN-dev-wasm32;" \
    "apt-get install -y --no-install-recommends clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32)" >&2
  return 1
}

cc="$(find_clang)" || exit 3
cxx="${cc/clang/clang++}"

if [[ "${1:-}" == "--probe" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  printf '#include <stdlib.h>\n__attribute__((export_name("f"))) int f(int n) { return n + (int)(long)malloc(1); }\n' > "$tmp/p.c"
  if ! out="$("$cc" "${flags[@]}" -mexec-model=reactor -o "$tmp/p.wasm" "$tmp/p.c" 2>&1)"; then
    echo "build.sh: $cc cannot build for wasm32-wasi (missing lld or wasi-libc?): $out" >&2
    exit 3
  fi
  echo "$cc"
  exit 0
fi

out=""
srcs=()
extra=()
durable=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -o) out="$2"; shift 2 ;;
    --durable) durable=1; shift ;;
    *.c|*.cc|*.cpp|*.cxx) srcs+=("$1"); shift ;;
    *) extra+=("$1"); shift ;;
  esac
done
[[ -n "$out" && ${#srcs[@]} -gt 0 ]] || { echo "usage: $0 -o worker.wasm main.c [more sources] [clang flags]" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
objs=()
link="$cc"
i=0
# compile adds the objects of its sources to objs.
compile() {
  local src obj
  for src in "$@"; do
    i=$((i + 1))
    obj="$tmp/$i.o"
    case "$src" in
      *.c) "$cc" "${flags[@]}" -Wall -I"$sdk" "${extra[@]}" -c "$src" -o "$obj" ;;
      *) "$cxx" "${flags[@]}" -fno-exceptions -Wall -I"$sdk" "${extra[@]}" -c "$src" -o "$obj"; link="$cxx" ;;
    esac
    objs+=("$obj")
  done
}
link_all() {
  "$link" "${flags[@]}" -mexec-model=reactor -Wl,--strip-all -Wl,--error-limit=0 -o "$out" "${objs[@]}"
}
# The optional parts (no associative arrays: macOS's bash is 3.2): wants
# is the pattern of the undefined symbols that call for one, add compiles
# its sources.
parts=(durable queue scheduled)
wants() {
  case "$1" in
    durable) echo 'bindery_do_' ;;
    queue) echo 'bindery_serve_queue|bindery_batch_|bindery_message_' ;;
    scheduled) echo 'bindery_(serve_)?scheduled' ;;
  esac
}
added=" "
add() {
  added="$added$1 "
  case "$1" in
    durable) compile "$sdk"/durable.c "$sdk"/generated-durable/*.c ;;
    queue) compile "$sdk"/queue_handler.c "$sdk"/generated-queue-consumer/*.c ;;
    scheduled) compile "$sdk"/scheduled.c "$sdk"/generated-scheduled/*.c ;;
  esac
}
compile "$sdk"/bindery.c "$sdk"/structured.c "$sdk"/queue.c "$sdk"/generated/*.c "${srcs[@]}"
[[ $durable == 0 ]] || add durable
# Each failed link adds the parts whose symbols it missed, until it links
# or misses nothing a part has.
while ! linked="$(link_all 2>&1)"; do
  more=0
  for p in "${parts[@]}"; do
    if [[ "$added" != *" $p "* ]] && grep -Eq "undefined symbol: ($(wants "$p"))" <<<"$linked"; then
      add "$p"
      more=1
    fi
  done
  if [[ $more == 0 ]]; then
    printf '%s\n' "$linked" >&2
    exit 1
  fi
done
[[ -z "$linked" ]] || printf '%s\n' "$linked" >&2
