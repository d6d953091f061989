package bindgen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// imageFilterOutputs are where testdata/imagefilter keeps each language's
// generated bindings.
var imageFilterOutputs = map[Lang]string{
	GoHost:  "host",
	GoGuest: "go/imagefilter",
	C:       "c/gen",
}

// TestWorldGolden regenerates testdata/imagefilter's bindings and compares
// them with the committed ones, which the end-to-end tests build. After a
// change to the generator, run go test ./abi/bindgen -run WorldGolden
// -update and review the diff.
func TestWorldGolden(t *testing.T) {
	res, err := LoadWIT(filepath.Join(imageFilterDir, "wit"))
	if err != nil {
		t.Fatal(err)
	}
	for lang, dir := range imageFilterOutputs {
		files, err := GenerateWorld(res, WorldOptions{World: "image-filter", Langs: []Lang{lang}})
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		dir = filepath.Join(imageFilterDir, dir)
		if *update {
			if err := WriteFiles(dir, files); err != nil {
				t.Fatal(err)
			}
			continue
		}
		for _, f := range files {
			got, err := os.ReadFile(filepath.Join(dir, f.Path))
			if err != nil || !bytes.Equal(got, f.Data) {
				t.Errorf("%s/%s is stale: run go test ./abi/bindgen -run WorldGolden -update", dir, f.Path)
			}
		}
	}
}

// TestGenerateWorldErrors: what a user gets wrong is an error that says what.
func TestGenerateWorldErrors(t *testing.T) {
	res, err := LoadWIT(filepath.Join(imageFilterDir, "wit"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts WorldOptions
		want string
	}{
		{"unknown world", WorldOptions{World: "nope"}, `no world "nope" in the WIT; there are: example:image/image-filter`},
		{"bad package", WorldOptions{World: "image-filter", Package: "image-filter"}, `"image-filter" is not a Go package name`},
		{"bad language", WorldOptions{World: "image-filter", Langs: []Lang{"rust"}}, `unknown language "rust"`},
	} {
		_, err := GenerateWorld(res, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
	if _, err := LoadWIT(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("LoadWIT of a missing folder: no error")
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "x.wit"), []byte("package a:b;\n\nworld w {\n  export f: func() -> nope;\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadWIT(bad); err == nil || !strings.Contains(err.Error(), "x.wit:4") {
		t.Errorf("LoadWIT of bad WIT: err = %v, want it to name x.wit:4", err)
	}
}

// TestGenerateWorldLayout: several languages go into folders named after
// them; one goes straight into the output folder.
func TestGenerateWorldLayout(t *testing.T) {
	res, err := LoadWIT(filepath.Join(imageFilterDir, "wit"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := GenerateWorld(res, WorldOptions{World: "example:image/image-filter"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		dir, _, ok := strings.Cut(f.Path, "/")
		if !ok || dir != string(f.Lang) {
			t.Errorf("%s (%s) is not under %s/", f.Path, f.Lang, f.Lang)
		}
		seen[dir] = true
	}
	if len(seen) != 3 {
		t.Errorf("folders %v, want go-host, go-guest and c", seen)
	}
	one, err := GenerateWorld(res, WorldOptions{World: "image-filter", Langs: []Lang{GoHost}, Package: "plugin"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range one {
		if strings.Contains(f.Path, "/") || !bytes.Contains(f.Data, []byte("package plugin\n")) {
			t.Errorf("%s: want a file of package plugin in the output folder", f.Path)
		}
	}
}

// TestWorldRecordError: a record used as an export's error prints its
// fields (without calling its own Error method again).
func TestWorldRecordError(t *testing.T) {
	dir := t.TempDir()
	src := "package test:r@0.1.0;\n\nworld w {\n  record failure { code: u32, message: string }\n  export f: func() -> result<u8, failure>;\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "w.wit"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := LoadWIT(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := GenerateWorld(res, WorldOptions{World: "w", Langs: []Lang{GoHost}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path == "world_types_gen.go" && !bytes.Contains(f.Data, []byte("type plain Failure")) {
			t.Errorf("Failure.Error does not print a method-less copy:\n%s", f.Data)
		}
	}
}
