package structured

import (
	"encoding"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strings"
	"time"
)

// Unmarshaler is implemented by a type that decodes itself:
// UnmarshalStructured gets the value in the generic representation (see
// the package documentation).
type Unmarshaler interface {
	UnmarshalStructured(v any) error
}

// UnmarshalTypeError is the error for a value that does not fit the Go
// type it is decoded into: Value says what it is ("bigint 12345678901234567890n",
// "Map"), Path where it is (".a[2]", "" for the value itself).
type UnmarshalTypeError struct {
	Value string
	Type  reflect.Type
	Path  string
	Err   error
}

// Error returns the message with the path.
func (e *UnmarshalTypeError) Error() string {
	msg := fmt.Sprintf("structured: cannot decode %s into Go value of type %s", e.Value, e.Type)
	if e.Path != "" {
		msg += " at " + e.Path
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns Err, the error of an Unmarshaler or TextUnmarshaler.
func (e *UnmarshalTypeError) Unwrap() error { return e.Err }

// Unmarshal decodes data into the value v points to, as encoding/json's
// Unmarshal does (the package documentation lists how each Go type is
// read). It fails with a *SyntaxError, naming the byte offset, for bytes
// that are not a valid encoding, and with an *UnmarshalTypeError for a
// value that does not fit its Go type (what fitted before it is set).
func Unmarshal(data []byte, v any) error {
	g, err := Decode(data)
	if err != nil {
		return err
	}
	return UnmarshalValue(g, v)
}

// UnmarshalValue stores g, a value of the generic representation (what
// Decode returns, or a part of it: one of an RPC call's arguments), in
// the value v points to, as Unmarshal does.
func UnmarshalValue(g any, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("structured: Unmarshal into %T: not a non-nil pointer", v)
	}
	var d decodeInto
	return d.assign(rv.Elem(), g)
}

// decodeInto stores generic values in Go values; it keeps the properties
// of each struct type met.
type decodeInto struct {
	fields map[reflect.Type][]field
}

// structFields returns t's properties, found once per Unmarshal.
func (d *decodeInto) structFields(t reflect.Type) []field {
	if f, ok := d.fields[t]; ok {
		return f
	}
	if d.fields == nil {
		d.fields = map[reflect.Type][]field{}
	}
	f := structFields(t)
	d.fields[t] = f
	return f
}

// typeError returns an *UnmarshalTypeError for v into t.
func typeError(v any, t reflect.Type, err error) error {
	return &UnmarshalTypeError{Value: describe(v), Type: t, Err: err}
}

// in returns err with elem ("[2]", ".a") in front of its path, when err
// is an *UnmarshalTypeError.
func in(err error, elem string) error {
	if e, ok := err.(*UnmarshalTypeError); ok {
		e.Path = elem + e.Path
	}
	return err
}

// describe names v's kind for an error.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case Undefined:
		return "undefined"
	case bool:
		return "boolean"
	case float64:
		return fmt.Sprintf("number %v", v)
	case *big.Int:
		return fmt.Sprintf("bigint %vn", v)
	case string:
		return "string"
	case []byte:
		return "byte string"
	case TypedArray:
		return v.Type.String()
	case []any:
		return "array"
	case Object:
		return "object"
	case Map:
		return "Map"
	case Set:
		return "Set"
	case time.Time, InvalidDate:
		return "Date"
	case *Error:
		return v.Name
	}
	return fmt.Sprintf("%T", v)
}

// assign stores v, of the generic representation, in rv.
func (d *decodeInto) assign(rv reflect.Value, v any) error {
	if rv.CanAddr() && rv.Kind() != reflect.Pointer {
		if u, ok := rv.Addr().Interface().(Unmarshaler); ok {
			if err := u.UnmarshalStructured(v); err != nil {
				return typeError(v, rv.Type(), err)
			}
			return nil
		}
	}
	switch v.(type) {
	case nil, Undefined:
		switch rv.Kind() {
		case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice:
			rv.SetZero()
		}
		return nil
	}
	gv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			rv.Set(reflect.New(rv.Type().Elem()))
		}
		return d.assign(rv.Elem(), v)
	case reflect.Interface:
		if !gv.Type().AssignableTo(rv.Type()) {
			return typeError(v, rv.Type(), nil)
		}
		rv.Set(gv)
		return nil
	}
	if gv.Type() == rv.Type() {
		rv.Set(gv)
		return nil
	}
	switch x := v.(type) {
	case *Error:
		if rv.Type() == reflect.TypeFor[Error]() {
			rv.Set(reflect.ValueOf(*x))
			return nil
		}
	case *big.Int:
		if rv.Type() == reflect.TypeFor[big.Int]() {
			rv.Addr().Interface().(*big.Int).Set(x)
			return nil
		}
	case float64:
		if rv.Type() == reflect.TypeFor[big.Int]() && x == math.Trunc(x) && !math.IsInf(x, 0) {
			new(big.Float).SetFloat64(x).Int(rv.Addr().Interface().(*big.Int))
			return nil
		}
	case string:
		if rv.CanAddr() {
			if u, ok := rv.Addr().Interface().(encoding.TextUnmarshaler); ok {
				if err := u.UnmarshalText([]byte(x)); err != nil {
					return typeError(v, rv.Type(), err)
				}
				return nil
			}
		}
	}
	ok := false
	switch rv.Kind() {
	case reflect.Bool:
		var b bool
		if b, ok = v.(bool); ok {
			rv.SetBool(b)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var n int64
		if n, ok = toInt64(v); ok && !rv.OverflowInt(n) {
			rv.SetInt(n)
		} else {
			ok = false
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		var n uint64
		if n, ok = toUint64(v); ok && !rv.OverflowUint(n) {
			rv.SetUint(n)
		} else {
			ok = false
		}
	case reflect.Float32, reflect.Float64:
		var f float64
		if f, ok = v.(float64); ok && !rv.OverflowFloat(f) {
			rv.SetFloat(f)
		} else {
			ok = false
		}
	case reflect.String:
		var s string
		if s, ok = v.(string); ok {
			rv.SetString(s)
		}
	case reflect.Slice, reflect.Array:
		return d.assignList(rv, v)
	case reflect.Map:
		return d.assignMap(rv, v)
	case reflect.Struct:
		return d.assignStruct(rv, v)
	}
	if !ok {
		return typeError(v, rv.Type(), nil)
	}
	return nil
}

// toInt64 returns v as an int64 when it is an integral number or a bigint
// in range.
func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && x >= -(1<<63) && x < 1<<63 {
			return int64(x), true
		}
	case *big.Int:
		if x.IsInt64() {
			return x.Int64(), true
		}
	}
	return 0, false
}

