// This file is identical in guest-sdk/go/bindery/structured and
// bindings/durable/structured (the root module cannot require the guest
// SDK); TestSharedFiles in the root checks that the copies match.

package structured

import (
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"strconv"
)

// Undefined is JavaScript's undefined (and an array's hole).
type Undefined struct{}

// Object is a plain object: its properties in order.
type Object []Member

// Member is one property of an Object.
type Member struct {
	Key   string
	Value any
}

// Map is a JavaScript Map: its entries in insertion order, keys of any
// type.
type Map []Entry

// Entry is one entry of a Map.
type Entry struct {
	Key   any
	Value any
}

// Set is a JavaScript Set: its elements in insertion order.
type Set []any

// InvalidDate is a Date whose time is NaN (new Date(NaN)); a valid Date
// is a time.Time.
type InvalidDate struct{}

// TypedArray is a JavaScript typed array: its type and its viewed bytes,
// little-endian.
type TypedArray struct {
	Type  TypedArrayType
	Bytes []byte
}

// TypedArrayType is a typed array's class; its value is the RFC 8746 tag
// the encoding writes it under.
type TypedArrayType uint64

// The typed array classes.
const (
	Uint8Array        TypedArrayType = 64
	Uint8ClampedArray TypedArrayType = 68
	Int8Array         TypedArrayType = 72
	Uint16Array       TypedArrayType = 69
	Uint32Array       TypedArrayType = 70
	BigUint64Array    TypedArrayType = 71
	Int16Array        TypedArrayType = 77
	Int32Array        TypedArrayType = 78
	BigInt64Array     TypedArrayType = 79
	Float16Array      TypedArrayType = 84
	Float32Array      TypedArrayType = 85
	Float64Array      TypedArrayType = 86
)

// String returns the class's JavaScript name ("Uint16Array"), or
// "TypedArray(<tag>)" for a tag that is not a typed array's.
func (t TypedArrayType) String() string {
	switch t {
	case Uint8Array:
		return "Uint8Array"
	case Uint8ClampedArray:
		return "Uint8ClampedArray"
	case Int8Array:
		return "Int8Array"
	case Uint16Array:
		return "Uint16Array"
	case Uint32Array:
		return "Uint32Array"
	case BigUint64Array:
		return "BigUint64Array"
	case Int16Array:
		return "Int16Array"
	case Int32Array:
		return "Int32Array"
	case BigInt64Array:
		return "BigInt64Array"
	case Float16Array:
		return "Float16Array"
	case Float32Array:
		return "Float32Array"
	case Float64Array:
		return "Float64Array"
	}
	return "TypedArray(" + strconv.FormatUint(uint64(t), 10) + ")"
}

// ElementSize returns the size in bytes of one element of the class, or
// 0 for a tag that is not a typed array's.
func (t TypedArrayType) ElementSize() int {
	switch t {
	case Uint8Array, Uint8ClampedArray, Int8Array:
		return 1
	case Uint16Array, Int16Array, Float16Array:
		return 2
	case Uint32Array, Int32Array, Float32Array:
		return 4
	case BigUint64Array, BigInt64Array, Float64Array:
		return 8
	}
	return 0
}

// Elements returns the array's elements: a float64 each, or a *big.Int
// for a BigInt64Array's and a BigUint64Array's; nil for an unknown type.
func (t TypedArray) Elements() []any {
	size := t.Type.ElementSize()
	if size == 0 {
		return nil
	}
	items := make([]any, 0, len(t.Bytes)/size)
	for b := t.Bytes; len(b) >= size; b = b[size:] {
		var x any
		switch t.Type {
		case Uint8Array, Uint8ClampedArray:
			x = float64(b[0])
		case Int8Array:
			x = float64(int8(b[0]))
		case Uint16Array:
			x = float64(binary.LittleEndian.Uint16(b))
		case Int16Array:
			x = float64(int16(binary.LittleEndian.Uint16(b)))
		case Uint32Array:
			x = float64(binary.LittleEndian.Uint32(b))
		case Int32Array:
			x = float64(int32(binary.LittleEndian.Uint32(b)))
		case BigUint64Array:
			x = new(big.Int).SetUint64(binary.LittleEndian.Uint64(b))
		case BigInt64Array:
			x = big.NewInt(int64(binary.LittleEndian.Uint64(b)))
		case Float16Array:
			x = float(25, uint64(binary.LittleEndian.Uint16(b)))
		case Float32Array:
			x = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		case Float64Array:
			x = math.Float64frombits(binary.LittleEndian.Uint64(b))
		}
		items = append(items, x)
	}
	return items
}

// Error is a JavaScript Error. It is encoded as tag 27; it implements
// error, and Unwrap returns its Cause when the cause is an error.
type Error struct {
	// Name is one of Error, EvalError, RangeError, ReferenceError,
	// SyntaxError, TypeError and URIError; any other name (and "") is
	// encoded, and decoded, as "Error".
	Name    string
	Message string
	// Stack is written when it is not empty.
	Stack string
	// Cause is written when it is not nil (so a null cause is read back
	// as no cause). An error that is not an *Error is written as
	// ErrorFrom makes it.
	Cause any
}

// Error returns "Name: Message" (or the name alone when the message is
// empty), as JavaScript's Error.prototype.toString does.
func (e *Error) Error() string {
	name := errorName(e.Name)
	if e.Message == "" {
		return name
	}
	return name + ": " + e.Message
}

// Unwrap returns the cause when it is an error, else nil.
func (e *Error) Unwrap() error {
	c, _ := e.Cause.(error)
	return c
}

// ErrorFrom returns err as an *Error: err itself when it is one, else an
// Error named "Error" with err's message and, as its cause, what
// errors.Unwrap(err) returns (converted the same way).
func ErrorFrom(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*Error); ok {
		return e
	}
	out := &Error{Name: "Error", Message: err.Error()}
	if u := errors.Unwrap(err); u != nil {
		out.Cause = ErrorFrom(u)
	}
	return out
}

// errorName returns name when it is one of JavaScript's seven Error
// classes that the encoding keeps, else "Error".
func errorName(name string) string {
	switch name {
	case "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError":
		return name
	}
	return "Error"
}
