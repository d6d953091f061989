// Package gcnet is the SDK's safety net beside the Go runtime's own
// garbage collections. In a reactor the Go GC's background workers never
// run between calls, so a cycle finishes only through later allocations
// (mark assists), and big garbage (request bodies, a queue batch's
// messages) can outlive many calls; so after a call the SDK collects
// once Every bytes have been allocated since the last collection it made.
package gcnet

import (
	"runtime"
	"runtime/metrics"
)

// Every is how many bytes a Worker may allocate before Check collects.
const Every = 16 << 20

var (
	sample    = []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	lastAlloc uint64
)

// Check reads the allocation counter (~3 µs in Wasm, ~12 µs when its code
// is cold) and runs runtime.GC when Every bytes have been allocated since
// the last collection Check made.
func Check() {
	metrics.Read(sample)
	if a := sample[0].Value.Uint64(); a-lastAlloc > Every {
		runtime.GC()
		lastAlloc = a
	}
}
