package host

import (
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// limitAllocator backs each linear memory with one anonymous mapping of the
// Worker's memory limit (MAP_NORESERVE: address space, not RAM), so
// memory.grow never copies and growing past the limit fails as memory.grow
// returning -1, which the guest sees as out of memory.
type limitAllocator struct{ limit uint64 }

func (a limitAllocator) Allocate(capacity, max uint64) experimental.LinearMemory {
	size := min(max, a.limit)
	if size == 0 {
		size = 1
	}
	b, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return &sliceMemory{limit: size}
	}
	return &mmapMemory{buf: b}
}

type mmapMemory struct{ buf []byte }

func (m *mmapMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
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
