package embedplugins_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// The plugins, built once by TestMain (build, buildC) into pluginDir
// with the manifests of plugins.d; probe gets two manifests of its own
// (testManifests).
var (
	pluginDir string
	// cMissing says why the C plugin was not built ("" when it was).
	cMissing string
)

// repo is the repository root.
func repo() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// here is this example's folder.
func here() string { return filepath.Join(repo(), "examples", "embed-plugins") }

// buildGo builds the Go plugin in plugins/go/name as a wasip1 reactor.
func buildGo(name, out string) error {
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "./"+name)
	cmd.Dir = filepath.Join(here(), "plugins", "go")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build plugin %s: %w\n%s", name, err, b)
	}
	return nil
}

// buildC builds the C plugin plugins/c/name.c with the generated
// bindings, using the clang that guest-sdk/c/build.sh finds. It returns
// errMissing (with the reason) when there is no usable clang.
func buildC(name, out string) (missing string, err error) {
	probe := exec.Command("bash", filepath.Join(repo(), "guest-sdk", "c", "build.sh"), "--probe")
	var stderr strings.Builder
	probe.Stderr = &stderr
	cc, err := probe.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
			return strings.TrimSpace(stderr.String()), nil
		}
		return "", fmt.Errorf("guest-sdk/c/build.sh --probe: %w\n%s", err, stderr.String())
	}
	dir := filepath.Join(here(), "plugins", "c")
	srcs, _ := filepath.Glob(filepath.Join(dir, "imagefilter", "*.c"))
	args := append([]string{"--target=wasm32-wasi", "-O2", "-Wall", "-Werror", "-mexec-model=reactor", "-Wl,--strip-all",
		"-I" + filepath.Join(dir, "imagefilter"), "-o", out, filepath.Join(dir, name+".c")}, srcs...)
	cmd := exec.Command(strings.TrimSpace(string(cc)), args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build plugin %s: %w\n%s", name, err, b)
	}
	return "", nil
}

// testManifests are the probe plugin's two manifests: probe gets the log
// import, an environment, a fixed clock, a read-only directory and tight
// limits; jail (the same .wasm) gets nothing but the same limits.
var testManifests = map[string]string{
	"probe.json": `{
  "imports": ["log"],
  "wasi": {"wall_clock": "fixed", "env": {"GREETING": "hello"}, "dirs": {"data": "/data"}},
  "limits": {"timeout": "300ms", "memory_mib": 64, "operations": 100}
}`,
	"jail.json": `{"limits": {"timeout": "300ms", "memory_mib": 64, "operations": 100}}`,
}

// setup builds the plugins into a fresh directory with their manifests.
func setup() (string, error) {
	dir, err := os.MkdirTemp("", "embed-plugins-*")
	if err != nil {
		return "", err
	}
	if err := buildGo("invert", filepath.Join(dir, "invert.wasm")); err != nil {
		return dir, err
	}
	if err := buildGo("probe", filepath.Join(dir, "probe.wasm")); err != nil {
		return dir, err
	}
	probe, err := os.ReadFile(filepath.Join(dir, "probe.wasm"))
	if err != nil {
		return dir, err
	}
	if err := os.WriteFile(filepath.Join(dir, "jail.wasm"), probe, 0o644); err != nil {
		return dir, err
	}
	if cMissing, err = buildC("brighten", filepath.Join(dir, "brighten.wasm")); err != nil {
		return dir, err
	}
	ms, _ := filepath.Glob(filepath.Join(here(), "plugins.d", "*.json"))
	for _, m := range ms {
		b, err := os.ReadFile(m)
		if err != nil {
			return dir, err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(m)), b, 0o644); err != nil {
			return dir, err
		}
	}
	for name, m := range testManifests {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(m), 0o644); err != nil {
			return dir, err
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return dir, err
	}
	return dir, os.WriteFile(filepath.Join(dir, "data", "hello.txt"), []byte("hello from a granted directory"), 0o644)
}

// writeFile writes text to dir/name.
func writeFile(dir, name, text string) error {
	return os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644)
}
