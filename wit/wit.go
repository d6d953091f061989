// Package wit holds the WIT packages that define the guest ABI (world.wit
// and deps/), embedded so that the bindery binary can give them to guest
// toolchains anywhere on disk.
package wit

import "embed"

// Files are world.wit and deps/, at their paths in wit/.
//
//go:embed world.wit deps
var Files embed.FS
