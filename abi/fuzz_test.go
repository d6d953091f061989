package abi_test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"unicode/utf8"

	"github.com/bindery-run/bindery/abi"
)

// Operations of FuzzLift.
const (
	opString = iota
	opBytes
	opView
	opU8
	opU16
	opU32
	opU64
	opBool
	opCheckList
	opStringAt     // a string whose (ptr, len) pair is stored at ptr
	opListOfString // a list<string> lifted as the generated glue does
	opHandle
	opPut
	numOps
)

// FuzzLift feeds random addresses, lengths and memory contents to the
// lifting helpers. Every call must either return the value an independent
// model of the Canonical ABI predicts, or panic with a *abi.Trap exactly
// when the model says the guest broke a rule; any other panic fails.
func FuzzLift(f *testing.F) {
	hello := []byte("hello, world")
	pair := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 16), 5) // (16, 5) at 0
	pair = append(pair, make([]byte, 8)...)
	pair = append(pair, "abcde"...)
	list := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 32), 2) // list<string> element 0
	list = binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(list, 35), 2) // element 1
	list = append(list, make([]byte, 16)...)
	list = append(list, "xyz"...)
	seeds := []struct {
		op          uint8
		ptr, n, aux uint32
		mem         []byte
	}{
		{opString, 0, 12, 0, hello},
		{opString, 0, 3, 0, []byte{0xe4, 0xb8, 0x96}},
		{opString, 0, 2, 0, []byte{0xff, 0xfe}},
		{opString, page - 1, 2, 0, nil},
		{opString, 0, abi.MaxLength + 1, 0, nil},
		{opString, 0xffffffff, 1, 0, nil},
		{opBytes, 4, 8, 0, hello},
		{opBytes, page, 0, 0, nil},
		{opView, 0xfffffff0, 0x20, 0, nil},
		{opU8, page - 1, 0, 0, []byte{1}},
		{opU16, 3, 0, 0, hello},
		{opU32, 8, 0, 0, hello},
		{opU64, page - 8, 0, 0, nil},
		{opU64, 4, 0, 0, nil},
		{opBool, 1, 0, 0, []byte{0, 2}},
		{opCheckList, 8, 4, 8 | 2<<8, nil},
		{opCheckList, 0, 1 << 29, 8 | 2<<8, nil},
		{opStringAt, 0, 0, 0, pair},
		{opStringAt, 0, 0, 0, []byte{0xf0, 0xff, 0, 0, 1, 0, 0, 0}},
		{opListOfString, 0, 2, 0, list},
		{opListOfString, 2, 2, 0, list},
		{opHandle, 1, 0, 0, nil},
		{opHandle, 0, 0, 0, nil},
		{opHandle, 2, 0, 1, nil},
		{opPut, 16, 0xdeadbeef, 2, nil},
		{opPut, 17, 0xdeadbeef, 1, nil},
		{opPut, page - 4, 7, 3, nil},
	}
	for _, s := range seeds {
		f.Add(s.op, s.ptr, s.n, s.aux, s.mem)
	}
	// One module for every call (the fuzz function runs sequentially in
	// each worker): clearing its memory is cheaper than instantiating.
	mod := instantiate(f, "guest")
	f.Fuzz(func(t *testing.T, op uint8, ptr, n, aux uint32, mem []byte) {
		buf, ok := mod.Memory().Read(0, mod.Memory().Size())
		if !ok {
			t.Fatal("cannot read guest memory")
		}
		clear(buf)
		copy(buf, mem)
		inst, err := abi.NewInstance(mod, nil)
		if err != nil {
			t.Fatal(err)
		}
		fuzzLiftOne(t, inst, buf, op%numOps, ptr, n, aux)
	})
}

