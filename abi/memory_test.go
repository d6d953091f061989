package abi_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"unsafe"

	"github.com/bindery-run/bindery/abi"
)

const page = 65536 // the guests start with one page of memory

func TestString(t *testing.T) {
	tests := []struct {
		name    string
		mem     []byte // written at 0x100
		ptr, n  uint32
		want    string
		wantErr string // a trap containing this, or "" for none
	}{
		{name: "ascii", mem: []byte("hello"), ptr: 0x100, n: 5, want: "hello"},
		{name: "prefix", mem: []byte("hello"), ptr: 0x100, n: 2, want: "he"},
		{name: "multibyte", mem: []byte("héllo, 世界 🌍"), ptr: 0x100, n: uint32(len("héllo, 世界 🌍")), want: "héllo, 世界 🌍"},
		{name: "empty", ptr: 0x100, n: 0, want: ""},
		{name: "empty at address 0", ptr: 0, n: 0, want: ""},
		{name: "empty at the end of memory", ptr: page, n: 0, want: ""},
		{name: "ends at the end of memory", ptr: page - 3, n: 3, want: "\x00\x00\x00"},
		{name: "NUL bytes are valid", mem: []byte("a\x00b"), ptr: 0x100, n: 3, want: "a\x00b"},
		{name: "invalid byte 0xff", mem: []byte("ab\xffcd"), ptr: 0x100, n: 5, wantErr: "not valid UTF-8"},
		{name: "lone continuation byte", mem: []byte{0x80}, ptr: 0x100, n: 1, wantErr: "not valid UTF-8"},
		{name: "truncated sequence", mem: []byte("世"), ptr: 0x100, n: 2, wantErr: "not valid UTF-8"},
		{name: "overlong NUL", mem: []byte{0xc0, 0x80}, ptr: 0x100, n: 2, wantErr: "not valid UTF-8"},
		{name: "encoded surrogate", mem: []byte{0xed, 0xa0, 0x80}, ptr: 0x100, n: 3, wantErr: "not valid UTF-8"},
		{name: "above U+10FFFF", mem: []byte{0xf4, 0x90, 0x80, 0x80}, ptr: 0x100, n: 4, wantErr: "not valid UTF-8"},
		{name: "one byte past memory", ptr: page - 3, n: 4, wantErr: "out of bounds"},
		{name: "empty past memory", ptr: page + 1, n: 0, wantErr: "out of bounds"},
		{name: "pointer past memory", ptr: 0x80000000, n: 1, wantErr: "out of bounds"},
		{name: "wraps around 2^32", ptr: 0xffffffff, n: 2, wantErr: "out of bounds"},
		{name: "max pointer and length", ptr: 0xffffffff, n: 0xffffffff, wantErr: "over the Canonical ABI limit"},
		{name: "at MaxLength, out of bounds", ptr: 0, n: abi.MaxLength, wantErr: "out of bounds"},
		{name: "over MaxLength", ptr: 0, n: abi.MaxLength + 1, wantErr: "over the Canonical ABI limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGuest(t)
			g.write(0x100, tt.mem)
			if tt.wantErr != "" {
				mustTrap(t, g.inst, tt.wantErr, func() { g.inst.String(tt.ptr, tt.n) })
				return
			}
			var got string
			mustNotTrap(t, g.inst, func() { got = g.inst.String(tt.ptr, tt.n) })
			if got != tt.want {
				t.Errorf("String(%#x, %d) = %q, want %q", tt.ptr, tt.n, got, tt.want)
			}
		})
	}
}

