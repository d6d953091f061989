package conformance_test

import (
	"errors"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// The AssemblyScript Worker (conformance/assemblyscript) builds with
// guest-sdk/assemblyscript/build.sh, which installs the pinned asc with
// npm ci (from npm's cache when offline) on first use; without node and
// npm, or when the install fails, the language is skipped with build.sh's
// reason.
func init() {
	languages = append(languages, language{name: "assemblyscript", build: buildAssemblyScript})
}

func buildAssemblyScript(t *testing.T, dir string) (string, error) {
	root := testutil.RepoRoot(t)
	script := filepath.Join(root, "guest-sdk", "assemblyscript", "build.sh")
	if err := probeToolchain(script); err != nil {
		return "", err
	}
	wasm := filepath.Join(dir, "assemblyscript.wasm")
	cmd := exec.Command("bash", script, "-o", wasm, filepath.Join(root, "conformance", "assemblyscript", "index.ts"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New(err.Error() + "\n" + string(out))
	}
	return wasm, nil
}
