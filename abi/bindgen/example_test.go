package bindgen_test

import (
	"fmt"
	"log"
	"os"

	"github.com/bindery-run/bindery/abi/bindgen"
)

// GenerateWorld makes the Go host package of a plugin world: the same as
// "bindery bindgen --wit testdata/imagefilter/wit --world image-filter
// --out DIR".
func ExampleGenerateWorld() {
	res, err := bindgen.LoadWIT("testdata/imagefilter/wit")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(bindgen.Worlds(res))
	files, err := bindgen.GenerateWorld(res, bindgen.WorldOptions{
		World: "image-filter",
		Langs: []bindgen.Lang{bindgen.GoHost},
	})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "imagefilter")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := bindgen.WriteFiles(dir, files); err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Println(f.Lang, f.Path)
	}
	// Output:
	// [example:image/image-filter]
	// go-host info_gen.go
	// go-host log_gen.go
	// go-host world_types_gen.go
	// go-host world_imports_gen.go
	// go-host world_exports_gen.go
	// go-host world_gen.go
}
