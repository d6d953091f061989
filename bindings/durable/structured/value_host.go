package structured

import "fmt"

// Value is a decoded value: one of
//
//	undefined      Undefined{}
//	null           nil
//	boolean        bool
//	number         float64 (−0, NaN and ±Inf included)
//	bigint         *big.Int (and an integer item beyond 2^53 − 1)
//	string         string
//	ArrayBuffer    []byte (a byte string)
//	typed array    TypedArray{Type, Bytes}
//	array          []any (a hole is Undefined{})
//	plain object   Object, its members in order
//	Map            Map, its entries in order (a repeated key: the later value, in the first one's place; a key −0 is 0)
//	Set            Set (a repeated element kept once; −0 is 0)
//	Date           time.Time in UTC; InvalidDate{} for NaN or a time beyond ±8.64e15 ms
//	Error          *Error (an empty stack and a null cause read back as none)
//
// with elements, members and entries that are Values too.
type Value = any

// Encode returns the encoding of v, prefix included; it fails with an
// *EncodeError naming the place of what is not a Value, or not one the
// encoding can hold (a string that is not UTF-8, nesting deeper than
// 256).
func Encode(v Value) ([]byte, error) {
	return encode(v)
}

// encodeOther refuses what is not a Value.
func (e *encoder) encodeOther(v any) error {
	return &EncodeError{Msg: fmt.Sprintf("%T is not a Value", v)}
}

// encoderLocal is what encodeOther keeps: nothing, here.
type encoderLocal struct{}
