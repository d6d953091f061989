package conformance_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// The JavaScript Worker (conformance/js/worker.js) builds with
// guest-sdk/js/build.mjs: rolldown bundles it with the SDK's runtime,
// componentize-js 0.23.0 (StarlingMonkey) makes a component of world
// "worker", and the component's main core module is what the host runs.
// It needs node and the SDK's npm packages (cd guest-sdk/js && npm ci);
// without them the language is skipped with the reason.
func init() {
	languages = append(languages, language{name: "js", build: buildJS})
}

func buildJS(t *testing.T, dir string) (string, error) {
	return buildJSSource(t, dir, filepath.Join(testutil.RepoRoot(t), "conformance", "js", "worker.js"))
}

// buildJSSource builds the JavaScript Worker src into dir and returns the
// .wasm path; a missing node or SDK is a skipError.
func buildJSSource(t *testing.T, dir, src string) (string, error) {
	sdk := filepath.Join(testutil.RepoRoot(t), "guest-sdk", "js")
	node, err := exec.LookPath("node")
	if err != nil {
		return "", skip("no node in PATH")
	}
	if _, err := os.Stat(filepath.Join(sdk, "node_modules", "@bytecodealliance", "componentize-js", "package.json")); err != nil {
		return "", skip("guest-sdk/js has no node_modules (run: cd guest-sdk/js && npm ci)")
	}
	// componentize-js takes ~15 s; the build is cached by its inputs.
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	wasm := filepath.Join(dir, "js.wasm")
	cmd := exec.Command(node, filepath.Join(sdk, "build.mjs"), src, "-o", wasm,
		"--cache-dir", filepath.Join(cache, "bindery-test", "js"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New(err.Error() + "\n" + string(out))
	}
	return wasm, nil
}