func TestBytesAndView(t *testing.T) {
	tests := []struct {
		name    string
		ptr, n  uint32
		want    []byte
		wantErr string
	}{
		{name: "bytes", ptr: 0x100, n: 4, want: []byte{0xff, 0, 1, 0x80}}, // any bytes, not UTF-8
		{name: "empty", ptr: 0x100, n: 0, want: nil},
		{name: "whole memory", ptr: 0, n: page},
		{name: "empty at the end", ptr: page, n: 0},
		{name: "out of bounds", ptr: page - 1, n: 2, wantErr: "out of bounds"},
		{name: "empty past the end", ptr: page + 1, n: 0, wantErr: "out of bounds"},
		{name: "wraps around 2^32", ptr: 0xfffffffc, n: 8, wantErr: "out of bounds"},
		{name: "over MaxLength", ptr: 0, n: abi.MaxLength + 1, wantErr: "over the Canonical ABI limit"},
	}
	for _, tt := range tests {
		for _, fn := range []string{"Bytes", "View"} {
			t.Run(fn+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				g := newGuest(t)
				g.write(0x100, []byte{0xff, 0, 1, 0x80})
				call := func() []byte {
					if fn == "Bytes" {
						return g.inst.Bytes(tt.ptr, tt.n)
					}
					return g.inst.View(tt.ptr, tt.n)
				}
				if tt.wantErr != "" {
					mustTrap(t, g.inst, tt.wantErr, func() { call() })
					return
				}
				var got []byte
				mustNotTrap(t, g.inst, func() { got = call() })
				want := tt.want
				if want == nil && tt.n > 0 {
					want = g.read(tt.ptr, tt.n)
				}
				if !bytes.Equal(got, want) || len(got) != int(tt.n) {
					t.Fatalf("%s(%#x, %d) = %x, want %x", fn, tt.ptr, tt.n, got, want)
				}
				if tt.n == 0 {
					return
				}
				// Bytes copies; View aliases guest memory.
				g.write(tt.ptr, []byte{0x42})
				if aliased := got[0] == 0x42; aliased != (fn == "View") {
					t.Errorf("%s: aliases guest memory = %v", fn, aliased)
				}
			})
		}
	}
}

// TestBytesMaxLengthBoundary: a list of exactly MaxLength bytes is not over
// the limit; it traps only because it does not fit in the guest's memory.
func TestBytesMaxLengthBoundary(t *testing.T) {
	g := newGuest(t)
	tr := mustTrap(t, g.inst, "out of bounds", func() { g.inst.Bytes(0, abi.MaxLength) })
	if strings.Contains(tr.Msg, "limit") {
		t.Errorf("MaxLength itself reported as over the limit: %v", tr)
	}
}

func TestLoadsAndStores(t *testing.T) {
	type op struct {
		name  string
		size  uint32
		load  func(i *abi.Instance, p uint32) uint64
		store func(i *abi.Instance, p uint32, v uint64)
	}
	ops := []op{
		{"U8", 1, func(i *abi.Instance, p uint32) uint64 { return uint64(i.U8(p)) }, func(i *abi.Instance, p uint32, v uint64) { i.PutU8(p, uint8(v)) }},
		{"U16", 2, func(i *abi.Instance, p uint32) uint64 { return uint64(i.U16(p)) }, func(i *abi.Instance, p uint32, v uint64) { i.PutU16(p, uint16(v)) }},
		{"U32", 4, func(i *abi.Instance, p uint32) uint64 { return uint64(i.U32(p)) }, func(i *abi.Instance, p uint32, v uint64) { i.PutU32(p, uint32(v)) }},
		{"U64", 8, func(i *abi.Instance, p uint32) uint64 { return i.U64(p) }, func(i *abi.Instance, p uint32, v uint64) { i.PutU64(p, v) }},
	}
	for _, o := range ops {
		tests := []struct {
			name    string
			ptr     uint32
			wantErr string
		}{
			{name: "at 0", ptr: 0},
			{name: "aligned", ptr: 8 * o.size},
			{name: "last slot", ptr: page - o.size},
			{name: "misaligned by 1", ptr: 0x101, wantErr: "not aligned"},
			{name: "misaligned by size/2", ptr: 0x100 + o.size/2, wantErr: "not aligned"},
			{name: "at the end of memory", ptr: page, wantErr: "out of bounds"},
			{name: "far out of bounds", ptr: 0x80000000, wantErr: "out of bounds"},
			{name: "wraps around 2^32", ptr: -o.size, wantErr: "out of bounds"},
		}
		for _, tt := range tests {
			if o.size == 1 && strings.HasPrefix(tt.name, "misaligned") {
				continue // every address is aligned to 1
			}
			t.Run(o.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				const v = 0x0807060504030201
				if tt.wantErr != "" {
					g := newGuest(t)
					mustTrap(t, g.inst, tt.wantErr, func() { o.load(g.inst, tt.ptr) })
					g = newGuest(t)
					mustTrap(t, g.inst, tt.wantErr, func() { o.store(g.inst, tt.ptr, v) })
					return
				}
				g := newGuest(t)
				mustNotTrap(t, g.inst, func() { o.store(g.inst, tt.ptr, v) })
				// Little-endian, exactly size bytes, neighbours untouched.
				want := binary.LittleEndian.AppendUint64(nil, v)[:o.size]
				if got := g.read(tt.ptr, o.size); !bytes.Equal(got, want) {
					t.Errorf("Put%s wrote %x, want %x", o.name, got, want)
				}
				if tt.ptr+o.size < page {
					if b := g.read(tt.ptr+o.size, 1); b[0] != 0 {
						t.Errorf("Put%s wrote past its %d bytes", o.name, o.size)
					}
				}
				var got uint64
				mustNotTrap(t, g.inst, func() { got = o.load(g.inst, tt.ptr) })
				if mask := uint64(1)<<(8*o.size) - 1; got != uint64(v)&mask {
					t.Errorf("%s after Put%s = %#x", o.name, o.name, got)
				}
				// Loads see what the guest wrote.
				g.write(tt.ptr, []byte{0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}[:o.size])
				mustNotTrap(t, g.inst, func() { got = o.load(g.inst, tt.ptr) })
				if want := binary.LittleEndian.Uint64(append([]byte{0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}[:o.size], make([]byte, 8)...)); got != want {
					t.Errorf("%s = %#x, want %#x", o.name, got, want)
				}
			})
		}
	}
}

