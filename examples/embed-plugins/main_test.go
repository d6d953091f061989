package embedplugins_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	embedplugins "github.com/bindery-run/bindery/examples/embed-plugins"
	"github.com/bindery-run/bindery/host"
)

// TestMain builds the plugins once (see setup): the Examples need them
// too, and they have no *testing.T.
func TestMain(m *testing.M) {
	dir, err := setup()
	pluginDir = dir
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "embed-plugins:", err)
	} else {
		code = m.Run()
	}
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// testCache is the compilation cache of the tests (shared with the
// repository's other tests), so that each plugin compiles once per
// machine.
func testCache() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "bindery-test", "wazero")
}

// newService loads pluginDir into a fresh Runtime; the log goes to logs.
func newService(t *testing.T, cfg embedplugins.Config) (*embedplugins.Service, *host.Runtime) {
	t.Helper()
	ctx := context.Background()
	rt, err := embedplugins.NewRuntime(ctx, testCache())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	if cfg.Dir == "" {
		cfg.Dir = pluginDir
	}
	svc, err := embedplugins.Load(ctx, rt, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(ctx) })
	return svc, rt
}
