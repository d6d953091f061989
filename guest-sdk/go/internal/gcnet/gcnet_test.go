package gcnet

import (
	"runtime"
	"runtime/debug"
	"testing"
)

var sink []byte

func numGC() uint32 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.NumGC
}

// Check collects once Every bytes were allocated since its last
// collection, and not before.
func TestCheck(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // only Check collects
	Check()                                          // collects if the test binary allocated Every bytes already
	n := numGC()
	sink = make([]byte, 1<<20)
	Check()
	if got := numGC(); got != n {
		t.Errorf("after 1 MiB: %d collections, want none", got-n)
	}
	for range 2 * Every >> 20 {
		sink = make([]byte, 1<<20)
	}
	n = numGC()
	Check()
	if got := numGC(); got == n {
		t.Error("after 2*Every bytes: no collection")
	}
}
