package jssdk_test

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

// TestQueueNode runs test/queue.test.mjs under node (node --test):
// src/queue.js's producer (what send and sendBatch hand the host for each
// content type, workerd's errors), its consumer (bodies decoded per
// content type, the ack/retry rules and warnings of workerd's queue.c++,
// the outcome of a handler that throws, waits or is missing) and the
// scheduled handler. It skips when node is missing (fails when js is
// required: testutil.NeedToolchain).
func TestQueueNode(t *testing.T) {
	node, err := testutil.ProbeNode()
	testutil.NeedToolchain(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=tap", filepath.Join("test", "queue.test.mjs"))
	cmd.Dir = filepath.Join(testutil.RepoRoot(t), "guest-sdk", "js")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test test/queue.test.mjs: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^# pass (\d+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("node --test printed no pass count:\n%s", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 50 {
		t.Errorf("only %d node tests passed:\n%s", n, out)
	}
}
