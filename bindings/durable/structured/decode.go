// This file is identical in guest-sdk/go/bindery/structured and
// bindings/durable/structured (the root module cannot require the guest
// SDK); TestSharedFiles in the root checks that the copies match.

package structured

import (
	"fmt"
	"math"
	"math/big"
	"time"
	"unicode/utf8"
)

// maxDepth is how deeply arrays, maps and tags may nest (the 55799
// prefix not counted).
const maxDepth = 256

// maxSafeInteger is 2^53 − 1, JavaScript's Number.MAX_SAFE_INTEGER: the
// largest integer the encoding writes as a number.
const maxSafeInteger = 1<<53 - 1

// maxDateMs is the largest |time| of a valid JavaScript Date, in
// milliseconds (8.64e15, 100,000,000 days).
const maxDateMs = 8.64e15

// SyntaxError is the error for bytes that are not a valid encoding:
// Offset is the byte at fault, counted from the start of the prefix.
type SyntaxError struct {
	Offset int
	Msg    string
}

// Error returns the message with the offset.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("structured: at byte %d: %s", e.Offset, e.Msg)
}

// Decode decodes an encoded value into the generic representation: see
// the package documentation for the Go type of each kind of value.
func Decode(data []byte) (any, error) {
	if len(data) < 3 || data[0] != 0xd9 || data[1] != 0xd9 || data[2] != 0xf7 {
		return nil, &SyntaxError{0, "no 55799 prefix (d9 d9 f7): not the structured-value encoding"}
	}
	d := decoder{data: data, off: 3}
	v, err := d.item(0)
	if err != nil {
		return nil, err
	}
	if d.off != len(data) {
		return nil, d.errAt(d.off, "%d trailing bytes after the value", len(data)-d.off)
	}
	return v, nil
}

// decoder reads one encoded value from data.
type decoder struct {
	data []byte
	off  int
}

func (d *decoder) errAt(off int, format string, args ...any) error {
	return &SyntaxError{off, fmt.Sprintf(format, args...)}
}

// head reads an item's initial byte and its argument (for major type 7
// with additional information 25 to 27, a float's bits).
func (d *decoder) head() (major, ai byte, arg uint64, err error) {
	start := d.off
	if d.off >= len(d.data) {
		return 0, 0, 0, d.errAt(start, "truncated: an item expected")
	}
	b := d.data[d.off]
	d.off++
	major, ai = b>>5, b&0x1f
	switch {
	case ai < 24:
		arg = uint64(ai)
	case ai <= 27:
		n := 1 << (ai - 24)
		if len(d.data)-d.off < n {
			return 0, 0, 0, d.errAt(start, "truncated: %d bytes of argument expected", n)
		}
		for _, c := range d.data[d.off : d.off+n] {
			arg = arg<<8 | uint64(c)
		}
		d.off += n
	case ai <= 30:
		return 0, 0, 0, d.errAt(start, "reserved additional information %d", ai)
	default:
		return 0, 0, 0, d.errAt(start, "indefinite length (or break) 0x%02x is not allowed", b)
	}
	return major, ai, arg, nil
}

// take returns the next n bytes, copied, for the string or byte string
// whose head is at start.
func (d *decoder) take(start int, n uint64) ([]byte, error) {
	if n > uint64(len(d.data)-d.off) {
		return nil, d.errAt(start, "truncated: a string of %d bytes with %d left", n, len(d.data)-d.off)
	}
	b := make([]byte, n)
	copy(b, d.data[d.off:])
	d.off += int(n)
	return b, nil
}

// item reads one data item nested in depth arrays, maps and tags.
func (d *decoder) item(depth int) (any, error) {
	start := d.off
	major, ai, arg, err := d.head()
	if err != nil {
		return nil, err
	}
	if major >= 4 && major <= 6 && depth >= maxDepth {
		return nil, d.errAt(start, "nesting deeper than %d arrays, maps and tags", maxDepth)
	}
	switch major {
	case 0, 1:
		return integer(major == 1, arg), nil
	case 2:
		return d.take(start, arg)
	case 3:
		b, err := d.take(start, arg)
		if err != nil {
			return nil, err
		}
		if !utf8.Valid(b) {
			return nil, d.errAt(start, "text string is not UTF-8")
		}
		return string(b), nil
	case 4:
		return d.array(start, arg, depth+1)
	case 5:
		return d.object(start, arg, depth+1)
	case 6:
		return d.tag(start, arg, depth+1)
	}
	switch ai {
	case 20:
		return false, nil
	case 21:
		return true, nil
	case 22:
		return nil, nil
	case 23:
		return Undefined{}, nil
	case 25, 26, 27:
		return float(ai, arg), nil
	}
	return nil, d.errAt(start, "simple value %d is not in the encoding", arg)
}

