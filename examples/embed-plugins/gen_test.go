package embedplugins_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bindery-run/bindery/abi/bindgen"
)

// TestGeneratedFresh: the committed bindings are what the generator makes
// from wit/ now (gen.go's go:generate lines), and no stale generated file
// is left beside them.
func TestGeneratedFresh(t *testing.T) {
	res, err := bindgen.LoadWIT(filepath.Join(here(), "wit"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		lang bindgen.Lang
		dir  string
	}{
		{bindgen.GoHost, "imagefilter"},
		{bindgen.GoGuest, "plugins/go/imagefilter"},
		{bindgen.C, "plugins/c/imagefilter"},
	} {
		t.Run(string(tt.lang), func(t *testing.T) {
			files, err := bindgen.GenerateWorld(res, bindgen.WorldOptions{World: "image-filter", Langs: []bindgen.Lang{tt.lang}})
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(here(), filepath.FromSlash(tt.dir))
			var want []string
			for _, f := range files {
				want = append(want, filepath.FromSlash(f.Path))
				got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
				if err != nil || !bytes.Equal(got, f.Data) {
					t.Errorf("%s/%s is stale or missing (%v): run go generate ./examples/embed-plugins/", tt.dir, f.Path, err)
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if !slices.Contains(want, e.Name()) {
					t.Errorf("%s/%s is not generated any more: remove it", tt.dir, e.Name())
				}
			}
		})
	}
}
