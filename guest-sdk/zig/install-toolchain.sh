#!/usr/bin/env bash
# install-toolchain.sh — installs the Zig that builds Bindery's Zig Workers:
# Zig 0.17.1 from PyPI's `ziglang` wheel (the Zig project's own repack of
# the official release tarball; see docs/sdk-zig.md for why not npm),
# unpacked with pip into a cache folder, the wheel pinned by its sha256.
#
#   guest-sdk/zig/install-toolchain.sh                   # into ~/.cache/bindery/zig/0.17.1
#   BINDERY_CACHE=/opt/bindery guest-sdk/zig/install-toolchain.sh   # into /opt/bindery/zig/0.17.1
#
# Idempotent: a complete install (marked by .installed) is left alone. Then
# it builds a probe Worker with guest-sdk/zig/build.sh, which also fills
# Zig's global cache (translate-c and wasi-libc take a minute or two the
# first time, seconds after). Prints zig's path on its last line;
# guest-sdk/zig/build.sh finds it there by itself.
set -euo pipefail

version=0.17.1
# sha256 of the ziglang-$version wheels for x86_64 and aarch64 Linux.
hashes=(
  ea6cc5d87b033cf0aedfbc8f9549a908cae6c50ac31f1698188fa48a74524b54
  b7c5f02fccd40f89b999ee16a1f5ddced56e6182370f8affe494bcf8a28cf07e
)
sdk="$(cd "$(dirname "$0")" && pwd)"
dest="${BINDERY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bindery}/zig/$version"
zig="$dest/ziglang/zig"

if ! [[ -f "$dest/.installed" && -x "$zig" ]]; then
  python=""
  for p in python3 python; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -m pip --version >/dev/null 2>&1; then
      python="$p"
      break
    fi
  done
  [[ -n "$python" ]] || { echo "install-toolchain.sh: need python3 with pip to install the ziglang wheel" >&2; exit 1; }
  work="$(mktemp -d)"
  trap 'rm -rf "$work" "$dest.tmp"' EXIT
  req="ziglang==$version"
  for h in "${hashes[@]}"; do req="$req --hash=sha256:$h"; done
  echo "$req" >"$work/requirements.txt"
  rm -rf "$dest.tmp"
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore "$python" -m pip install --quiet --no-deps \
    --only-binary=:all: --require-hashes --no-compile --target "$dest.tmp" -r "$work/requirements.txt"
  got="$("$dest.tmp/ziglang/zig" version)"
  [[ "$got" == "$version" ]] || { echo "install-toolchain.sh: the wheel's zig says $got, want $version" >&2; exit 1; }
  touch "$dest.tmp/.installed"
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  mv "$dest.tmp" "$dest"
  echo "zig toolchain: installed zig $version in $dest" >&2
else
  echo "zig toolchain: zig $version already installed in $dest" >&2
fi

# Build a probe Worker: proves the install works and warms Zig's cache.
ZIG="$zig" bash "$sdk/build.sh" --probe >/dev/null
echo "$zig"
