package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// event is one line of go test -json (cmd/test2json's TestEvent, plus the
// build events of go test).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output, build-fail
	Test       string
	Output     string
}

// line is a piece of output (normally one line) and the test that wrote it
// ("" for the package).
type line struct{ test, text string }

// pkgRun is what a package printed so far and how each of its tests ended.
type pkgRun struct {
	lines []line
	ended map[string]string // test -> "pass", "fail" or "skip"
}

// skip is a test that skipped, with the reason it gave.
type skip struct {
	pkg, test, reason string
}

// report turns go test -json into go test's own quiet output. It is not
// safe for concurrent use.
type report struct {
	out    io.Writer
	module string // stripped from import paths: pkg names are relative
	pkgs   map[string]*pkgRun

	skips       []skip
	ran         []string // the packages that ended, relative
	conformance []string // the conformance suite's summary lines
	passed      int
	failed      int
}

func newReport(out io.Writer, module string) *report {
	return &report{out: out, module: module, pkgs: map[string]*pkgRun{}}
}

// read handles every event of r until EOF. A line that is not JSON (go
// test printing something itself) goes to the output as it is.
func (rp *report) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for sc.Scan() {
		b := sc.Bytes()
		var e event
		if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &e) != nil {
			fmt.Fprintf(rp.out, "%s\n", b)
			continue
		}
		rp.handle(e)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return nil
}

// handle takes one event.
func (rp *report) handle(e event) {
	switch e.Action {
	case "build-output":
		io.WriteString(rp.out, e.Output)
		return
	case "build-fail", "start", "run", "pause", "cont", "bench":
		return
	}
	p := rp.pkgs[e.Package]
	if p == nil {
		p = &pkgRun{ended: map[string]string{}}
		rp.pkgs[e.Package] = p
	}
	switch e.Action {
	case "output":
		p.lines = append(p.lines, line{e.Test, e.Output})
		if s, ok := strings.CutPrefix(e.Output, "conformance:"); ok {
			rp.conformance = append(rp.conformance, "conformance:"+strings.TrimRight(s, "\n"))
		}
	case "pass", "fail", "skip":
		if e.Test == "" {
			rp.ran = append(rp.ran, rp.rel(e.Package))
			rp.flush(e.Package, p, e.Action == "fail")
			delete(rp.pkgs, e.Package)
			return
		}
		p.ended[e.Test] = e.Action
		switch e.Action {
		case "pass":
			rp.passed++
		case "fail":
			rp.failed++
		case "skip":
			rp.skips = append(rp.skips, skip{pkg: rp.rel(e.Package), test: e.Test, reason: skipReason(p.lines, e.Test)})
		}
	}
}

// flush prints a package that ended: its own lines but the "PASS" of a
// test binary, and the output of the tests that failed (or never ended, if
// the package failed) as plain go test shows it: each test's "--- FAIL"
// line, then what it logged, without the === framing lines.
func (rp *report) flush(pkg string, p *pkgRun, failed bool) {
	byTest := map[string][]string{}
	for _, l := range p.lines {
		if l.test != "" && !strings.HasPrefix(l.text, "=== ") {
			byTest[l.test] = append(byTest[l.test], l.text)
		}
	}
	printed := map[string]bool{}
	for _, l := range p.lines {
		if l.test == "" {
			if l.text != "PASS\n" {
				io.WriteString(rp.out, l.text)
			}
			continue
		}
		end, ok := p.ended[l.test]
		if printed[l.test] || !(end == "fail" || (!ok && failed)) {
			continue
		}
		printed[l.test] = true
		lines := byTest[l.test]
		// The result line comes last in the stream; go test prints it first.
		if i := slices.IndexFunc(lines, func(s string) bool { return strings.HasPrefix(s, "--- FAIL: ") }); i > 0 {
			lines = append(append([]string{lines[i]}, lines[:i]...), lines[i+1:]...)
		}
		for _, t := range lines {
			io.WriteString(rp.out, t)
		}
	}
}

