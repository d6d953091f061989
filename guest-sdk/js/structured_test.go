package jssdk_test

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

// TestStructured runs test/structured.test.mjs under node (node --test):
// src/structured.js against every vector of the shared file
// wit/deps/durable/testdata/structured-values.json (encode, decode,
// round trip, errors) and JavaScript's own mappings and refusals. It
// skips when node is missing (fails when js is required:
// testutil.NeedToolchain).
func TestStructured(t *testing.T) {
	node, err := testutil.ProbeNode()
	testutil.NeedToolchain(t, err)
	root := testutil.RepoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=tap", filepath.Join("test", "structured.test.mjs"))
	cmd.Dir = filepath.Join(root, "guest-sdk", "js")
	cmd.Env = append(os.Environ(), "STRUCTURED_VECTORS="+filepath.Join(root, "wit", "deps", "durable", "testdata", "structured-values.json"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test test/structured.test.mjs: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^# pass (\d+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("node --test printed no pass count:\n%s", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 100 {
		t.Errorf("only %d node tests passed:\n%s", n, out)
	}
}