// integer returns the integer of major type 0 or 1 (negative) with
// argument arg: a number when |n| ≤ 2^53 − 1, else a bigint.
func integer(negative bool, arg uint64) any {
	if !negative {
		if arg <= maxSafeInteger {
			return float64(arg)
		}
		return new(big.Int).SetUint64(arg)
	}
	if arg < maxSafeInteger {
		return -1 - float64(arg)
	}
	n := new(big.Int).SetUint64(arg)
	return n.Neg(n.Add(n, big.NewInt(1)))
}

// float returns the float16, float32 or float64 (ai 25, 26, 27) of bits,
// widened.
func float(ai byte, bits uint64) float64 {
	switch ai {
	case 25:
		sign, exp, frac := bits>>15, int(bits>>10&0x1f), float64(bits&0x3ff)
		var f float64
		switch exp {
		case 0:
			f = math.Ldexp(frac, -24)
		case 31:
			f = math.Inf(1)
			if frac != 0 {
				f = math.NaN()
			}
		default:
			f = math.Ldexp(frac+1024, exp-25)
		}
		if sign != 0 {
			f = -f
		}
		return f
	case 26:
		return float64(math.Float32frombits(uint32(bits)))
	}
	return math.Float64frombits(bits)
}

// array reads n items, the elements of the array (or Set) at start.
func (d *decoder) array(start int, n uint64, depth int) ([]any, error) {
	if n > uint64(len(d.data)-d.off) {
		return nil, d.errAt(start, "truncated: an array of %d items with %d bytes left", n, len(d.data)-d.off)
	}
	items := make([]any, n)
	for i := range items {
		v, err := d.item(depth)
		if err != nil {
			return nil, err
		}
		items[i] = v
	}
	return items, nil
}

// object reads the n entries of the untagged map at start: a plain
// object, whose keys are distinct text strings.
func (d *decoder) object(start int, n uint64, depth int) (Object, error) {
	if n > uint64(len(d.data)-d.off)/2 {
		return nil, d.errAt(start, "truncated: a map of %d entries with %d bytes left", n, len(d.data)-d.off)
	}
	obj := make(Object, n)
	seen := make(map[string]struct{}, n)
	for i := range obj {
		keyStart := d.off
		if d.off < len(d.data) && d.data[d.off]>>5 != 3 {
			return nil, d.errAt(keyStart, "a plain object's (untagged map's) key is not a text string")
		}
		k, err := d.item(depth)
		if err != nil {
			return nil, err
		}
		key := k.(string)
		if _, dup := seen[key]; dup {
			return nil, d.errAt(keyStart, "key %q twice in a plain object (untagged map)", key)
		}
		seen[key] = struct{}{}
		v, err := d.item(depth)
		if err != nil {
			return nil, err
		}
		obj[i] = Member{key, v}
	}
	return obj, nil
}

// tag reads the content of tag t, whose head is at start.
func (d *decoder) tag(start int, t uint64, depth int) (any, error) {
	switch t {
	case 1:
		return d.date(start)
	case 2, 3:
		b, err := d.byteString(t)
		if err != nil {
			return nil, err
		}
		n := new(big.Int).SetBytes(b)
		if t == 3 {
			n.Neg(n.Add(n, big.NewInt(1)))
		}
		return n, nil
	case 27:
		return d.error(depth)
	case 258, 259:
		cs := d.off
		major, _, n, err := d.head()
		if err != nil {
			return nil, err
		}
		if want := byte(t - 254); major != want {
			return nil, d.errAt(cs, "tag %d over major type %d, not %d", t, major, want)
		}
		if depth >= maxDepth {
			return nil, d.errAt(cs, "nesting deeper than %d arrays, maps and tags", maxDepth)
		}
		if t == 258 {
			items, err := d.array(cs, n, depth+1)
			if err != nil {
				return nil, err
			}
			return newSet(items), nil
		}
		return d.mapEntries(cs, n, depth+1)
	}
	if size := TypedArrayType(t).ElementSize(); size > 0 {
		cs := d.off
		b, err := d.byteString(t)
		if err != nil {
			return nil, err
		}
		if len(b)%size != 0 {
			return nil, d.errAt(cs, "%s of %d bytes, not a multiple of %d", TypedArrayType(t), len(b), size)
		}
		return TypedArray{TypedArrayType(t), b}, nil
	}
	return nil, d.errAt(start, "tag %d is not in the encoding", t)
}

// byteString reads the byte string that tag t must be over.
func (d *decoder) byteString(t uint64) ([]byte, error) {
	cs := d.off
	major, _, n, err := d.head()
	if err != nil {
		return nil, err
	}
	if major != 2 {
		return nil, d.errAt(cs, "tag %d over major type %d, not a byte string", t, major)
	}
	return d.take(cs, n)
}

