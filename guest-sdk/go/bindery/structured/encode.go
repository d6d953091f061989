// This file is identical in guest-sdk/go/bindery/structured and
// bindings/durable/structured (the root module cannot require the guest
// SDK); TestSharedFiles in the root checks that the copies match.

package structured

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"time"
	"unicode/utf8"
)

// EncodeError is the error for a value the encoding cannot hold: Path
// says where it is in the value (".a[2]", "" for the value itself); Err
// is the error that caused it, if any (a Marshaler's).
type EncodeError struct {
	Path string
	Msg  string
	Err  error
}

// Error returns the message with the path.
func (e *EncodeError) Error() string {
	msg := e.Msg
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Path == "" {
		return "structured: cannot encode the value: " + msg
	}
	return "structured: cannot encode " + e.Path + ": " + msg
}

// Unwrap returns Err.
func (e *EncodeError) Unwrap() error { return e.Err }

// at returns err with elem ("[2]", ".a") in front of its path, when err
// is an *EncodeError.
func at(err error, elem string) error {
	if e, ok := err.(*EncodeError); ok {
		e.Path = elem + e.Path
	}
	return err
}

// encoder writes one encoded value to buf.
type encoder struct {
	buf   []byte
	depth int
	local encoderLocal // what this package's encodeOther keeps
}

func encodeError(format string, args ...any) error {
	return &EncodeError{Msg: fmt.Sprintf(format, args...)}
}

