//go:build !wasip1

package extismbench

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/abi/bindgen"
)

// TestGeneratedFresh: the committed bindings are what the generator makes
// from wit/ now (gen.go's go:generate lines).
func TestGeneratedFresh(t *testing.T) {
	res, err := bindgen.LoadWIT("wit")
	if err != nil {
		t.Fatal(err)
	}
	for lang, dir := range map[bindgen.Lang]string{bindgen.GoHost: "shapes", bindgen.GoGuest: "guest-bindery/shapes"} {
		files, err := bindgen.GenerateWorld(res, bindgen.WorldOptions{World: "shapes", Langs: []bindgen.Lang{lang}})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
			if err != nil || !bytes.Equal(got, f.Data) {
				t.Errorf("%s/%s is stale or missing (%v): run go generate in bench/extism", dir, f.Path, err)
			}
		}
	}
}