// date reads the content of tag 1: seconds since the epoch, an integer or
// a float.
func (d *decoder) date(start int) (any, error) {
	cs := d.off
	major, ai, arg, err := d.head()
	if err != nil {
		return nil, err
	}
	var s float64
	switch {
	case major == 0:
		s = float64(arg)
	case major == 1:
		s = -1 - float64(arg)
	case major == 7 && ai >= 25:
		s = float(ai, arg)
	default:
		return nil, d.errAt(cs, "tag 1 (Date) at byte %d over major type %d, not an integer or float", start, major)
	}
	return dateOf(math.Round(s * 1000)), nil
}

// dateOf returns the Date of ms milliseconds since the epoch: a time.Time
// in UTC, or InvalidDate when ms is NaN or beyond ±8.64e15, as
// JavaScript's TimeClip makes it.
func dateOf(ms float64) any {
	if !(math.Abs(ms) <= maxDateMs) {
		return InvalidDate{}
	}
	return time.UnixMilli(int64(ms)).UTC()
}

// error reads the content of tag 27: ["Error", {name, message, stack?,
// cause?}].
func (d *decoder) error(depth int) (any, error) {
	cs := d.off
	v, err := d.item(depth)
	if err != nil {
		return nil, err
	}
	a, _ := v.([]any)
	var fields Object
	if len(a) == 2 && a[0] == "Error" {
		fields, _ = a[1].(Object)
	}
	if fields == nil {
		return nil, d.errAt(cs, "tag 27 (Error) not over [\"Error\", {name, message, ...}]")
	}
	e := &Error{Name: "Error"}
	for _, m := range fields {
		s, isString := m.Value.(string)
		switch m.Key {
		case "name", "message", "stack":
			if !isString {
				return nil, d.errAt(cs, "tag 27 (Error) with a %s that is not a string", m.Key)
			}
		}
		switch m.Key {
		case "name":
			e.Name = errorName(s)
		case "message":
			e.Message = s
		case "stack":
			e.Stack = s
		case "cause":
			e.Cause = m.Value
		}
	}
	return e, nil
}

// mapEntries reads the n entries of a Map (tag 259); a key that equals an
// earlier one (SameValueZero) replaces its value and keeps its place, and
// a key −0 is 0, as Map.prototype.set does.
func (d *decoder) mapEntries(start int, n uint64, depth int) (Map, error) {
	if n > uint64(len(d.data)-d.off)/2 {
		return nil, d.errAt(start, "truncated: a map of %d entries with %d bytes left", n, len(d.data)-d.off)
	}
	m := make(Map, 0, n)
	index := map[primitive]int{}
	for range n {
		k, err := d.item(depth)
		if err != nil {
			return nil, err
		}
		v, err := d.item(depth)
		if err != nil {
			return nil, err
		}
		k = plusZero(k)
		if p, ok := primitiveOf(k); ok {
			if i, dup := index[p]; dup {
				m[i].Value = v
				continue
			}
			index[p] = len(m)
		}
		m = append(m, Entry{k, v})
	}
	return m, nil
}

// newSet returns a Set of items without repeats (SameValueZero) and with
// −0 as 0, as Set.prototype.add makes it.
func newSet(items []any) Set {
	s := make(Set, 0, len(items))
	seen := map[primitive]struct{}{}
	for _, v := range items {
		v = plusZero(v)
		if p, ok := primitiveOf(v); ok {
			if _, dup := seen[p]; dup {
				continue
			}
			seen[p] = struct{}{}
		}
		s = append(s, v)
	}
	return s
}

// plusZero returns v, or 0 when v is −0.
func plusZero(v any) any {
	if v == 0.0 {
		return 0.0
	}
	return v
}

// primitive identifies a primitive value under SameValueZero: NaN equals
// NaN, 0 equals −0, bigints compare by value. Other values (arrays,
// objects, Dates, ...) are never equal to another.
type primitive struct {
	kind byte
	bits uint64
	s    string
}

func primitiveOf(v any) (primitive, bool) {
	switch v := v.(type) {
	case Undefined:
		return primitive{kind: 1}, true
	case nil:
		return primitive{kind: 2}, true
	case bool:
		if v {
			return primitive{kind: 3, bits: 1}, true
		}
		return primitive{kind: 3}, true
	case float64:
		switch {
		case math.IsNaN(v):
			return primitive{kind: 4, bits: 0x7ff8000000000000}, true
		case v == 0:
			return primitive{kind: 4}, true
		}
		return primitive{kind: 4, bits: math.Float64bits(v)}, true
	case *big.Int:
		return primitive{kind: 5, bits: uint64(v.Sign() + 1), s: string(v.Bytes())}, true
	case string:
		return primitive{kind: 6, s: v}, true
	}
	return primitive{}, false
}
