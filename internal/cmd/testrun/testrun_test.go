package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/internal/testutil"
)

var duration = regexp.MustCompile(`\(\d+\.\d+s\)`)

// TestRun runs go test on testdata/sample (its own module) through run and
// checks the exit status and what a developer sees.
func TestRun(t *testing.T) {
	goCmd, err := testutil.LookPath("go", "go", "")
	testutil.NeedToolchain(t, err)
	skips := filepath.Join(t.TempDir(), "expected-skips")
	if err := os.WriteFile(skips, []byte("# sample\nexample.com/sample TestSkip  # no widget here\nexample.com/sample TestParent/*  # a sub reason\nexample.com/sample TestGone  # stale\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		flags []string // testrun's
		run   string   // go test -run
		pkg   string
		code  int
		want  []string // in the output
		never []string // not in the output
	}{
		{name: "pass", run: "TestPass$", code: 0,
			want:  []string{"ok  \texample.com/sample\t", "tests: 1 passed, 0 failed, 0 skipped (0 unexpected) in "},
			never: []string{"=== RUN", "--- PASS", "a passing test's log", "\nPASS\n", "skipped 1"}},
		{name: "a failure fails", run: "TestPass$|TestFail$", code: 1,
			want:  []string{"--- FAIL: TestFail (Ts)\n    sample_test.go:13: a failing test's log\n    sample_test.go:14: boom\n", "FAIL\texample.com/sample\t", "1 passed, 1 failed"},
			never: []string{"=== RUN", "--- PASS", "a passing test's log"}},
		{name: "a skip outside CI is listed", run: "TestSkip$", code: 0,
			want:  []string{"skipped 1 test(s):\n! example.com/sample TestSkip: sample_test.go:17: no widget installed\n", "0 passed, 0 failed, 1 skipped (1 unexpected)"},
			never: []string{"FAIL"}},
		{name: "an unexpected skip fails a strict run", flags: []string{"-strict"}, run: "TestSkip$", code: 1,
			want: []string{"! example.com/sample TestSkip: sample_test.go:17: no widget installed", "FAIL: 1 unexpected skip(s)", "ok  \texample.com/sample"}},
		{name: "an expected skip does not", flags: []string{"-strict", "-expected-skips", skips}, run: "TestSkip$", code: 0,
			want:  []string{"  example.com/sample TestSkip: sample_test.go:17: no widget installed", "1 skipped (0 unexpected)", "note: the expected skip example.com/sample TestGone did not happen"},
			never: []string{"FAIL", "!"}},
		{name: "subtests", flags: []string{"-strict", "-expected-skips", skips}, run: "TestParent$", code: 1,
			want:  []string{"--- FAIL: TestParent (Ts)\n--- FAIL: TestParent/bad (Ts)\n    sample_test.go:21: bad broke\n", "  example.com/sample TestParent/skipped: sample_test.go:22: sub reason", "1 passed, 2 failed, 1 skipped (0 unexpected)"},
			never: []string{"ok's log", "--- PASS", "--- SKIP", "FAIL: 1 unexpected"}},
		{name: "a failure and an unexpected skip", flags: []string{"-strict"}, run: "TestFail$|TestSkip$", code: 1,
			want: []string{"boom", "! example.com/sample TestSkip", "FAIL: 1 unexpected skip(s)"}},
		{name: "the conformance line comes last", run: "TestConformanceLine$", code: 0,
			want: []string{"ok  \texample.com/sample\t", "\nconformance: ran go; skipped rust (no cargo)\ntests: 1 passed"}},
		{name: "a build failure fails", pkg: "./broken", code: 1,
			want: []string{"broken_test.go:5:", "FAIL\texample.com/sample/broken [build failed]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pkg := tc.pkg
			if pkg == "" {
				pkg = "."
			}
			args := append([]string{"-go", goCmd, "-C", filepath.Join("testdata", "sample"), "-strict=false"}, tc.flags...)
			args = append(args, "--", "-count=1", "-run", tc.run, pkg)
			var stdout, stderr bytes.Buffer
			start := time.Now()
			code := run(args, &stdout, &stderr)
			// Durations vary: "--- FAIL: TestX (0.01s)" reads "(Ts)".
			out := duration.ReplaceAllString(stdout.String()+stderr.String(), "(Ts)")
			t.Logf("testrun %s (%v):\n%s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond), out)
			if code != tc.code {
				t.Errorf("exit status %d, want %d", code, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("the output lacks %q", w)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(out, n) {
					t.Errorf("the output has %q", n)
				}
			}
		})
	}
}

func TestParseExpectedSkips(t *testing.T) {
	tests := []struct {
		name, text string
		want       []expectedSkip
		wantErr    string
	}{
		{name: "empty", text: ""},
		{name: "comments and blanks", text: "# header\n\n   \n# more\n"},
		{name: "entries", text: "conformance TestLanguageCosts  # opt-in\nbindings/r2 TestCrash*#child\n",
			want: []expectedSkip{{"conformance", "TestLanguageCosts"}, {"bindings/r2", "TestCrash*"}}},
		{name: "no reason", text: "conformance TestLanguageCosts\n", wantErr: "f:1: want"},
		{name: "empty reason", text: "\nconformance TestLanguageCosts  #  \n", wantErr: "f:2: want"},
		{name: "no test", text: "conformance  # why\n", wantErr: "f:1: want"},
		{name: "three fields", text: "a b c  # why\n", wantErr: "f:1: want"},
		{name: "bad pattern", text: "a Test[  # why\n", wantErr: `f:1: "Test[": syntax error in pattern`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseExpectedSkips("f", []byte(tc.text))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("entry %d = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestMatchAny(t *testing.T) {
	list := []expectedSkip{{"conformance", "TestLanguageCosts"}, {"bindings/*", "TestCrashChild"}, {"host", "TestX/*"}}
	tests := []struct {
		s    skip
		want bool
	}{
		{skip{pkg: "conformance", test: "TestLanguageCosts"}, true},
		{skip{pkg: "conformance", test: "TestLanguageCosts/go"}, false}, // a subtest is its own skip
		{skip{pkg: "conformance", test: "TestConformance"}, false},
		{skip{pkg: "bindings/r2", test: "TestCrashChild"}, true},
		{skip{pkg: "bindings/r2/s3", test: "TestCrashChild"}, false}, // * stops at /
		{skip{pkg: "host", test: "TestX/sub"}, true},
		{skip{pkg: "host", test: "TestX"}, false},
		{skip{pkg: "abi", test: "TestLanguageCosts"}, false},
	}
	for _, tc := range tests {
		if got := matchAny(list, tc.s); got != tc.want {
			t.Errorf("matchAny(%v) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

// TestReport feeds events that go test prints rarely: a package whose
// binary died (no terminal events for its running test), output that is
// not JSON, and an import path outside the module.
func TestReport(t *testing.T) {
	stream := strings.Join([]string{
		`{"Action":"start","Package":"m/a"}`,
		`{"Action":"run","Package":"m/a","Test":"TestHang"}`,
		`{"Action":"output","Package":"m/a","Test":"TestHang","Output":"=== RUN   TestHang\n"}`,
		`{"Action":"output","Package":"m/a","Test":"TestHang","Output":"panic: test timed out after 10m0s\n"}`,
		`{"Action":"output","Package":"m/a","Output":"FAIL\tm/a\t600.1s\n"}`,
		`{"Action":"fail","Package":"m/a"}`,
		`go: something printed as text`,
		`{"Action":"skip","Package":"other/b","Test":"TestS"}`,
		`{"Action":"skip","Package":"m","Test":"TestRoot"}`,
		``,
	}, "\n")
	var out bytes.Buffer
	rp := newReport(&out, "m")
	if err := rp.read(strings.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	unexpected := rp.finish([]expectedSkip{{".", "TestRoot"}}, time.Second)
	want := "panic: test timed out after 10m0s\nFAIL\tm/a\t600.1s\ngo: something printed as text\n" +
		"skipped 2 test(s):\n! other/b TestS: (no reason given)\n  . TestRoot: (no reason given)\n  (! = not in the expected skips)\n" +
		"tests: 0 passed, 0 failed, 2 skipped (1 unexpected) in 1s\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if len(unexpected) != 1 || unexpected[0].test != "TestS" {
		t.Errorf("unexpected = %v", unexpected)
	}
}
