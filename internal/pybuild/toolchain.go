package pybuild

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Version is the componentize-py release Bindery builds Python Workers
// with (it bundles CPython 3.14).
const Version = "0.25.1"

// ToolchainEnv names the environment variable that the scripts
// (guest-sdk/python/build.sh, install-toolchain.sh) and the tests read for
// Options.ToolchainDir; callers of this package map it themselves.
const ToolchainEnv = "BINDERY_COMPONENTIZE_PY"

// requirement is what pip installs: componentize-py, pinned by the sha256
// of its wheels on PyPI for Linux x86_64 and aarch64, macOS x86_64 and
// arm64, and Windows x86_64 (pip picks the one for this machine and
// refuses any file whose hash is not listed). It has no dependencies.
const requirement = "componentize-py==" + Version +
	" --hash=sha256:8623cd8cab8453cb0cd8bf03f3c7103420d06f2f3d360186a280a70a1ca5e89f" + // manylinux_2_28_x86_64
	" --hash=sha256:7b6a87c520358166843af0daa86d2312d7af4cbcbbf1e598951085cf7f2991ca" + // manylinux_2_28_aarch64
	" --hash=sha256:65fbc4a94df1de8acf7da50a1f5ed1711230188844e53e6332d99029be4e0afa" + // macosx_10_12_x86_64
	" --hash=sha256:a556991534cc496207a9d2ca733c4b0f17ed38ef56a8d6b5f1847fdf1225dd1b" + // macosx_11_0_arm64
	" --hash=sha256:c7fd552fb0849858b0c1e8981543ed5dff4b0cc1597a8ea0bc26a495786dc0c6" + // win_amd64
	"\n"

// marker is the file an install writes last, holding versionLine: its
// presence means the directory holds a complete install of Version.
const marker = ".installed"

// versionLine is what "componentize-py --version" prints.
const versionLine = "componentize-py " + Version

// runScript runs componentize-py's entry point with the arguments after
// -c, as its console script does, without depending on the path of the
// interpreter that installed it (the script's #! line).
const runScript = "import sys; from componentize_py import script; sys.argv[0] = 'componentize-py'; sys.exit(script())"

// toolchain is an installed componentize-py and the interpreter that runs it.
type toolchain struct {
	python, dir string
}

// command returns componentize-py with args. The environment puts the
// install first on the Python path and keeps Rust's backtraces out of
// its errors.
func (tc toolchain) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, tc.python, append([]string{"-c", runScript}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+tc.dir, "PYTHONDONTWRITEBYTECODE=1", "RUST_BACKTRACE=0", "RUST_LIB_BACKTRACE=0")
	return cmd
}

// version runs componentize-py --version.
func (tc toolchain) version(ctx context.Context) (string, error) {
	out, err := tc.command(ctx, "--version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("pybuild: componentize-py --version in %s: %w\n%s", tc.dir, err, bytes.TrimSpace(out))
	}
	return strings.TrimSpace(string(out)), nil
}

// findPython returns the interpreter to use: opts.Python, else python3,
// else python, from PATH.
func findPython(opts Options) (string, error) {
	if opts.Python != "" {
		p, err := exec.LookPath(opts.Python)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %w", ErrNoPython, opts.Python, err)
		}
		return p, nil
	}
	for _, name := range []string{"python3", "python"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: neither python3 nor python is on PATH (install Python 3.9 or later; Debian/Ubuntu: apt-get install python3 python3-pip)", ErrNoPython)
}

// checkPython says why python cannot install componentize-py: it is older
// than 3.9 (the wheels are cp39-abi3), or it has no pip.
func checkPython(ctx context.Context, python string) error {
	out, err := exec.CommandContext(ctx, python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])").Output()
	if err != nil {
		return fmt.Errorf("%w: %s does not run: %w", ErrNoPython, python, err)
	}
	v := strings.TrimSpace(string(out))
	major, minor, _ := strings.Cut(v, ".")
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil || ma < 3 || ma == 3 && mi < 9 {
		return fmt.Errorf("%w: %s is Python %s", ErrNoPython, python, v)
	}
	if out, err := exec.CommandContext(ctx, python, "-m", "pip", "--version").CombinedOutput(); err != nil {
		return fmt.Errorf("%w: %s -m pip: %w (%s); install pip (Debian/Ubuntu: apt-get install python3-pip; else %s -m ensurepip --user)",
			ErrNoPip, python, err, bytes.TrimSpace(lastLine(out)), python)
	}
	return nil
}

