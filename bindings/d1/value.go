package d1

import (
	"fmt"
	"math"
)

// Kind is the SQLite storage class of a Value.
type Kind uint8

// The storage classes a Value can hold.
const (
	KindNull Kind = iota
	KindInteger
	KindReal
	KindText
	KindBlob
)

// String names the kind as SQLite's typeof() does.
func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindInteger:
		return "integer"
	case KindReal:
		return "real"
	case KindText:
		return "text"
	case KindBlob:
		return "blob"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Value is one SQL value crossing the binding: a 64-bit integer (exact,
// also beyond 2^53), a float64, a UTF-8 text, a blob or NULL. The zero
// Value is NULL.
type Value struct {
	Kind  Kind
	Int   int64
	Float float64
	Text  string
	Blob  []byte
}

// Null returns the NULL value.
func Null() Value { return Value{} }

// Int returns an integer value.
func Int(v int64) Value { return Value{Kind: KindInteger, Int: v} }

// Real returns a floating-point value.
func Real(v float64) Value { return Value{Kind: KindReal, Float: v} }

// Text returns a text value.
func Text(v string) Value { return Value{Kind: KindText, Text: v} }

// Blob returns a blob value; a nil slice is an empty blob, not NULL.
func Blob(v []byte) Value {
	if v == nil {
		v = []byte{}
	}
	return Value{Kind: KindBlob, Blob: v}
}

// IsNull reports whether v is NULL.
func (v Value) IsNull() bool { return v.Kind == KindNull }

// size is the number of bytes v occupies for D1's size limit.
func (v Value) size() int {
	switch v.Kind {
	case KindText:
		return len(v.Text)
	case KindBlob:
		return len(v.Blob)
	}
	return 8
}

// String formats v for messages and tests.
func (v Value) String() string {
	switch v.Kind {
	case KindNull:
		return "NULL"
	case KindInteger:
		return fmt.Sprint(v.Int)
	case KindReal:
		if math.IsInf(v.Float, 0) || math.IsNaN(v.Float) {
			return fmt.Sprint(v.Float)
		}
		return fmt.Sprintf("%g", v.Float)
	case KindText:
		return fmt.Sprintf("%q", v.Text)
	case KindBlob:
		return fmt.Sprintf("x'%x'", v.Blob)
	}
	return v.Kind.String()
}

// Equal reports whether v and w hold the same kind and value.
func (v Value) Equal(w Value) bool {
	if v.Kind != w.Kind {
		return false
	}
	switch v.Kind {
	case KindInteger:
		return v.Int == w.Int
	case KindReal:
		return v.Float == w.Float || (math.IsNaN(v.Float) && math.IsNaN(w.Float))
	case KindText:
		return v.Text == w.Text
	case KindBlob:
		return string(v.Blob) == string(w.Blob)
	}
	return true
}
