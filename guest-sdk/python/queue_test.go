package python_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/bindery-run/bindery/internal/testutil"
)

// TestQueue runs tests/test_queue.py with the machine's python3:
// bindery/_queue.py's record of a queue handler's acks and retries
// (workerd's first-call-wins rules and their warnings), message bodies
// per content type, timestamps and the scheduled controller. The
// handlers through a built Worker are the conformance Queues section
// (go test -run 'TestConformance/python' ./conformance/). It skips when
// python3 is missing (fails when python is required:
// testutil.NeedToolchain).
func TestQueue(t *testing.T) {
	python, err := testutil.LookPath("python", "python3", "install Python 3.9 or later")
	testutil.NeedToolchain(t, err)
	root := testutil.RepoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-B", filepath.Join("tests", "test_queue.py"), "-v")
	cmd.Dir = filepath.Join(root, "guest-sdk", "python")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 tests/test_queue.py: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^Ran (\d+) tests? in .*\n\nOK`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the tests did not report OK:\n%s", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 10 {
		t.Errorf("only %d Python tests ran:\n%s", n, out)
	}
}
