//go:build !linux

package host

import (
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

type limitAllocator struct {
	limit   uint64
	refused *atomic.Bool
}

func (a limitAllocator) Allocate(capacity, max uint64) experimental.LinearMemory {
	return &sliceMemory{limit: min(max, a.limit), refused: a.refused}
}
