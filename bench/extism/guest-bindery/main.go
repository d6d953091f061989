//go:build wasip1

// Command guest-bindery is the Bindery guest of the Extism comparison
// (GOOS=wasip1 -buildmode=c-shared): the shapes world's describe
// (wit/shapes.wit) on the generated Go guest bindings (shapes/), and a
// trivial area export that the benchmarks call raw through wazero.
package main

import (
	"strconv"

	"github.com/bindery-run/bindery/bench/extism/guest-bindery/shapes"
)

func init() { shapes.Exports.Describe = describe }

func describe(p shapes.Params) shapes.Outcome {
	return shapes.Outcome{
		Area:  uint64(p.Width) * uint64(p.Height),
		Label: p.Name + " " + strconv.FormatUint(uint64(p.Width), 10) + "x" + strconv.FormatUint(uint64(p.Height), 10),
	}
}

// area is the floor of a Go guest's export call: flat numbers in and out,
// no memory.
//
//go:wasmexport area
func area(width, height uint32) uint64 { return uint64(width) * uint64(height) }

func main() {}
