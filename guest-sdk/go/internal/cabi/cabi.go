//go:build wasip1

// Package cabi is the guest half of the Canonical ABI for big Go
// (GOOS=wasip1, GOARCH=wasm): the cabi_realloc export, loads and stores at
// linear-memory addresses, and the option/tuple types the generated bindings
// use. User code never imports it.
//
// # Memory
//
// Everything the host allocates through cabi_realloc comes from an arena:
// generated import wrappers take a Mark before the call, copy the results
// into ordinary Go values, and Reset to the mark afterwards; the export's
// post-return resets the arena to empty. The arena's chunks are Go heap
// memory, which the Go garbage collector never moves, and they stay
// reachable from the arena, so the host may write to them until the reset.
//
// Pointers passed to the host are taken with StringPtr and BytesPtr, which
// make their argument escape: the compiler then keeps the data on the heap,
// never on a goroutine stack that could move while the host reads it.
package cabi

import (
	"unsafe"
)

// Option is a WIT option<T>.
type Option[T any] struct {
	Some  bool
	Value T
}

// Tuple2 is a WIT tuple<A, B>.
type Tuple2[A, B any] struct {
	F0 A
	F1 B
}

const chunkSize = 64 << 10

type arena struct {
	chunks [][]byte // chunks[len-1] is current
	used   int      // bytes used in the current chunk
	big    [][]byte // allocations larger than a chunk
}

var (
	heap    arena
	sink    unsafe.Pointer
	retArea [128]uint64 // bindgen's maxRetArea (1024 bytes)
)

// Position is an arena position from Mark.
type Position struct{ chunk, used, big int }

// Mark returns the arena's current position.
func Mark() Position { return Position{len(heap.chunks), heap.used, len(heap.big)} }

// Reset frees every allocation made since p.
func Reset(p Position) {
	if p.chunk == 0 {
		heap.used = 0
		if len(heap.chunks) > 1 {
			heap.chunks = heap.chunks[:1]
		}
	} else {
		heap.chunks = heap.chunks[:p.chunk]
		heap.used = p.used
	}
	for i := p.big; i < len(heap.big); i++ {
		heap.big[i] = nil
	}
	heap.big = heap.big[:p.big]
}

// ResetAll frees every arena allocation; the SDK calls it after each request.
func ResetAll() { Reset(Position{}) }

// Alloc returns the address of size fresh bytes aligned to align.
func Alloc(size, align uint32) uint32 {
	if size == 0 {
		return align
	}
	if size > chunkSize/4 {
		b := make([]byte, size+align)
		heap.big = append(heap.big, b)
		p := uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
		return (p + align - 1) &^ (align - 1)
	}
	if len(heap.chunks) == 0 {
		heap.chunks = append(heap.chunks, make([]byte, chunkSize))
	}
	for {
		c := heap.chunks[len(heap.chunks)-1]
		base := uint32(uintptr(unsafe.Pointer(unsafe.SliceData(c))))
		start := (base + uint32(heap.used) + align - 1) &^ (align - 1)
		if end := start + size - base; int(end) <= len(c) {
			heap.used = int(end)
			return start
		}
		heap.chunks = append(heap.chunks, make([]byte, chunkSize))
		heap.used = 0
	}
}

//go:wasmexport cabi_realloc
func cabiRealloc(oldPtr, oldSize, align, newSize uint32) uint32 {
	p := Alloc(newSize, align)
	if oldPtr != 0 && oldSize > 0 {
		copy(unsafe.Slice((*byte)(at(p)), newSize), unsafe.Slice((*byte)(at(oldPtr)), min(oldSize, newSize)))
	}
	return p
}

// RetArea returns the address of the shared area where the host writes
// results passed by pointer.
func RetArea() uint32 { return uint32(uintptr(unsafe.Pointer(&retArea))) }

// ExportArea returns an area for an export's results, valid until post-return.
func ExportArea(size, align uint32) uint32 { return Alloc(size, align) }

// StringPtr returns the address of s's bytes, making s escape to the heap.
func StringPtr(s string) uint32 {
	p := unsafe.Pointer(unsafe.StringData(s))
	sink = p
	return uint32(uintptr(p))
}

// BytesPtr returns the address of b's bytes, making b escape to the heap.
func BytesPtr(b []byte) uint32 {
	p := unsafe.Pointer(unsafe.SliceData(b))
	sink = p
	return uint32(uintptr(p))
}

// at converts a linear-memory address to a pointer. (unsafe.Add from nil
// rather than a uintptr conversion: the address is not a Go pointer that
// vet could track, it is an offset in the one linear memory.)
func at(p uint32) unsafe.Pointer { return unsafe.Add(nil, uintptr(p)) }

// U8 loads a byte.
func U8(p uint32) uint8 { return *(*uint8)(at(p)) }

// U16 loads a u16.
func U16(p uint32) uint16 { return *(*uint16)(at(p)) }

// U32 loads a u32.
func U32(p uint32) uint32 { return *(*uint32)(at(p)) }

// U64 loads a u64.
func U64(p uint32) uint64 { return *(*uint64)(at(p)) }

// PutU8 stores a byte.
func PutU8(p uint32, v uint8) { *(*uint8)(at(p)) = v }

// PutU16 stores a u16.
func PutU16(p uint32, v uint16) { *(*uint16)(at(p)) = v }

// PutU32 stores a u32.
func PutU32(p uint32, v uint32) { *(*uint32)(at(p)) = v }

// PutU64 stores a u64.
func PutU64(p uint32, v uint64) { *(*uint64)(at(p)) = v }

// BoolU8 converts a bool to 0 or 1.
func BoolU8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// Lifted strings and byte lists up to liftMax bytes are carved out of
// shared liftChunk-byte chunks rather than allocated one by one: an
// allocation costs ~0.3–0.6 µs in Go-on-Wasm, and a request's method, URL
// and header names and values are a dozen small strings. A chunk is never
// reused: it is freed by the GC once nothing points into it, so a string
// that outlives its request stays valid (and keeps at most one chunk
// alive).
const (
	liftChunk = 4 << 10
	liftMax   = 512
)

// lift is the unused tail of the current chunk.
var lift []byte

// liftBuf returns n fresh bytes (len == cap, so an append never reaches a
// neighbour).
func liftBuf(n uint32) []byte {
	if n > liftMax {
		return make([]byte, n)
	}
	if int(n) > len(lift) {
		lift = make([]byte, liftChunk)
	}
	b := lift[:n:n]
	lift = lift[n:]
	return b
}

// String copies the string at p.
func String(p, n uint32) string {
	if n == 0 {
		return ""
	}
	b := liftBuf(n)
	copy(b, unsafe.Slice((*byte)(at(p)), n))
	return unsafe.String(unsafe.SliceData(b), n)
}

// Bytes copies the bytes at p.
func Bytes(p, n uint32) []byte {
	if n == 0 {
		return nil
	}
	b := liftBuf(n)
	copy(b, unsafe.Slice((*byte)(at(p)), n))
	return b
}

// View returns the bytes at p without copying; valid until the next Reset.
func View(p, n uint32) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(at(p)), n)
}
