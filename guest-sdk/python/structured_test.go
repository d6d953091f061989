package python_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/bindery-run/bindery/internal/testutil"
)

// TestStructured runs tests/test_structured.py with the machine's python3:
// bindery/structured.py against every vector of the shared file
// wit/deps/durable/testdata/structured-values.json (encode, decode,
// round trip, errors) and Python's own mappings and refusals. It skips
// when python3 is missing (fails when python is required:
// testutil.NeedToolchain).
func TestStructured(t *testing.T) {
	python, err := testutil.LookPath("python", "python3", "install Python 3.9 or later")
	testutil.NeedToolchain(t, err)
	root := testutil.RepoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-B", filepath.Join("tests", "test_structured.py"), "-v")
	cmd.Dir = filepath.Join(root, "guest-sdk", "python")
	cmd.Env = append(os.Environ(), "STRUCTURED_VECTORS="+filepath.Join(root, "wit", "deps", "durable", "testdata", "structured-values.json"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 tests/test_structured.py: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^Ran (\d+) tests? in .*\n\nOK`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the tests did not report OK:\n%s", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 10 {
		t.Errorf("only %d Python tests ran:\n%s", n, out)
	}
}
