// Package jssdk holds the files of the JavaScript SDK, embedded so that
// the bindery binary can build a JavaScript or TypeScript Worker anywhere
// on disk (internal/jsbuild): the runtime that adapts a Worker to the
// host's interfaces (src/), the pinned npm dependencies of the engine
// toolchain (package.json, package-lock.json) and the script that makes
// the engine from them (splice.mjs).
package jssdk

import "embed"

// Files are the SDK's files, at their paths in guest-sdk/js.
//
//go:embed src package.json package-lock.json splice.mjs
var Files embed.FS