// fuzzLiftOne runs one operation and checks it against the model.
func fuzzLiftOne(t *testing.T, inst *abi.Instance, mem []byte, op uint8, ptr, n, aux uint32) {
	size := uint64(len(mem))
	inBounds := func(p, n uint64) bool { return p+n <= size }
	// model returns the bytes [p, p+n) and whether a list/string there is valid.
	model := func(p, n uint32) ([]byte, bool) {
		if n > abi.MaxLength || !inBounds(uint64(p), uint64(n)) {
			return nil, false
		}
		return mem[p : p+n], true
	}
	le := func(p, n uint32) uint64 {
		var b [8]byte
		copy(b[:], mem[p:p+n])
		return binary.LittleEndian.Uint64(b[:])
	}
	// run calls f, which returns the value lifted, and compares with the
	// model's want (when the model says the call is valid).
	run := func(valid bool, want any, f func() any) {
		t.Helper()
		var got any
		r := catch(func() { got = f() })
		switch {
		case r == nil && !valid:
			t.Fatalf("op %d (%#x, %d, %#x): no trap, the model expects one (got %v)", op, ptr, n, aux, got)
		case r != nil:
			trap, ok := r.(*abi.Trap)
			if !ok {
				t.Fatalf("op %d (%#x, %d, %#x): panicked with %T: %v", op, ptr, n, aux, r, r)
			}
			if valid {
				t.Fatalf("op %d (%#x, %d, %#x): unexpected trap %v", op, ptr, n, aux, trap)
			}
			if inst.Poisoned() == nil {
				t.Fatalf("op %d: trap %v did not poison the instance", op, trap)
			}
		default:
			if !equal(got, want) {
				t.Fatalf("op %d (%#x, %d, %#x) = %v, want %v", op, ptr, n, aux, got, want)
			}
		}
	}
	scalar := func(width uint32, load func(uint32) uint64) {
		valid := ptr%width == 0 && inBounds(uint64(ptr), uint64(width))
		var want uint64
		if valid {
			want = le(ptr, width)
		}
		run(valid, want, func() any { return load(ptr) })
	}
	switch op {
	case opString:
		b, valid := model(ptr, n)
		valid = valid && utf8.Valid(b)
		run(valid, string(b), func() any { return inst.String(ptr, n) })
	case opBytes, opView:
		b, valid := model(ptr, n)
		run(valid, b, func() any {
			if op == opBytes {
				return inst.Bytes(ptr, n)
			}
			return inst.View(ptr, n)
		})
	case opU8:
		scalar(1, func(p uint32) uint64 { return uint64(inst.U8(p)) })
	case opU16:
		scalar(2, func(p uint32) uint64 { return uint64(inst.U16(p)) })
	case opU32:
		scalar(4, func(p uint32) uint64 { return uint64(inst.U32(p)) })
	case opU64:
		scalar(8, inst.U64)
	case opBool:
		valid := inBounds(uint64(ptr), 1)
		run(valid, valid && mem[ptr] != 0, func() any { return inst.Bool(ptr) })
	case opCheckList:
		esize, align := aux&0xff, uint32(1)<<(aux>>8&3)
		total := uint64(n) * uint64(esize)
		valid := total <= abi.MaxLength && ptr%align == 0 && inBounds(uint64(ptr), total)
		run(valid, nil, func() any { inst.CheckList(ptr, n, esize, align); return nil })
	case opStringAt:
		valid := ptr%4 == 0 && inBounds(uint64(ptr), 8)
		var want string
		if valid {
			b, ok := model(uint32(le(ptr, 4)), uint32(le(ptr+4, 4)))
			valid = ok && utf8.Valid(b)
			want = string(b)
		}
		run(valid, want, func() any { return inst.String(inst.U32(ptr), inst.U32(ptr+4)) })
	case opListOfString:
		n %= 65 // each element may alias all of memory: keep the copies small
		total := uint64(n) * 8
		valid := ptr%4 == 0 && inBounds(uint64(ptr), total)
		var want []string
		for i := uint32(0); valid && i < n; i++ {
			e := ptr + i*8
			b, ok := model(uint32(le(e, 4)), uint32(le(e+4, 4)))
			valid = ok && utf8.Valid(b)
			want = append(want, string(b))
		}
		run(valid, want, func() any {
			// What the generated glue emits for a list<string> parameter.
			inst.CheckList(ptr, n, 8, 4)
			var out []string
			for i := range n {
				a := ptr + i*8
				out = append(out, inst.String(inst.U32(a), inst.U32(a+4)))
			}
			return out
		})
	case opHandle:
		// A table with handle 1 of type a and 2 of type b; aux picks the type asked for.
		var tab abi.Table
		tab.Add(inst, typA, "a")
		tab.Add(inst, typB, "b")
		typ, want := typA, "a"
		if aux&1 == 1 {
			typ, want = typB, "b"
		}
		valid := typ == typA && ptr == 1 || typ == typB && ptr == 2
		run(valid, want, func() any { return tab.Get(inst, typ, ptr) })
	case opPut:
		width := uint32(1) << (aux & 3)
		valid := ptr%width == 0 && inBounds(uint64(ptr), uint64(width))
		mask := uint64(1)<<(8*width) - 1
		want := uint64(n) * 0x100000001 & mask
		run(valid, want, func() any {
			switch width {
			case 1:
				inst.PutU8(ptr, uint8(want))
				return uint64(inst.U8(ptr))
			case 2:
				inst.PutU16(ptr, uint16(want))
				return uint64(inst.U16(ptr))
			case 4:
				inst.PutU32(ptr, uint32(want))
				return uint64(inst.U32(ptr))
			}
			inst.PutU64(ptr, want)
			return inst.U64(ptr)
		})
		if valid && le(ptr, width) != want {
			t.Fatalf("Put of width %d at %#x stored %#x, want %#x", width, ptr, le(ptr, width), want)
		}
	}
}

func equal(a, b any) bool {
	switch a := a.(type) {
	case []byte:
		b, _ := b.([]byte)
		return bytes.Equal(a, b)
	case []string:
		b, _ := b.([]string)
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	return a == b
}
