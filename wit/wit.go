// Package wit embeds the WIT packages of the guest ABI (world.wit and
// deps/), the single source of truth that cmd/bindery-bindgen reads from
// this folder, so that a tool building a Worker outside a checkout
// (internal/pybuild, internal/jsbuild) can write them out for its
// compiler.
package wit

import (
	"embed"
	"io/fs"
)

//go:embed world.wit deps
var files embed.FS

// FS returns the WIT files: world.wit and deps/<package>/<package>.wit.
func FS() fs.FS { return files }
