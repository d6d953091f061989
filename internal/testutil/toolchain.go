package testutil

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// RequireEnv names the environment variable that lists, comma-separated,
// the toolchains a test may not skip for: a test that finds one of them
// missing fails instead. .ci/run sets it to every toolchain it installs.
// The names are the languages of the conformance suite (go, c, rust, zig,
// assemblyscript, js, python) and the tools some tests need (wat for
// wabt's wat2wasm, curl).
const RequireEnv = "BINDERY_CONFORMANCE_REQUIRE"

// Required reports whether toolchain is listed in BINDERY_CONFORMANCE_REQUIRE.
func Required(toolchain string) bool {
	return slices.Contains(strings.Split(os.Getenv(RequireEnv), ","), toolchain)
}

// MissingError says that a toolchain a test needs is not installed.
type MissingError struct {
	// Toolchain is the name BINDERY_CONFORMANCE_REQUIRE lists it by.
	Toolchain string
	// Reason says what is missing and how to install it.
	Reason string
}

// Error implements error.
func (e *MissingError) Error() string {
	return fmt.Sprintf("no %s toolchain: %s", e.Toolchain, e.Reason)
}

// NeedToolchain returns when err is nil. Otherwise it ends t: a
// *MissingError skips the test with its reason, or fails it when the
// toolchain is required (BINDERY_CONFORMANCE_REQUIRE); any other error
// fails it. Use it after the probes of this package:
//
//	node, err := testutil.ProbeNode()
//	testutil.NeedToolchain(t, err)
func NeedToolchain(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var me *MissingError
	if !errors.As(err, &me) {
		t.Fatalf("probe: %v", err)
	}
	if Required(me.Toolchain) {
		t.Fatalf("%v; %s is required (%s=%s)", me, me.Toolchain, RequireEnv, os.Getenv(RequireEnv))
	}
	t.Skip(me.Error())
}

// LookPath finds program in PATH, or returns a *MissingError for
// toolchain that names program and, when install is not empty, how to
// install it.
func LookPath(toolchain, program, install string) (string, error) {
	p, err := exec.LookPath(program)
	if err == nil {
		return p, nil
	}
	reason := fmt.Sprintf("no %s in PATH", program)
	if install != "" {
		reason += " (" + install + ")"
	}
	return "", &MissingError{Toolchain: toolchain, Reason: reason}
}

// ProbeScript runs a guest SDK's build script with --probe (script is
// relative to the repository root, e.g. "guest-sdk/c/build.sh", or
// absolute) and
// returns what it prints on stdout, trimmed. The scripts exit with status
// 3 when their toolchain is missing: that is a *MissingError for toolchain
// with the script's reason. Any other failure is a plain error, so a
// broken script fails a test instead of skipping it.
func ProbeScript(toolchain, script string) (string, error) {
	if _, err := exec.LookPath("bash"); err != nil {
		return "", &MissingError{Toolchain: toolchain, Reason: "no bash to run " + script}
	}
	var stdout, stderr bytes.Buffer
	path := filepath.FromSlash(script)
	if !filepath.IsAbs(path) {
		path = filepath.Join(root(), path)
	}
	cmd := exec.Command("bash", path, "--probe")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 3 {
			why := strings.TrimSpace(stderr.String())
			if why == "" {
				why = strings.TrimSpace(stdout.String())
			}
			return "", &MissingError{Toolchain: toolchain, Reason: strings.TrimPrefix(why, filepath.Base(script)+": ")}
		}
		return "", fmt.Errorf("%s --probe: %w\n%s%s", script, err, stdout.Bytes(), stderr.Bytes())
	}
	return strings.TrimSpace(stdout.String()), nil
}

// ProbeNode finds node (for tests of the JavaScript toolchain that
// bindery installs itself in the user cache, internal/jsbuild), or the
// reason it is missing.
func ProbeNode() (string, error) {
	return LookPath("js", "node", "install Node.js 20 or later")
}
