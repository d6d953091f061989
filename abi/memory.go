package abi

import (
	"context"
	"unicode/utf8"
)

// MaxLength is the Canonical ABI's limit on the byte length of a string or list.
const MaxLength = 1<<28 - 1

func (i *Instance) check(ptr, n uint32, align uint32) {
	if ptr&(align-1) != 0 {
		i.Trapf("address %#x is not aligned to %d", ptr, align)
	}
	if uint64(ptr)+uint64(n) > uint64(i.mem.Size()) {
		i.Trapf("out of bounds: %#x+%d is beyond memory size %d", ptr, n, i.mem.Size())
	}
}

// View returns the guest bytes [ptr, ptr+n) without copying, trapping when
// they are out of bounds. The view is valid only until memory grows.
func (i *Instance) View(ptr, n uint32) []byte {
	if n > MaxLength {
		i.Trapf("length %d is over the Canonical ABI limit", n)
	}
	b, ok := i.mem.Read(ptr, n)
	if !ok {
		i.Trapf("out of bounds: %#x+%d is beyond memory size %d", ptr, n, i.mem.Size())
	}
	return b
}

// liftBudgetSlack is what a host call may lift beyond the memory's size.
const liftBudgetSlack = 1 << 20

// spend charges n lifted bytes to the current host call's budget.
func (i *Instance) spend(n uint32) {
	if i.cur >= 0 {
		i.chargeBytes(n)
	}
	i.lifted += uint64(n)
	if i.lifted > uint64(i.mem.Size())+liftBudgetSlack {
		i.Trapf("one host call lifts %d bytes, more than guest memory holds (%d): overlapping lists?", i.lifted, i.mem.Size())
	}
}

// Bytes copies n bytes at ptr out of guest memory (a list<u8>).
func (i *Instance) Bytes(ptr, n uint32) []byte {
	v := i.View(ptr, n)
	i.spend(n)
	if len(v) == 0 {
		return nil
	}
	out := make([]byte, len(v))
	copy(out, v)
	return out
}

// String copies the string at ptr, trapping on invalid UTF-8.
func (i *Instance) String(ptr, n uint32) string {
	v := i.View(ptr, n)
	i.spend(n)
	if !utf8.Valid(v) {
		i.Trapf("string at %#x+%d is not valid UTF-8", ptr, n)
	}
	return string(v)
}

// U8 loads a u8.
func (i *Instance) U8(ptr uint32) uint8 {
	v, ok := i.mem.ReadByte(ptr)
	if !ok {
		i.check(ptr, 1, 1)
	}
	return v
}

// U16 loads a little-endian u16 at an address aligned to 2.
func (i *Instance) U16(ptr uint32) uint16 {
	i.check(ptr, 2, 2)
	v, _ := i.mem.ReadUint16Le(ptr)
	return v
}

// U32 loads a little-endian u32 at an address aligned to 4.
func (i *Instance) U32(ptr uint32) uint32 {
	i.check(ptr, 4, 4)
	v, _ := i.mem.ReadUint32Le(ptr)
	return v
}

// U64 loads a little-endian u64 at an address aligned to 8.
func (i *Instance) U64(ptr uint32) uint64 {
	i.check(ptr, 8, 8)
	v, _ := i.mem.ReadUint64Le(ptr)
	return v
}

// Bool loads a bool: any non-zero byte is true.
func (i *Instance) Bool(ptr uint32) bool { return i.U8(ptr) != 0 }

// PutU8 stores a u8.
func (i *Instance) PutU8(ptr uint32, v uint8) {
	if !i.mem.WriteByte(ptr, v) {
		i.check(ptr, 1, 1)
	}
}

// PutU16 stores a little-endian u16 at an address aligned to 2.
func (i *Instance) PutU16(ptr uint32, v uint16) {
	i.check(ptr, 2, 2)
	i.mem.WriteUint16Le(ptr, v)
}

// PutU32 stores a little-endian u32 at an address aligned to 4.
func (i *Instance) PutU32(ptr uint32, v uint32) {
	i.check(ptr, 4, 4)
	i.mem.WriteUint32Le(ptr, v)
}

// PutU64 stores a little-endian u64 at an address aligned to 8.
func (i *Instance) PutU64(ptr uint32, v uint64) {
	i.check(ptr, 8, 8)
	i.mem.WriteUint64Le(ptr, v)
}

// PutBool stores a bool as 0 or 1.
func (i *Instance) PutBool(ptr uint32, v bool) {
	var b uint8
	if v {
		b = 1
	}
	i.PutU8(ptr, b)
}

// LowerBytes copies b into a fresh guest allocation and returns its address
// and length (a list<u8> or a string).
func (i *Instance) LowerBytes(ctx context.Context, b []byte) (uint32, uint32) {
	if len(b) > MaxLength {
		i.Trapf("list of %d bytes is over the Canonical ABI limit", len(b))
	}
	if i.cur >= 0 {
		i.chargeBytes(uint32(len(b)))
	}
	p := i.Alloc(ctx, 1, uint32(len(b)))
	if len(b) > 0 && !i.mem.Write(p, b) {
		i.check(p, uint32(len(b)), 1)
	}
	return p, uint32(len(b))
}

// LowerString copies s into a fresh guest allocation.
func (i *Instance) LowerString(ctx context.Context, s string) (uint32, uint32) {
	if len(s) > MaxLength {
		i.Trapf("string of %d bytes is over the Canonical ABI limit", len(s))
	}
	if i.cur >= 0 {
		i.chargeBytes(uint32(len(s)))
	}
	p := i.Alloc(ctx, 1, uint32(len(s)))
	if len(s) > 0 && !i.mem.WriteString(p, s) {
		i.check(p, uint32(len(s)), 1)
	}
	return p, uint32(len(s))
}

// AllocList allocates room for n elements of size bytes aligned to align and
// returns the address. It traps when the list would be over MaxLength.
func (i *Instance) AllocList(ctx context.Context, n int, size, align uint32) uint32 {
	if uint64(n)*uint64(size) > MaxLength {
		i.Trapf("list of %d elements of %d bytes is over the Canonical ABI limit", n, size)
	}
	return i.Alloc(ctx, align, uint32(n)*size)
}

// CheckList traps when a list of n elements of size bytes at ptr is out of
// bounds or misaligned, before its elements are loaded one by one.
func (i *Instance) CheckList(ptr, n, size, align uint32) {
	if uint64(n)*uint64(size) > MaxLength {
		i.Trapf("list of %d elements of %d bytes is over the Canonical ABI limit", n, size)
	}
	i.check(ptr, n*size, align)
}
