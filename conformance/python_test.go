package conformance_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// The Python Worker (conformance/python/worker.py) builds with
// guest-sdk/python/build.sh: componentize-py 0.25.1 makes a component of
// world "worker" with the SDK (guest-sdk/python/bindery), and the host
// runs the component's core graph (docs/components.md). It needs
// componentize-py (guest-sdk/python/install-toolchain.sh); without it the
// language is skipped with the reason.
func init() {
	languages = append(languages, language{name: "python", build: buildPython})
}

func buildPython(t *testing.T, dir string) (string, error) {
	root := testutil.RepoRoot(t)
	script := filepath.Join(root, "guest-sdk", "python", "build.sh")
	if err := probeToolchain(script); err != nil {
		return "", err
	}
	// componentize-py takes ~20 s; the build is cached by its inputs.
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	wasm := filepath.Join(dir, "python.wasm")
	cmd := exec.Command("bash", script, filepath.Join(root, "conformance", "python", "worker.py"), "-o", wasm,
		"--cache-dir", filepath.Join(cache, "bindery-test", "python"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New(err.Error() + "\n" + string(out))
	}
	return wasm, nil
}