func lastLine(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// installed reports whether dir holds componentize-py Version. An install
// made before the marker existed (by an older install-toolchain.sh) is
// checked by running it once, and then marked.
func installed(ctx context.Context, tc toolchain) (bool, error) {
	if b, err := os.ReadFile(filepath.Join(tc.dir, marker)); err == nil {
		return strings.TrimSpace(string(b)) == versionLine, nil
	}
	if _, err := os.Stat(filepath.Join(tc.dir, "componentize_py-"+Version+".dist-info")); err != nil {
		return false, nil
	}
	v, err := tc.version(ctx)
	if err != nil || v != versionLine {
		return false, nil
	}
	// Best effort: a read-only install is used as it is.
	_ = os.WriteFile(filepath.Join(tc.dir, marker), []byte(versionLine+"\n"), 0o644)
	return true, nil
}

// ensureToolchain returns the toolchain, installing componentize-py first
// when it is missing (unless opts.NoInstall).
func ensureToolchain(ctx context.Context, opts Options) (toolchain, error) {
	python, err := findPython(opts)
	if err != nil {
		return toolchain{}, err
	}
	tc := toolchain{python: python, dir: opts.ToolchainDir}
	ok, err := installed(ctx, tc)
	if err != nil || ok {
		return tc, err
	}
	if opts.NoInstall {
		return toolchain{}, fmt.Errorf("%w in %s (guest-sdk/python/install-toolchain.sh installs it; a build without NoInstall does too)", ErrToolchainMissing, tc.dir)
	}
	return tc, install(ctx, tc, opts.Progress)
}

// install puts componentize-py Version into tc.dir with pip: into a
// temporary directory beside it, checked, marked, then renamed into place.
func install(ctx context.Context, tc toolchain, progress io.Writer) error {
	if err := checkPython(ctx, tc.python); err != nil {
		return err
	}
	parent := filepath.Dir(tc.dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("pybuild: install componentize-py: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, filepath.Base(tc.dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("pybuild: install componentize-py: %w", err)
	}
	defer os.RemoveAll(tmp)
	req := filepath.Join(tmp, "requirements.txt")
	if err := os.WriteFile(req, []byte(requirement), 0o644); err != nil {
		return fmt.Errorf("pybuild: install componentize-py: %w", err)
	}
	target := filepath.Join(tmp, "install")
	fmt.Fprintf(progress, "python: installing componentize-py %s into %s (pip, from PyPI, pinned by hash; once)\n", Version, tc.dir)
	cmd := exec.CommandContext(ctx, tc.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
		"--no-deps", "--only-binary=:all:", "--require-hashes", "--no-compile", "--target", target, "-r", req)
	cmd.Env = append(os.Environ(), "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1", "PIP_ROOT_USER_ACTION=ignore")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pybuild: pip install componentize-py==%s (with %s): %w\n%s", Version, tc.python, err, bytes.TrimSpace(out))
	}
	got := toolchain{python: tc.python, dir: target}
	v, err := got.version(ctx)
	if err != nil {
		return err
	}
	if v != versionLine {
		return fmt.Errorf("pybuild: the installed componentize-py says %q, want %q", v, versionLine)
	}
	if err := os.WriteFile(filepath.Join(target, marker), []byte(versionLine+"\n"), 0o644); err != nil {
		return fmt.Errorf("pybuild: install componentize-py: %w", err)
	}
	// Whatever is at tc.dir is not a complete install of Version (or it is
	// one another process just finished, which is as good as ours).
	if ok, _ := installed(ctx, tc); ok {
		return nil
	}
	if err := os.RemoveAll(tc.dir); err != nil {
		return fmt.Errorf("pybuild: replace %s: %w", tc.dir, err)
	}
	if err := os.Rename(target, tc.dir); err != nil {
		if ok, _ := installed(ctx, tc); ok {
			return nil
		}
		return fmt.Errorf("pybuild: install componentize-py: %w", err)
	}
	fmt.Fprintf(progress, "python: installed %s\n", versionLine)
	return nil
}

// Install makes sure componentize-py Version is installed in
// opts.ToolchainDir, installing it with pip when it is not (see the
// package doc). It ignores opts.NoInstall.
func Install(ctx context.Context, opts Options) error {
	o, err := opts.withDefaults()
	if err != nil {
		return err
	}
	o.NoInstall = false
	_, err = ensureToolchain(ctx, o)
	return err
}

// Probe reports whether Build can run without installing anything: nil
// when there is a python3 and componentize-py Version is installed in
// opts.ToolchainDir, else an error wrapping ErrNoPython or
// ErrToolchainMissing that says what to install.
func Probe(ctx context.Context, opts Options) error {
	o, err := opts.withDefaults()
	if err != nil {
		return err
	}
	o.NoInstall = true
	_, err = ensureToolchain(ctx, o)
	return err
}