func TestBool(t *testing.T) {
	g := newGuest(t)
	g.write(0x10, []byte{0, 1, 2, 0x80, 0xff})
	for i, want := range []bool{false, true, true, true, true} {
		var got bool
		mustNotTrap(t, g.inst, func() { got = g.inst.Bool(0x10 + uint32(i)) })
		if got != want {
			t.Errorf("Bool of byte %d = %v, want %v (any non-zero byte is true)", i, got, want)
		}
	}
	g.write(0x20, []byte{0xff, 0xff})
	mustNotTrap(t, g.inst, func() {
		g.inst.PutBool(0x20, true)
		g.inst.PutBool(0x21, false)
	})
	if got := g.read(0x20, 2); !bytes.Equal(got, []byte{1, 0}) {
		t.Errorf("PutBool wrote %v, want [1 0]", got)
	}
	mustTrap(t, g.inst, "out of bounds", func() { g.inst.Bool(page) })
	g = newGuest(t)
	mustTrap(t, g.inst, "out of bounds", func() { g.inst.PutBool(page, true) })
}

func TestLowerStringAndBytes(t *testing.T) {
	ctx := context.Background()
	lowers := map[string]func(i *abi.Instance, s string) (uint32, uint32){
		"LowerString": func(i *abi.Instance, s string) (uint32, uint32) { return i.LowerString(ctx, s) },
		"LowerBytes":  func(i *abi.Instance, s string) (uint32, uint32) { return i.LowerBytes(ctx, []byte(s)) },
	}
	tests := []struct {
		name      string
		guest     string
		mode      uint32
		in        string
		wantCalls uint32 // cabi_realloc calls
		wantErr   string
	}{
		{name: "short", mode: modeBump, in: "hello", wantCalls: 1},
		{name: "not UTF-8 is lowered as is", mode: modeBump, in: "\xff\xfe", wantCalls: 1},
		{name: "several pages", mode: modeBump, in: strings.Repeat("abcdefg", 3*page/7), wantCalls: 1},
		{name: "memory grows in realloc", mode: modeGrow, in: strings.Repeat("x", 100), wantCalls: 1},
		{name: "empty is allocated too, as the Canonical ABI does", mode: modeBump, in: "", wantCalls: 1},
		{name: "empty without cabi_realloc", guest: "norealloc", in: ""},
		{name: "realloc returns out of bounds", mode: modeOOB, in: "hello", wantCalls: 1, wantErr: "beyond memory size"},
		{name: "no cabi_realloc", guest: "norealloc", in: "hello", wantErr: "no cabi_realloc"},
	}
	for lname, lower := range lowers {
		for _, tt := range tests {
			t.Run(lname+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				name := tt.guest
				if name == "" {
					name = "guest"
				}
				g := newGuestOf(t, name)
				if name == "guest" {
					g.setMode(tt.mode)
				}
				size0 := g.size()
				if tt.wantErr != "" {
					mustTrap(t, g.inst, tt.wantErr, func() { lower(g.inst, tt.in) })
				} else {
					var p, n uint32
					mustNotTrap(t, g.inst, func() { p, n = lower(g.inst, tt.in) })
					if n != uint32(len(tt.in)) {
						t.Fatalf("length %d, want %d", n, len(tt.in))
					}
					if p == 0 {
						t.Errorf("null pointer")
					}
					if got := g.read(p, n); string(got) != tt.in {
						t.Errorf("guest memory at %#x holds %.20q, want %.20q", p, got, tt.in)
					}
				}
				if name != "guest" {
					return
				}
				if calls := g.global("calls"); calls != tt.wantCalls {
					t.Errorf("cabi_realloc called %d times, want %d", calls, tt.wantCalls)
				}
				if tt.wantCalls > 0 {
					// cabi_realloc(0, 0, 1, len)
					got := [4]uint32{g.global("last_old"), g.global("last_old_size"), g.global("last_align"), g.global("last_size")}
					if want := [4]uint32{0, 0, 1, uint32(len(tt.in))}; got != want {
						t.Errorf("cabi_realloc%v, want %v", got, want)
					}
				}
				if tt.mode == modeGrow && tt.wantErr == "" && g.size() <= size0 {
					t.Errorf("memory did not grow")
				}
			})
		}
	}
}

