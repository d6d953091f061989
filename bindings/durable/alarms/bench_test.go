package alarms

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkSet: replacing the alarms of 1000 objects, none due.
func BenchmarkSet(b *testing.B) {
	h := newHarness(b, 0)
	for i := 0; b.Loop(); i++ {
		h.set(fmt.Sprintf("o%03d", i%1000), t0.Add(time.Hour+time.Duration(i)*time.Millisecond))
	}
}
