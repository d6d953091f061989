// Command testrun runs go test with -json and prints what plain go test
// prints (a line per package, and the output of the tests that failed),
// then the tests that skipped and why, the conformance suite's summary
// line and a count. make test runs it:
//
//	go run ./internal/cmd/testrun [-C dir] [-expected-skips FILE] [-strict] -- [go test flags] [packages]
//
// With -strict, or when CI=true (as in CI), a skip that the
// -expected-skips file does not list fails the run: a test that skips
// tests nothing, so CI must not pass on one it did not expect. The file
// has one skip a line, the package (its import path without the module's
// path, "." for the module's root) and the test, each a path.Match
// pattern, then "#" and why the skip is expected:
//
//	conformance TestLanguageCosts  # opt-in: BINDERY_LANG_COSTS=1
//
// The exit status is go test's when it fails, 1 for unexpected skips
// under -strict, and 2 when testrun itself cannot run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("testrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("C", ".", "run go test in `dir`")
	skipsFile := fs.String("expected-skips", "", "the `file` of skips that do not fail a strict run")
	strict := fs.Bool("strict", os.Getenv("CI") == "true", "fail on a skip the expected-skips file does not list (default: CI=true)")
	goCmd := fs.String("go", "go", "the go `command`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var expected []expectedSkip
	if *skipsFile != "" {
		var err error
		if expected, err = readExpectedSkips(*skipsFile); err != nil {
			fmt.Fprintf(stderr, "testrun: %v\n", err)
			return 2
		}
	}
	module, err := modulePath(".")
	if err != nil {
		fmt.Fprintf(stderr, "testrun: %v\n", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := exec.CommandContext(ctx, *goCmd, append([]string{"test", "-json"}, fs.Args()...)...)
	cmd.Dir = *dir
	cmd.Stderr = stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintf(stderr, "testrun: %v\n", err)
		return 2
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "testrun: %v\n", err)
		return 2
	}
	r := newReport(stdout, module)
	readErr := r.read(pipe)
	waitErr := cmd.Wait()
	if readErr != nil {
		fmt.Fprintf(stderr, "testrun: reading go test -json: %v\n", readErr)
	}

	unexpected := r.finish(expected, time.Since(start))
	if *strict && len(unexpected) > 0 {
		fmt.Fprintf(stdout, "FAIL: %d unexpected skip(s) (CI=true or -strict): a skipped test tests nothing; fix its cause, or list it in %s with why\n",
			len(unexpected), orDefault(*skipsFile, "an -expected-skips file"))
	}
	var ee *exec.ExitError
	switch {
	case errors.As(waitErr, &ee):
		if code := ee.ExitCode(); code > 0 {
			return code
		}
		return 2 // killed by a signal
	case waitErr != nil:
		fmt.Fprintf(stderr, "testrun: %v\n", waitErr)
		return 2
	case readErr != nil:
		return 2
	case r.failed > 0, *strict && len(unexpected) > 0:
		return 1 // go test exits 1 on a failure; this is in case it did not
	}
	return 0
}

// modulePath returns the path of the module that holds dir: the module
// line of the nearest go.mod at or above it.
func modulePath(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("module path: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			for line := range strings.Lines(string(b)) {
				if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
					return strings.Trim(strings.TrimSpace(m), `"`), nil
				}
			}
			return "", fmt.Errorf("module path: no module line in %s", filepath.Join(d, "go.mod"))
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("module path: %w", err)
		}
		up := filepath.Dir(d)
		if up == d {
			return "", fmt.Errorf("module path: no go.mod at or above %s", dir)
		}
		d = up
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
