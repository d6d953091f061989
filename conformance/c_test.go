package conformance_test

import (
	"errors"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/internal/testutil"
)

// The C Worker (conformance/c) builds with guest-sdk/c/build.sh, which
// finds Debian's clang (19, 16 or 14) with wasi-libc; without one the
// language is skipped with build.sh's reason.
func init() {
	languages = append(languages, language{name: "c", build: buildC, durable: true})
}

func buildC(t *testing.T, dir string) (string, error) {
	root := testutil.RepoRoot(t)
	script := filepath.Join(root, "guest-sdk", "c", "build.sh")
	if err := probeToolchain(script); err != nil {
		return "", err
	}
	wasm := filepath.Join(dir, "c.wasm")
	cmd := exec.Command("bash", script, "-o", wasm, filepath.Join(root, "conformance", "c", "main.c"), filepath.Join(root, "conformance", "c", "durable.c"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New(err.Error() + "\n" + string(out))
	}
	return wasm, nil
}

// TestCSDKD1 holds guest-sdk/c's D1 layer to what the D1 section does not
// check: every value type both ways (int64 at both ends, -0.25, empty and
// NUL-holding text, which results also NUL-terminate, empty and binary
// blobs, NULL), column lookup, exec and meta, D1's errors as statuses, and
// sessions started from a bookmark (conformance/c's GET /d1x).
func TestCSDKD1(t *testing.T) {
	wasm := buildOrSkip(t, "c", func() (string, error) { return buildC(t, t.TempDir()) })
	w, _ := newWorker(t, "c-d1", wasm, func(c *host.WorkerConfig) {
		_, b := d1DB(t, t.TempDir())
		c.Bindings = append(c.Bindings, b)
	})
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest("GET", "/d1x", nil))
	want := `int -9223372036854775808;int 9223372036854775807;int -1;real -0.25;text "" nul=1;text "a\x00b" nul=1;blob ;blob 00ff;null;` +
		"col a 0 -1;exec BINDERY_OK 3;meta 2 1 1 1;none 0 1;" +
		"BINDERY_ERR_SQL;BINDERY_ERR_REFUSED;BINDERY_ERR_INVALID;BINDERY_ERR_SQL;BINDERY_ERR_LIMIT;BINDERY_ERR_NO_SUCH_BINDING;" +
		"bookmark 1;batch 3;session 3;BINDERY_ERR_INVALID;"
	if rec.Code != 200 || rec.Body.String() != want {
		t.Errorf("GET /d1x: %d %s, want %s", rec.Code, show(rec.Body.Bytes()), want)
	}
}