func TestLowerOverMaxLength(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 256 MiB of address space")
	}
	ctx := context.Background()
	big := make([]byte, abi.MaxLength+1) // never touched: the check comes first
	g := newGuest(t)
	mustTrap(t, g.inst, "over the Canonical ABI limit", func() { g.inst.LowerBytes(ctx, big) })
	g = newGuest(t)
	s := unsafe.String(&big[0], len(big))
	mustTrap(t, g.inst, "over the Canonical ABI limit", func() { g.inst.LowerString(ctx, s) })
	if calls := g.global("calls"); calls != 0 {
		t.Errorf("cabi_realloc called %d times for a list over the limit", calls)
	}
}

func TestAlloc(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		mode        uint32
		align, size uint32
		wantErr     string
		wantCalls   uint32
	}{
		{name: "align 1", align: 1, size: 3, wantCalls: 1},
		{name: "align 2", align: 2, size: 6, wantCalls: 1},
		{name: "align 4", align: 4, size: 12, wantCalls: 1},
		{name: "align 8", align: 8, size: 24, wantCalls: 1},
		{name: "size 0 is allocated too", mode: modeBump, align: 8, size: 0, wantCalls: 1},
		{name: "grows memory", mode: modeGrow, align: 8, size: 2 * page, wantCalls: 1},
		{name: "misaligned for 2", mode: modeMisaligned, align: 2, size: 2, wantErr: "not aligned to 2", wantCalls: 1},
		{name: "misaligned for 4", mode: modeMisaligned, align: 4, size: 8, wantErr: "not aligned to 4", wantCalls: 1},
		{name: "misaligned for 8", mode: modeMisaligned, align: 8, size: 8, wantErr: "not aligned to 8", wantCalls: 1},
		{name: "out of bounds", mode: modeOOB, align: 1, size: 16, wantErr: "beyond memory size", wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGuest(t)
			g.setMode(tt.mode)
			if tt.wantErr != "" {
				mustTrap(t, g.inst, tt.wantErr, func() { g.inst.Alloc(ctx, tt.align, tt.size) })
			} else {
				var p uint32
				mustNotTrap(t, g.inst, func() { p = g.inst.Alloc(ctx, tt.align, tt.size) })
				if p == 0 || p%tt.align != 0 || uint64(p)+uint64(tt.size) > uint64(g.size()) {
					t.Errorf("Alloc(%d, %d) = %#x: null, misaligned or out of bounds", tt.align, tt.size, p)
				}
			}
			if calls := g.global("calls"); calls != tt.wantCalls {
				t.Errorf("cabi_realloc called %d times, want %d", calls, tt.wantCalls)
			}
			if tt.wantCalls > 0 {
				got := [4]uint32{g.global("last_old"), g.global("last_old_size"), g.global("last_align"), g.global("last_size")}
				if want := [4]uint32{0, 0, tt.align, tt.size}; got != want {
					t.Errorf("cabi_realloc%v, want %v", got, want)
				}
			}
		})
	}
}

// TestAllocGuestTrap: when cabi_realloc itself traps, Alloc panics with the
// guest's error (wazero reports it) and poisons the instance.
func TestAllocGuestTrap(t *testing.T) {
	g := newGuest(t)
	g.setMode(modeTrap)
	r := catch(func() { g.inst.Alloc(context.Background(), 4, 4) })
	err, ok := r.(error)
	if !ok {
		t.Fatalf("panicked with %T %v, want an error", r, r)
	}
	if !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("error %v does not mention the guest's trap", err)
	}
	if g.inst.Poisoned() != err {
		t.Errorf("Poisoned() = %v, want %v", g.inst.Poisoned(), err)
	}
}

