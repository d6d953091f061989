package conformance_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/internal/pybuild"
	"github.com/bindery-run/bindery/internal/testutil"
)

// The Python Workers build with internal/pybuild (the SDK embedded in
// the test binary): componentize-py 0.25.1 makes a component of world
// "worker", and the host runs the component's core graph
// (docs/components.md). "python" is conformance/python/worker.py, written
// with Bindery's own API (async def fetch(request, env)); "python-cf" is
// conformance/python-cf/src/entry.py, the same contract in Cloudflare's
// current style (class Default(WorkerEntrypoint), from workers import
// Response). Both need componentize-py (guest-sdk/python/install-toolchain.sh);
// without it they are skipped with the reason.
func init() {
	languages = append(languages,
		language{name: "python", build: pythonBuilder("conformance/python/worker.py")},
		language{name: "python-cf", build: pythonBuilder("conformance/python-cf/src/entry.py")})
}

// pythonBuilder returns a language's build for the Python Worker whose
// entry file is src (relative to the repository root).
func pythonBuilder(src string) func(t *testing.T, dir string) (string, error) {
	return func(t *testing.T, dir string) (string, error) {
		opts, err := testutil.ProbePython()
		if me := (*testutil.MissingError)(nil); errors.As(err, &me) {
			return "", skip("%s", me.Reason)
		}
		if err != nil {
			return "", err
		}
		// componentize-py takes ~20 s; the build is cached by its inputs.
		return pybuild.Build(context.Background(), filepath.Join(testutil.RepoRoot(t), filepath.FromSlash(src)), opts)
	}
}
