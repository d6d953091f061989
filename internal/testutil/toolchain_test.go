package testutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakeTB records how NeedToolchain ended a test. Fatalf and Skip end the
// goroutine, as testing's do.
type fakeTB struct {
	testing.TB
	ended, msg string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.ended, f.msg = "fail", fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Skip(args ...any) {
	f.ended, f.msg = "skip", fmt.Sprint(args...)
	runtime.Goexit()
}

// need runs NeedToolchain(err) on a fakeTB in its own goroutine.
func need(err error) *fakeTB {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		NeedToolchain(f, err)
		f.ended = "returned"
	}()
	<-done
	return f
}

func TestNeedToolchain(t *testing.T) {
	missing := &MissingError{Toolchain: "zig", Reason: "no zig 0.17"}
	tests := []struct {
		name, require string
		err           error
		ended, msg    string
	}{
		{"nil", "zig", nil, "returned", ""},
		{"missing, not required", "", missing, "skip", "no zig toolchain: no zig 0.17"},
		{"missing, another required", "c,zigg,rust", missing, "skip", "no zig toolchain: no zig 0.17"},
		{"missing and required", "go,zig", missing, "fail", "no zig toolchain: no zig 0.17; zig is required (BINDERY_CONFORMANCE_REQUIRE=go,zig)"},
		{"wrapped and required", "zig", fmt.Errorf("build: %w", missing), "fail", "zig is required"},
		{"a broken probe", "", errors.New("build.sh --probe: exit status 1"), "fail", "probe: build.sh --probe: exit status 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(RequireEnv, tc.require)
			f := need(tc.err)
			if f.ended != tc.ended || !strings.Contains(f.msg, tc.msg) {
				t.Errorf("ended %s with %q, want %s with %q", f.ended, f.msg, tc.ended, tc.msg)
			}
		})
	}
}

func TestProbeScript(t *testing.T) {
	tests := []struct {
		name, body string
		out        string
		missing    string // the MissingError's reason; "" = none
		err        string // a plain error containing this; "" = none
	}{
		{"works", "echo /usr/bin/clang-14", "/usr/bin/clang-14", "", ""},
		{"missing", "echo 'probe.sh: no clang for wasm32' >&2; exit 3", "", "no clang for wasm32", ""},
		{"missing, reason on stdout", "echo 'no clang'; exit 3", "", "no clang", ""},
		{"broken", "echo 'syntax' >&2; exit 2", "", "", "exit status 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			script := filepath.Join(t.TempDir(), "probe.sh")
			if err := os.WriteFile(script, []byte("[ \"$1\" = --probe ] || exit 9\n"+tc.body+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			out, err := ProbeScript("c", script)
			var me *MissingError
			switch {
			case tc.missing != "":
				if !errors.As(err, &me) || me.Toolchain != "c" || me.Reason != tc.missing {
					t.Errorf("err = %v, want a MissingError for c: %q", err, tc.missing)
				}
			case tc.err != "":
				if err == nil || errors.As(err, &me) || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("err = %v, want a plain error with %q", err, tc.err)
				}
			case err != nil || out != tc.out:
				t.Errorf("ProbeScript = %q, %v; want %q", out, err, tc.out)
			}
		})
	}
}

func TestLookPath(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := LookPath("wat", "wat2wasm", "apt-get install wabt")
	var me *MissingError
	if !errors.As(err, &me) || me.Toolchain != "wat" || me.Error() != "no wat toolchain: no wat2wasm in PATH (apt-get install wabt)" {
		t.Errorf("LookPath = %v", err)
	}
}
