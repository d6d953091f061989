package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/internal/testutil"
)

// TestMakeRunInstall checks the newcomer's Makefile targets: make run
// serves on PORT (default 8787), and make install puts a working bindery
// in PREFIX/bin (default the first GOPATH entry's bin).
func TestMakeRunInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs make")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make:", err)
	}
	root := testutil.RepoRoot(t)
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	gobin := filepath.Join(filepath.SplitList(strings.TrimSpace(string(gopath)))[0], "bin")
	dry := []struct {
		args []string
		want string // in make -n's commands
	}{
		{[]string{"run"}, "dev --no-build --port 8787"},
		{[]string{"run", "PORT=9123"}, "dev --no-build --port 9123"},
		{[]string{"install"}, filepath.Join(gobin, "bindery")},
		{[]string{"install", "PREFIX=/opt/x"}, "/opt/x/bin/bindery"},
	}
	for _, tc := range dry {
		cmd := exec.Command("make", append([]string{"-n"}, tc.args...)...)
		cmd.Dir = root
		cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
			return strings.HasPrefix(kv, "PORT=") || strings.HasPrefix(kv, "PREFIX=")
		})
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("make -n %s: %v; output lacks %q:\n%s", strings.Join(tc.args, " "), err, tc.want, out)
		}
	}

	// A real install, of a binary built into the test's directory.
	tmp := t.TempDir()
	prefix := filepath.Join(tmp, "prefix")
	cmd := exec.Command("make", "install", "PREFIX="+prefix, "BIN="+filepath.Join(tmp, "build", "bindery"))
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	out, err := exec.Command(filepath.Join(prefix, "bin", "bindery"), "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "bindery "+version) {
		t.Errorf("installed bindery version: %q, %v", out, err)
	}
}