func TestAllocList(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name            string
		mode            uint32
		n               int
		size, align     uint32
		wantErr         string
		wantCalls       uint32
		wantReallocSize uint32
	}{
		{name: "list<u32>", n: 10, size: 4, align: 4, wantCalls: 1, wantReallocSize: 40},
		{name: "list<record{u64,string}>", n: 3, size: 16, align: 8, wantCalls: 1, wantReallocSize: 48},
		{name: "empty", mode: modeBump, n: 0, size: 16, align: 8, wantCalls: 1},
		{name: "exactly MaxLength bytes", mode: modeOOB, n: abi.MaxLength, size: 1, align: 1, wantErr: "beyond memory size", wantCalls: 1, wantReallocSize: abi.MaxLength},
		{name: "over MaxLength", n: abi.MaxLength/8 + 1, size: 8, align: 4, wantErr: "over the Canonical ABI limit"},
		{name: "n*size overflows uint32", n: 1 << 30, size: 8, align: 4, wantErr: "over the Canonical ABI limit"},
		{name: "misaligned result", mode: modeMisaligned, n: 2, size: 8, align: 8, wantErr: "not aligned", wantCalls: 1, wantReallocSize: 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGuest(t)
			g.setMode(tt.mode)
			if tt.wantErr != "" {
				mustTrap(t, g.inst, tt.wantErr, func() { g.inst.AllocList(ctx, tt.n, tt.size, tt.align) })
			} else {
				var p uint32
				mustNotTrap(t, g.inst, func() { p = g.inst.AllocList(ctx, tt.n, tt.size, tt.align) })
				if p == 0 || p%tt.align != 0 {
					t.Errorf("AllocList = %#x: null or misaligned", p)
				}
			}
			if calls := g.global("calls"); calls != tt.wantCalls {
				t.Fatalf("cabi_realloc called %d times, want %d", calls, tt.wantCalls)
			}
			if tt.wantCalls > 0 {
				got := [4]uint32{g.global("last_old"), g.global("last_old_size"), g.global("last_align"), g.global("last_size")}
				if want := [4]uint32{0, 0, tt.align, tt.wantReallocSize}; got != want {
					t.Errorf("cabi_realloc%v, want %v", got, want)
				}
			}
		})
	}
}

func TestCheckList(t *testing.T) {
	tests := []struct {
		name                string
		ptr, n, size, align uint32
		wantErr             string
	}{
		{name: "list<string>", ptr: 0x100, n: 4, size: 8, align: 4},
		{name: "list<u64> fills memory", ptr: 0, n: page / 8, size: 8, align: 8},
		{name: "ends at the end of memory", ptr: page - 16, n: 2, size: 8, align: 8},
		{name: "empty at the end of memory", ptr: page, n: 0, size: 8, align: 4},
		{name: "empty list, misaligned", ptr: 0x102, n: 0, size: 8, align: 4, wantErr: "not aligned"},
		{name: "misaligned", ptr: 0x104, n: 1, size: 8, align: 8, wantErr: "not aligned"},
		{name: "one element past the end", ptr: page - 8, n: 2, size: 8, align: 4, wantErr: "out of bounds"},
		{name: "empty past the end", ptr: page + 4, n: 0, size: 8, align: 4, wantErr: "out of bounds"},
		{name: "wraps around 2^32", ptr: 0xfffffff0, n: 4, size: 8, align: 4, wantErr: "out of bounds"},
		{name: "n*size overflows uint32", ptr: 0, n: 1 << 29, size: 8, align: 4, wantErr: "over the Canonical ABI limit"},
		{name: "over MaxLength", ptr: 0, n: abi.MaxLength/16 + 1, size: 16, align: 8, wantErr: "over the Canonical ABI limit"},
		{name: "max n and size", ptr: 0, n: 0xffffffff, size: 0xffffffff, align: 1, wantErr: "over the Canonical ABI limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGuest(t)
			if tt.wantErr != "" {
				mustTrap(t, g.inst, tt.wantErr, func() { g.inst.CheckList(tt.ptr, tt.n, tt.size, tt.align) })
				return
			}
			mustNotTrap(t, g.inst, func() { g.inst.CheckList(tt.ptr, tt.n, tt.size, tt.align) })
		})
	}
}

// TestMemoryGrowth: loads and stores see memory that grew after the
// Instance was made (no stale view of the old size).
func TestMemoryGrowth(t *testing.T) {
	g := newGuest(t)
	g.setMode(modeGrow)
	mustTrap(t, g.inst, "out of bounds", func() { g.inst.U32(page + 4) })
	g = newGuest(t)
	g.setMode(modeGrow)
	mustNotTrap(t, g.inst, func() {
		g.inst.Alloc(context.Background(), 4, 4) // grows by a page
		g.inst.PutU32(page+4, 0xdeadbeef)
		if v := g.inst.U32(page + 4); v != 0xdeadbeef {
			t.Errorf("U32 after growth = %#x", v)
		}
		if b := g.inst.Bytes(page+4, 4); string(b) != "\xef\xbe\xad\xde" {
			t.Errorf("Bytes after growth = %x", b)
		}
	})
}
