package host

import (
	"sync/atomic"
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// limitAllocator backs each linear memory with one anonymous mapping of the
// Worker's memory limit (MAP_NORESERVE: address space, not RAM), so
// memory.grow never copies and growing past the limit fails as memory.grow
// returning -1, which the guest sees as out of memory (and sets refused,
// so that the host can tell a guest that failed at its memory limit).
type limitAllocator struct {
	limit   uint64
	refused *atomic.Bool
}

func (a limitAllocator) Allocate(capacity, max uint64) experimental.LinearMemory {
	size := min(max, a.limit)
	if size == 0 {
		size = 1
	}
	b, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return &sliceMemory{limit: size, refused: a.refused}
	}
	return &mmapMemory{buf: b, refused: a.refused}
}

type mmapMemory struct {
	buf     []byte
	refused *atomic.Bool
}

func (m *mmapMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		if m.refused != nil {
			m.refused.Store(true)
		}
		return nil
	}
	return m.buf[:size:size]
}

func (m *mmapMemory) Free() {
	if m.buf != nil {
		syscall.Munmap(m.buf)
		m.buf = nil
	}
}
