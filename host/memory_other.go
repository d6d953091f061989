//go:build !linux

package host

import "github.com/tetratelabs/wazero/experimental"

type limitAllocator struct{ limit uint64 }

func (a limitAllocator) Allocate(capacity, max uint64) experimental.LinearMemory {
	return &sliceMemory{limit: min(max, a.limit)}
}