// toUint64 returns v as a uint64 when it is an integral number or a
// bigint in range.
func toUint64(v any) (uint64, bool) {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && x >= 0 && x < 1<<64 {
			return uint64(x), true
		}
	case *big.Int:
		if x.IsUint64() {
			return x.Uint64(), true
		}
	}
	return 0, false
}

// assignList stores a byte string, a typed array, an array or a Set in a
// Go slice or array (an array's length must match): bytes and a
// Uint8Array in bytes, another typed array's elements one by one (so
// a Float64Array fills a []float64, a BigInt64Array a []int64).
func (d *decodeInto) assignList(rv reflect.Value, v any) error {
	var items []any
	switch x := v.(type) {
	case []byte:
		return d.assignBytes(rv, x)
	case TypedArray:
		if x.Type == Uint8Array && rv.Type().Elem().Kind() == reflect.Uint8 {
			return d.assignBytes(rv, x.Bytes)
		}
		items = x.Elements()
	case []any:
		items = x
	case Set:
		items = x
	}
	if items == nil {
		return typeError(v, rv.Type(), nil)
	}
	if rv.Kind() == reflect.Array {
		if rv.Len() != len(items) {
			return typeError(v, rv.Type(), fmt.Errorf("%d elements", len(items)))
		}
	} else {
		rv.Set(reflect.MakeSlice(rv.Type(), len(items), len(items)))
	}
	for i, item := range items {
		if err := d.assign(rv.Index(i), item); err != nil {
			return in(err, fmt.Sprintf("[%d]", i))
		}
	}
	return nil
}

// assignBytes stores b in a Go slice or array of bytes.
func (d *decodeInto) assignBytes(rv reflect.Value, b []byte) error {
	if rv.Type().Elem().Kind() != reflect.Uint8 {
		return typeError(b, rv.Type(), nil)
	}
	if rv.Kind() == reflect.Slice {
		rv.SetBytes(b)
		return nil
	}
	if rv.Len() != len(b) {
		return typeError(b, rv.Type(), fmt.Errorf("%d bytes", len(b)))
	}
	for i, c := range b {
		rv.Index(i).SetUint(uint64(c))
	}
	return nil
}

// assignMap stores an object's properties or a Map's entries in a Go map.
func (d *decodeInto) assignMap(rv reflect.Value, v any) error {
	var entries Map
	switch x := v.(type) {
	case Object:
		entries = make(Map, len(x))
		for i, m := range x {
			entries[i] = Entry{m.Key, m.Value}
		}
	case Map:
		entries = x
	default:
		return typeError(v, rv.Type(), nil)
	}
	t := rv.Type()
	if rv.IsNil() {
		rv.Set(reflect.MakeMapWithSize(t, len(entries)))
	}
	for i, en := range entries {
		k := reflect.New(t.Key()).Elem()
		if err := d.assign(k, en.Key); err != nil {
			return in(err, fmt.Sprintf("<key %d>", i))
		}
		e := reflect.New(t.Elem()).Elem()
		if err := d.assign(e, en.Value); err != nil {
			return in(err, fmt.Sprintf("[%v]", k))
		}
		rv.SetMapIndex(k, e)
	}
	return nil
}

// assignStruct stores an object's properties in a struct's fields, found
// by name as encoding/json finds them (exactly, else without regard to
// case); other properties are ignored.
func (d *decodeInto) assignStruct(rv reflect.Value, v any) error {
	obj, ok := v.(Object)
	if !ok {
		return typeError(v, rv.Type(), nil)
	}
	fields := d.structFields(rv.Type())
	for _, m := range obj {
		f := -1
		for i := range fields {
			if fields[i].name == m.Key {
				f = i
				break
			}
			if f < 0 && strings.EqualFold(fields[i].name, m.Key) {
				f = i
			}
		}
		if f < 0 {
			continue
		}
		fv, ok := settableField(rv, fields[f].index)
		if !ok {
			continue
		}
		if err := d.assign(fv, m.Value); err != nil {
			return in(err, "."+m.Key)
		}
	}
	return nil
}

// settableField returns the field of rv at index, allocating the embedded
// pointers on the way, or false when one cannot be (a pointer to an
// unexported struct).
func settableField(rv reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				if !rv.CanSet() {
					return reflect.Value{}, false
				}
				rv.Set(reflect.New(rv.Type().Elem()))
			}
			rv = rv.Elem()
		}
		rv = rv.Field(x)
	}
	return rv, rv.CanSet()
}
