package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/abi/bindgen"
)

// imageFilterWIT is the test world of abi/bindgen's end-to-end tests.
var imageFilterWIT, _ = filepath.Abs("../../abi/bindgen/testdata/imagefilter/wit")

// TestBindgen runs bindery bindgen as a user would and compares what it
// wrote with the library's output for the same options.
func TestBindgen(t *testing.T) {
	res, err := bindgen.LoadWIT(imageFilterWIT)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		opts  bindgen.WorldOptions
		check string // a file that must be there
	}{
		{"default go-host", nil, bindgen.WorldOptions{World: "image-filter", Langs: []bindgen.Lang{bindgen.GoHost}}, "world_gen.go"},
		{"package", []string{"--package", "plugin"}, bindgen.WorldOptions{World: "image-filter", Package: "plugin", Langs: []bindgen.Lang{bindgen.GoHost}}, "world_gen.go"},
		{"go-guest", []string{"--lang", "go-guest"}, bindgen.WorldOptions{World: "image-filter", Langs: []bindgen.Lang{bindgen.GoGuest}}, "world_cabi_gen.go"},
		{"comma list", []string{"--lang", "go-host,c"}, bindgen.WorldOptions{World: "image-filter", Langs: []bindgen.Lang{bindgen.GoHost, bindgen.C}}, "c/image_filter_world.h"},
		{"repeated", []string{"--lang", "go-host", "--lang", "go-guest", "--lang=c"}, bindgen.WorldOptions{World: "image-filter", Langs: bindgen.Langs()}, "go-guest/world_exports_gen.go"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"bindgen", "--wit", imageFilterWIT, "--world", "image-filter", "--out", out}, tc.args...)
			stdout, stderr, err := runCLI(t, "", args...)
			if err != nil || stderr != "" {
				t.Fatalf("err = %v, stderr = %q", err, stderr)
			}
			want, err := bindgen.GenerateWorld(res, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(stdout, "wrote ") {
				t.Errorf("stdout = %q", stdout)
			}
			for _, f := range want {
				got, err := os.ReadFile(filepath.Join(out, f.Path))
				if err != nil || !bytes.Equal(got, f.Data) {
					t.Errorf("%s: not what the library generates (%v)", f.Path, err)
				}
			}
			if _, err := os.Stat(filepath.Join(out, tc.check)); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestBindgenErrors: each mistake is an error that says what to do.
func TestBindgenErrors(t *testing.T) {
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "plugin.wit"), []byte("package a:b;\n\nworld w {\n  export f: func(x: u32) -> nope;\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr error // nil: any error but a usage error
		want    string
	}{
		{"unknown world", []string{"--world", "nope", "--out", "o"}, nil, `no world "nope" in the WIT; there are: example:image/image-filter`},
		{"no world", []string{"--out", "o"}, nil, "--world NAME is required; the WIT has: example:image/image-filter"},
		{"no out", []string{"--world", "image-filter"}, errUsage, "--out DIR is required"},
		{"bad lang", []string{"--world", "image-filter", "--out", "o", "--lang", "go-host,rust"}, errUsage, `unknown language "rust"`},
		{"bad package", []string{"--world", "image-filter", "--out", "o", "--package", "my-pkg"}, nil, `"my-pkg" is not a Go package name`},
		{"argument", []string{"--world", "image-filter", "--out", "o", "extra"}, errUsage, `unexpected argument "extra"`},
		{"missing wit", []string{"--wit", filepath.Join(bad, "none"), "--world", "w", "--out", "o"}, nil, "none"},
		{"bad wit", []string{"--wit", bad, "--world", "w", "--out", "o"}, nil, "plugin.wit:4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"bindgen", "--wit", imageFilterWIT}, tc.args...)
			stdout, stderr, err := runCLI(t, t.TempDir(), args...)
			if err == nil {
				t.Fatalf("no error; stdout %q", stdout)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && errors.Is(err, errUsage) {
				t.Errorf("err = %v, want a plain error", err)
			}
			msg := stderr
			if !errors.Is(err, errUsage) {
				msg = err.Error()
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q lacks %q", msg, tc.want)
			}
		})
	}
}

// TestBindgenHelp: bindery bindgen --help describes the languages.
func TestBindgenHelp(t *testing.T) {
	out, _, err := runCLI(t, "", "bindgen", "--help")
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"Usage: bindery bindgen", "go-host", "go-guest", "--lang LANG", "--world NAME", "wit-bindgen"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = runCLI(t, "", "--help")
	if !strings.Contains(out, "bindery bindgen --world NAME --out DIR") {
		t.Errorf("bindery --help does not list bindgen:\n%s", out)
	}
}
