package host

import "sync/atomic"

// sliceMemory is the portable fallback: a Go slice that refuses to grow past
// the limit.
type sliceMemory struct {
	buf     []byte
	limit   uint64
	refused *atomic.Bool
}

func (m *sliceMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		if m.refused != nil {
			m.refused.Store(true)
		}
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	nb := make([]byte, size, min(m.limit, max(size, 2*uint64(cap(m.buf)))))
	copy(nb, m.buf)
	m.buf = nb
	return m.buf
}

func (m *sliceMemory) Free() { m.buf = nil }
