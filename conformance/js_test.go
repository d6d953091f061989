package conformance_test

import (
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// The JavaScript Worker (conformance/js/worker.js) is served from its
// source, as bindery dev serves a JavaScript main: internal/jsbuild
// bundles it with esbuild and the SDK's runtime, and the host
// pre-initialises StarlingMonkey (componentize-js's engine, spliced for
// Bindery's world once per toolchain) with the bundle. It needs node, once,
// to install the toolchain in the user cache; without it the language is
// skipped with the reason.
func init() {
	languages = append(languages, language{name: "js", build: buildJS})
}

func buildJS(t *testing.T, dir string) (string, error) {
	return buildJSSource(t, dir, filepath.Join(testutil.RepoRoot(t), "conformance", "js", "worker.js"))
}

// buildJSSource returns the JavaScript Worker src as the main to serve
// (newWorker builds it); a missing node is a skipError.
func buildJSSource(t *testing.T, dir, src string) (string, error) {
	if _, err := testutil.ProbeNode(); err != nil {
		return "", skip("%v", err)
	}
	return src, nil
}
