// Package jstest builds JavaScript Workers for tests, as bindery dev does
// (internal/jsbuild), skipping the test when node is missing, or failing it
// when BINDERY_CONFORMANCE_REQUIRE lists js (testutil.NeedToolchain).
package jstest

import (
	"bytes"
	"context"
	"testing"

	"github.com/bindery-run/bindery/internal/jsbuild"
	"github.com/bindery-run/bindery/internal/testutil"
)

// Build bundles the Worker at entry with the toolchain in the user cache
// (installed on first use) and returns what host.WorkerConfig takes.
func Build(t testing.TB, entry string) *jsbuild.Worker {
	t.Helper()
	return BuildOptions(t, jsbuild.Options{Entry: entry})
}

// BuildOptions is Build with the bundle's options (opts.Entry, NodeCompat,
// …); it bundles for bindery dev (opts.Dev is set).
func BuildOptions(t testing.TB, opts jsbuild.Options) *jsbuild.Worker {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the JavaScript toolchain")
	}
	_, err := testutil.ProbeNode()
	testutil.NeedToolchain(t, err)
	var progress bytes.Buffer
	tc, err := jsbuild.EnsureToolchain(context.Background(), "", &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	opts.Dev = true
	w, err := tc.Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}
