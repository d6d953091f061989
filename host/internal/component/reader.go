package component

import (
	"fmt"
	"unicode/utf8"
)

// reader reads one section (or one core module's section) of a binary. The
// first error sticks: every later read returns zero values, so parsing
// code reads on and checks r.err once. Offsets in errors are absolute
// (from the start of the component), so a fuzzer's crash names its byte.
type reader struct {
	b    []byte
	p    int
	base int    // absolute offset of b[0]
	what string // what is being read, for errors: "alias section"
	err  error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s at offset %#x: %s", r.what, r.base+r.p, fmt.Sprintf(format, args...))
	}
}

func (r *reader) done() bool { return r.err != nil || r.p >= len(r.b) }

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.p >= len(r.b) {
		r.fail("unexpected end")
		return 0
	}
	c := r.b[r.p]
	r.p++
	return c
}

// u32 reads an unsigned LEB128 that fits in 32 bits.
func (r *reader) u32() uint32 {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if shift >= 35 {
			r.fail("integer too long")
			return 0
		}
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			break
		}
	}
	if v > 1<<32-1 {
		r.fail("integer %d overflows u32", v)
		return 0
	}
	return uint32(v)
}

// s33 reads a signed LEB128 of up to 33 bits (a valtype or a heap type).
func (r *reader) s33() int64 {
	var v int64
	var shift uint
	for {
		if shift >= 35 {
			r.fail("integer too long")
			return 0
		}
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
	}
}

// count reads a vector length, failing when it cannot fit in what is
// left (every element takes at least one byte): no huge allocations from
// a forged count.
func (r *reader) count() int {
	n := r.u32()
	if r.err == nil && int(n) > len(r.b)-r.p {
		r.fail("count %d is larger than the %d bytes left", n, len(r.b)-r.p)
		return 0
	}
	return int(n)
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.p {
		r.fail("length %d runs past the end", n)
		return nil
	}
	b := r.b[r.p : r.p+n]
	r.p += n
	return b
}

func (r *reader) name() string {
	n := r.u32()
	b := r.bytes(int(n))
	if r.err == nil && !utf8.Valid(b) {
		r.fail("name is not valid UTF-8")
		return ""
	}
	return string(b)
}

// externName reads an importname' or exportname': 0x00 name, or 0x01 name
// and a version suffix (which is ignored: the name carries the version).
func (r *reader) externName() string {
	switch tag := r.byte(); tag {
	case 0x00:
		return r.name()
	case 0x01:
		n := r.name()
		r.name()
		return n
	default:
		r.fail("unknown extern name tag %#x", tag)
		return ""
	}
}