// finish prints the skips (the unexpected ones marked), the conformance
// summary and the counts, and returns the skips that expected does not
// list. Packages that never ended (go test was killed) are printed first.
func (rp *report) finish(expected []expectedSkip, took time.Duration) []skip {
	for _, pkg := range slices.Sorted(maps.Keys(rp.pkgs)) {
		rp.flush(pkg, rp.pkgs[pkg], true)
	}
	var unexpected []skip
	if len(rp.skips) > 0 {
		fmt.Fprintf(rp.out, "skipped %d test(s):\n", len(rp.skips))
		for _, s := range rp.skips {
			mark := "  "
			if !matchAny(expected, s) {
				mark = "! "
				unexpected = append(unexpected, s)
			}
			fmt.Fprintf(rp.out, "%s%s %s: %s\n", mark, s.pkg, s.test, s.reason)
		}
		if len(unexpected) > 0 && len(unexpected) < len(rp.skips) {
			fmt.Fprintln(rp.out, "  (! = not in the expected skips)")
		}
	}
	for _, e := range expected {
		if rp.ranAny(e.pkg) && !slices.ContainsFunc(rp.skips, func(s skip) bool { return matchAny([]expectedSkip{e}, s) }) {
			fmt.Fprintf(rp.out, "note: the expected skip %s %s did not happen\n", e.pkg, e.test)
		}
	}
	for _, c := range rp.conformance {
		fmt.Fprintln(rp.out, c)
	}
	fmt.Fprintf(rp.out, "tests: %d passed, %d failed, %d skipped (%d unexpected) in %v\n",
		rp.passed, rp.failed, len(rp.skips), len(unexpected), took.Round(time.Second))
	return unexpected
}

// rel returns pkg's import path relative to the module ("." for its root).
func (rp *report) rel(pkg string) string {
	if pkg == rp.module {
		return "."
	}
	if r, ok := strings.CutPrefix(pkg, rp.module+"/"); ok {
		return r
	}
	return pkg
}

// ranAny reports whether a package that matches the pattern pkg ran.
func (rp *report) ranAny(pkg string) bool {
	return slices.ContainsFunc(rp.ran, func(p string) bool { ok, _ := path.Match(pkg, p); return ok })
}

// skipReason is what test printed last before its "--- SKIP" line: the
// message of t.Skip, without the file:line prefix's indentation.
func skipReason(lines []line, test string) string {
	reason := "(no reason given)"
	for _, l := range lines {
		if l.test != test {
			continue
		}
		t := strings.TrimSpace(l.text)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		reason = t
	}
	return reason
}

// expectedSkip is a line of the expected-skips file.
type expectedSkip struct {
	pkg, test string // path.Match patterns
}

func matchAny(list []expectedSkip, s skip) bool {
	for _, e := range list {
		if ok, _ := path.Match(e.pkg, s.pkg); !ok {
			continue
		}
		if ok, _ := path.Match(e.test, s.test); ok {
			return true
		}
	}
	return false
}

// readExpectedSkips parses an expected-skips file: "pkg Test  # why" a
// line, blank lines and lines that start with # ignored. Every entry must
// say why.
func readExpectedSkips(name string) ([]expectedSkip, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("expected skips: %w", err)
	}
	return parseExpectedSkips(name, b)
}

func parseExpectedSkips(name string, b []byte) ([]expectedSkip, error) {
	var out []expectedSkip
	for i, l := range bytes.Split(b, []byte("\n")) {
		s := strings.TrimSpace(string(l))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		entry, why, _ := strings.Cut(s, "#")
		f := strings.Fields(entry)
		if len(f) != 2 || strings.TrimSpace(why) == "" {
			return nil, fmt.Errorf("%s:%d: want \"package TestName  # why\", got %q", name, i+1, s)
		}
		for _, p := range f {
			if _, err := path.Match(p, ""); err != nil {
				return nil, fmt.Errorf("%s:%d: %q: %w", name, i+1, p, err)
			}
		}
		out = append(out, expectedSkip{pkg: f[0], test: f[1]})
	}
	return out, nil
}