// encode returns the encoding of v, prefix included.
func encode(v any) ([]byte, error) {
	e := encoder{buf: []byte{0xd9, 0xd9, 0xf7}}
	if err := e.value(v); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// head writes an initial byte and argument in the shortest form.
func (e *encoder) head(major byte, n uint64) {
	m := major << 5
	switch {
	case n < 24:
		e.buf = append(e.buf, m|byte(n))
	case n <= math.MaxUint8:
		e.buf = append(e.buf, m|24, byte(n))
	case n <= math.MaxUint16:
		e.buf = binary.BigEndian.AppendUint16(append(e.buf, m|25), uint16(n))
	case n <= math.MaxUint32:
		e.buf = binary.BigEndian.AppendUint32(append(e.buf, m|26), uint32(n))
	default:
		e.buf = binary.BigEndian.AppendUint64(append(e.buf, m|27), n)
	}
}

// nest writes the head of an array (4), map (5) or tag (6), counting its
// nesting level; leave must follow.
func (e *encoder) nest(major byte, n uint64) error {
	if e.depth >= maxDepth {
		return encodeError("nesting deeper than %d arrays, maps and tags (a cycle?)", maxDepth)
	}
	e.depth++
	e.head(major, n)
	return nil
}

func (e *encoder) leave() { e.depth-- }

// value writes v, one of the generic representation's types; any other
// type goes to encodeOther.
func (e *encoder) value(v any) error {
	switch v := v.(type) {
	case nil:
		e.buf = append(e.buf, 0xf6)
	case Undefined:
		e.buf = append(e.buf, 0xf7)
	case bool:
		e.buf = append(e.buf, 0xf4+b2i(v))
	case float64:
		e.number(v)
	case *big.Int:
		if v == nil {
			e.buf = append(e.buf, 0xf6)
			return nil
		}
		return e.bigint(v)
	case string:
		return e.text(v)
	case []byte:
		if v == nil {
			e.buf = append(e.buf, 0xf6)
			return nil
		}
		e.head(2, uint64(len(v)))
		e.buf = append(e.buf, v...)
	case TypedArray:
		size := v.Type.ElementSize()
		if size == 0 || len(v.Bytes)%size != 0 {
			return encodeError("%s of %d bytes", v.Type, len(v.Bytes))
		}
		if err := e.nest(6, uint64(v.Type)); err != nil {
			return err
		}
		defer e.leave()
		e.head(2, uint64(len(v.Bytes)))
		e.buf = append(e.buf, v.Bytes...)
	case []any:
		if v == nil {
			e.buf = append(e.buf, 0xf6)
			return nil
		}
		return e.array(v)
	case Object:
		if err := e.nest(5, uint64(len(v))); err != nil {
			return err
		}
		defer e.leave()
		for _, m := range v {
			if err := e.text(m.Key); err != nil {
				return at(err, ".<key>")
			}
			if err := e.value(m.Value); err != nil {
				return at(err, "."+m.Key)
			}
		}
	case Map:
		if err := e.nest(6, 259); err != nil {
			return err
		}
		defer e.leave()
		if err := e.nest(5, uint64(len(v))); err != nil {
			return err
		}
		defer e.leave()
		for i, en := range v {
			if err := e.value(en.Key); err != nil {
				return at(err, fmt.Sprintf("<key %d>", i))
			}
			if err := e.value(en.Value); err != nil {
				return at(err, fmt.Sprintf("<value %d>", i))
			}
		}
	case Set:
		if err := e.nest(6, 258); err != nil {
			return err
		}
		defer e.leave()
		return e.array(v)
	case time.Time:
		return e.date(v)
	case InvalidDate:
		if err := e.nest(6, 1); err != nil {
			return err
		}
		defer e.leave()
		e.number(math.NaN())
	case Error:
		return e.error(&v)
	case *Error:
		if v == nil {
			e.buf = append(e.buf, 0xf6)
			return nil
		}
		return e.error(v)
	default:
		return e.encodeOther(v)
	}
	return nil
}

func b2i(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// number writes a number: an integer when it is one, not −0, with
// |f| ≤ 2^53 − 1, else a float64 (every NaN as 7ff8000000000000).
func (e *encoder) number(f float64) {
	switch {
	case f == math.Trunc(f) && math.Abs(f) <= maxSafeInteger && !(f == 0 && math.Signbit(f)):
		e.int(int64(f))
	case math.IsNaN(f):
		e.buf = append(e.buf, 0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0)
	default:
		e.buf = binary.BigEndian.AppendUint64(append(e.buf, 0xfb), math.Float64bits(f))
	}
}

// int writes n, |n| ≤ 2^53 − 1, as an integer.
func (e *encoder) int(n int64) {
	if n < 0 {
		e.head(1, uint64(-1-n))
		return
	}
	e.head(0, uint64(n))
}

// bigint writes n under tag 2 or 3.
func (e *encoder) bigint(n *big.Int) error {
	tag, mag := uint64(2), n
	if n.Sign() < 0 {
		tag = 3
		mag = new(big.Int).Neg(n)
		mag.Sub(mag, big.NewInt(1))
	}
	if err := e.nest(6, tag); err != nil {
		return err
	}
	defer e.leave()
	b := mag.Bytes()
	e.head(2, uint64(len(b)))
	e.buf = append(e.buf, b...)
	return nil
}

// text writes s, which must be UTF-8.
func (e *encoder) text(s string) error {
	if !utf8.ValidString(s) {
		return encodeError("string %q is not UTF-8", s)
	}
	e.head(3, uint64(len(s)))
	e.buf = append(e.buf, s...)
	return nil
}

// array writes the elements of an array (or Set).
func (e *encoder) array(items []any) error {
	if err := e.nest(4, uint64(len(items))); err != nil {
		return err
	}
	defer e.leave()
	for i, v := range items {
		if err := e.value(v); err != nil {
			return at(err, fmt.Sprintf("[%d]", i))
		}
	}
	return nil
}

// date writes t, truncated toward −∞ to the millisecond, under tag 1: an
// integer of seconds when it is a whole second, else a float64.
func (e *encoder) date(t time.Time) error {
	if err := e.nest(6, 1); err != nil {
		return err
	}
	defer e.leave()
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		s := ms / 1000
		if s < 0 {
			e.head(1, uint64(-1-s))
		} else {
			e.head(0, uint64(s))
		}
		return nil
	}
	e.buf = binary.BigEndian.AppendUint64(append(e.buf, 0xfb), math.Float64bits(float64(ms)/1000))
	return nil
}

// error writes x under tag 27.
func (e *encoder) error(x *Error) error {
	if err := e.nest(6, 27); err != nil {
		return err
	}
	defer e.leave()
	if err := e.nest(4, 2); err != nil {
		return err
	}
	defer e.leave()
	n := uint64(2)
	if x.Stack != "" {
		n++
	}
	if x.Cause != nil {
		n++
	}
	e.head(3, 5)
	e.buf = append(e.buf, "Error"...)
	if err := e.nest(5, n); err != nil {
		return err
	}
	defer e.leave()
	e.head(3, 4)
	e.buf = append(e.buf, "name"...)
	if err := e.text(errorName(x.Name)); err != nil {
		return err
	}
	e.head(3, 7)
	e.buf = append(e.buf, "message"...)
	if err := e.text(x.Message); err != nil {
		return at(err, ".message")
	}
	if x.Stack != "" {
		e.head(3, 5)
		e.buf = append(e.buf, "stack"...)
		if err := e.text(x.Stack); err != nil {
			return at(err, ".stack")
		}
	}
	if x.Cause != nil {
		e.head(3, 5)
		e.buf = append(e.buf, "cause"...)
		cause := x.Cause
		switch c := cause.(type) {
		case Error, *Error:
		case error:
			cause = ErrorFrom(c)
		}
		if err := e.value(cause); err != nil {
			return at(err, ".cause")
		}
	}
	return nil
}
