package conformance_test

import (
	"errors"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// The C Worker (conformance/c) builds with guest-sdk/c/build.sh, which
// finds Debian's clang (19, 16 or 14) with wasi-libc; without one the
// language is skipped with build.sh's reason.
func init() {
	languages = append(languages, language{name: "c", build: buildC, d1: true})
}

func buildC(t *testing.T, dir string) (string, error) {
	root := testutil.RepoRoot(t)
	script := filepath.Join(root, "guest-sdk", "c", "build.sh")
	if err := probeToolchain(script); err != nil {
		return "", err
	}
	wasm := filepath.Join(dir, "c.wasm")
	cmd := exec.Command("bash", script, "-o", wasm, filepath.Join(root, "conformance", "c", "main.c"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New(err.Error() + "\n" + string(out))
	}
	return wasm, nil
}
