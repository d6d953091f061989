// Package python embeds the Bindery Python SDK: the packages bindery (the
// runtime every Python Worker is built with), workers and js (Cloudflare's
// Python APIs over it) and pyodide (pyodide.ffi's helpers), so that
// internal/pybuild can build a Python Worker that lies anywhere on disk,
// without a checkout of this repository. See docs/sdk-python.md.
package python

import (
	"embed"
	"io/fs"
)

// The explicit *.py patterns include __init__.py (a directory pattern
// would skip names starting with "_") and never a __pycache__.
//
//go:embed bindery/*.py workers/*.py js/*.py pyodide/*.py
var files embed.FS

// FS returns the SDK's Python packages (bindery/, workers/, js/,
// pyodide/), the directory a build puts on componentize-py's Python path.
func FS() fs.FS { return files }
