#!/usr/bin/env bash
# install-toolchain.sh — installs a Rust toolchain that builds Bindery Workers
# (wasm32-wasip1 core modules) without rustup's download server: Debian's
# rustc-web / cargo-web (Rust 1.96, from bookworm-security) unpacked into a
# cache folder, plus the std sources (rust-web-src) that -Zbuild-std compiles.
#
#   guest-sdk/rust/install-toolchain.sh          # into ~/.cache/bindery/rustweb
#   BINDERY_RUSTWEB=/opt/rustweb guest-sdk/rust/install-toolchain.sh
#
# Idempotent: a complete install (marked by .installed) is left alone. Needs
# root for apt-get (the runtime libraries rustc-web links against, the
# wasm-ld-14 linker and Debian's wasi-libc); the compiler itself is only
# unpacked, because rustc-web conflicts with Debian's rustc package.
#
# Prints the toolchain folder on its last line. guest-sdk/rust/cargo-wasm
# builds with it; conformance/rust_test.go finds it through BINDERY_RUSTWEB
# or this default folder.
set -euo pipefail

dest=${BINDERY_RUSTWEB:-${XDG_CACHE_HOME:-$HOME/.cache}/bindery/rustweb}
version=1.96

if [[ -f $dest/.installed ]] && [[ -x $dest/usr/bin/rustc ]]; then
	echo "rust toolchain: already installed in $dest"
	echo "$dest"
	exit 0
fi

sudo=()
if [[ $(id -u) != 0 ]]; then
	sudo=(sudo)
fi

# Runtime libraries of rustc-web/cargo-web, the linker, and wasi-libc (Rust's
# self-contained wasi-libc is not in the Debian packages).
deps=(libllvm22 libgit2-1.5 libssh2-1 lld-14 wasi-libc)
missing=()
for p in "${deps[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(
	cd "$work"
	pkgs=(rustc-web cargo-web "libstd-rust-web-$version" libstd-rust-web-dev rust-web-src)
	if ! apt-get download "${pkgs[@]}" >/dev/null 2>&1; then
		"${sudo[@]}" apt-get update -qq
		apt-get download "${pkgs[@]}"
	fi
)

rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
for deb in "$work"/*.deb; do
	dpkg -x "$deb" "$dest.tmp"
done
if ! [[ -x $dest.tmp/usr/bin/rustc && -d $dest.tmp/usr/src/rustc-$version.0/library ]]; then
	echo "install-toolchain.sh: the unpacked packages lack usr/bin/rustc or usr/src/rustc-$version.0/library" >&2
	exit 1
fi
rm -rf "$dest"
mv "$dest.tmp" "$dest"

# Check that it runs (it needs the libraries installed above).
LD_LIBRARY_PATH=$dest/usr/lib/x86_64-linux-gnu "$dest/usr/bin/rustc" --version
touch "$dest/.installed"
echo "$dest"
