//go:build wasip1

// Command guest-bindery is the Bindery guest of the Extism comparison
// (GOOS=wasip1 -buildmode=c-shared): it exports the shapes world's
// describe (wit/shapes.wit) with the Canonical ABI, written by hand, and
// a trivial area export that the benchmarks call raw through wazero.
package main

import (
	"strconv"
	"unsafe"
)

// arena serves cabi_realloc; post-return empties it.
var (
	arena []byte
	keep  string // the label, alive until post-return
	ret   [2]uint64
)

func at(p uint32) unsafe.Pointer { return unsafe.Add(nil, uintptr(p)) }

//go:wasmexport cabi_realloc
func cabiRealloc(oldPtr, oldSize, align, newSize uint32) uint32 {
	if newSize == 0 {
		return align
	}
	if cap(arena)-len(arena) < int(newSize+align) {
		arena = make([]byte, 0, max(64<<10, int(newSize+align)))
	}
	base := uint32(uintptr(unsafe.Pointer(unsafe.SliceData(arena))))
	start := (base + uint32(len(arena)) + align - 1) &^ (align - 1)
	arena = arena[:start-base+newSize]
	if oldPtr != 0 && oldSize > 0 {
		copy(unsafe.Slice((*byte)(at(start)), newSize), unsafe.Slice((*byte)(at(oldPtr)), min(oldSize, newSize)))
	}
	return start
}

// describe is the shapes world's describe: the record params flattens to
// (width, height, name ptr, name len); the record outcome is returned
// through a pointer to {area u64, label ptr u32, label len u32}.
//
//go:wasmexport describe
func describe(width, height, namePtr, nameLen uint32) uint32 {
	name := string(unsafe.Slice((*byte)(at(namePtr)), nameLen))
	keep = name + " " + strconv.FormatUint(uint64(width), 10) + "x" + strconv.FormatUint(uint64(height), 10)
	ret[0] = uint64(width) * uint64(height)
	ret[1] = uint64(uintptr(unsafe.Pointer(unsafe.StringData(keep)))) | uint64(len(keep))<<32
	return uint32(uintptr(unsafe.Pointer(&ret)))
}

//go:wasmexport cabi_post_describe
func postDescribe(uint32) {
	keep = ""
	arena = arena[:0]
}

// area is the floor of a Go guest's export call: flat numbers in and out,
// no memory.
//
//go:wasmexport area
func area(width, height uint32) uint64 { return uint64(width) * uint64(height) }

func main() {}
