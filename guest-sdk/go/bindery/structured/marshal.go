package structured

import (
	"bytes"
	"encoding"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strings"
)

// Marshaler is implemented by a type that encodes as another value:
// MarshalStructured returns the value to encode in its place (anything
// Marshal takes).
type Marshaler interface {
	MarshalStructured() (any, error)
}

// Marshal returns the encoding of v, the 55799 prefix included. The
// package documentation lists how each Go type is written. It fails
// with an *EncodeError naming the value's place for what the encoding
// cannot hold: a channel, function or complex number, a string that is
// not UTF-8, nesting deeper than 256 (which a cycle reaches).
func Marshal(v any) ([]byte, error) {
	return encode(v)
}

// encoderLocal is what the encoder keeps for reflection: the properties
// of each struct type met.
type encoderLocal struct {
	fields map[reflect.Type][]field
}

// structFields returns t's properties, found once per Marshal.
func (e *encoder) structFields(t reflect.Type) []field {
	if f, ok := e.local.fields[t]; ok {
		return f
	}
	if e.local.fields == nil {
		e.local.fields = map[reflect.Type][]field{}
	}
	f := structFields(t)
	e.local.fields[t] = f
	return f
}

// encodeOther writes v, which is not of the generic representation's
// types, by reflection.
func (e *encoder) encodeOther(v any) error {
	rv := reflect.ValueOf(v)
	for i := 0; rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface; i++ {
		if rv.IsNil() {
			e.buf = append(e.buf, 0xf6)
			return nil
		}
		if rv.Kind() == reflect.Pointer && pointerMethods(rv.Type()) {
			break
		}
		if i == maxDepth {
			return encodeError("%T: a cycle of pointers", v)
		}
		rv = rv.Elem()
		if rv.Kind() != reflect.Pointer && rv.Kind() != reflect.Interface {
			return e.value(rv.Interface())
		}
	}
	if rv.Kind() == reflect.Pointer && rv.Type() != reflect.TypeOf(v) {
		return e.value(rv.Interface())
	}
	switch x := v.(type) {
	case Marshaler:
		if e.depth >= maxDepth {
			return encodeError("nesting deeper than %d (a Marshaler that returns itself?)", maxDepth)
		}
		r, err := x.MarshalStructured()
		if err != nil {
			return &EncodeError{Msg: fmt.Sprintf("%T.MarshalStructured", v), Err: err}
		}
		e.depth++
		defer e.leave()
		return e.value(r)
	case big.Int:
		return e.bigint(&x)
	case encoding.TextMarshaler:
		text, err := x.MarshalText()
		if err != nil {
			return &EncodeError{Msg: fmt.Sprintf("%T.MarshalText", v), Err: err}
		}
		return e.text(string(text))
	}
	switch rv.Kind() {
	case reflect.Bool:
		e.buf = append(e.buf, 0xf4+b2i(rv.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := rv.Int()
		if n < -maxSafeInteger || n > maxSafeInteger {
			return e.bigint(big.NewInt(n))
		}
		e.int(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n := rv.Uint()
		if n > maxSafeInteger {
			return e.bigint(new(big.Int).SetUint64(n))
		}
		e.head(0, n)
	case reflect.Float32, reflect.Float64:
		e.number(rv.Float())
	case reflect.String:
		return e.text(rv.String())
	case reflect.Slice:
		if rv.IsNil() {
			e.buf = append(e.buf, 0xf6)
			return nil
		}
		return e.list(rv)
	case reflect.Array:
		return e.list(rv)
	case reflect.Map:
		if rv.IsNil() {
			e.buf = append(e.buf, 0xf6)
			return nil
		}
		return e.goMap(rv)
	case reflect.Struct:
		return e.goStruct(rv)
	default:
		return encodeError("%T has no encoding", v)
	}
	return nil
}

// pointerMethods reports whether the pointer type t has a
// MarshalStructured or MarshalText method that its element type lacks
// (a pointer receiver's), so that it must not be dereferenced first.
func pointerMethods(t reflect.Type) bool {
	m, tm := reflect.TypeFor[Marshaler](), reflect.TypeFor[encoding.TextMarshaler]()
	return t.Implements(m) && !t.Elem().Implements(m) || t.Implements(tm) && !t.Elem().Implements(tm)
}

// list writes a Go slice or array: bytes as a byte string, anything else
// as an array.
func (e *encoder) list(rv reflect.Value) error {
	n := rv.Len()
	if rv.Type().Elem().Kind() == reflect.Uint8 {
		e.head(2, uint64(n))
		for i := range n {
			e.buf = append(e.buf, byte(rv.Index(i).Uint()))
		}
		return nil
	}
	if err := e.nest(4, uint64(n)); err != nil {
		return err
	}
	defer e.leave()
	for i := range n {
		if err := e.field(rv.Index(i)); err != nil {
			return at(err, fmt.Sprintf("[%d]", i))
		}
	}
	return nil
}

// field writes a value reached by reflection.
func (e *encoder) field(rv reflect.Value) error {
	if !rv.CanInterface() {
		return encodeError("an unexported %s", rv.Type())
	}
	return e.value(rv.Interface())
}

// goMap writes a Go map: a plain object when its keys are strings, else a
// Map; either way its entries sorted by their keys' encoded bytes.
func (e *encoder) goMap(rv reflect.Value) error {
	stringKeys := rv.Type().Key().Kind() == reflect.String
	if !stringKeys {
		if err := e.nest(6, 259); err != nil {
			return err
		}
		defer e.leave()
	}
	if err := e.nest(5, uint64(rv.Len())); err != nil {
		return err
	}
	defer e.leave()
	type entry struct{ key, all []byte }
	entries := make([]entry, 0, rv.Len())
	outer := e.buf
	defer func() { e.buf = outer }()
	for iter := rv.MapRange(); iter.Next(); {
		e.buf = nil
		var err error
		if stringKeys {
			err = e.text(iter.Key().String())
		} else {
			err = e.field(iter.Key())
		}
		if err != nil {
			return at(err, fmt.Sprintf("[<key %v>]", iter.Key()))
		}
		k := len(e.buf)
		if err := e.field(iter.Value()); err != nil {
			return at(err, fmt.Sprintf("[%v]", iter.Key()))
		}
		entries = append(entries, entry{e.buf[:k], e.buf})
	}
	slices.SortFunc(entries, func(a, b entry) int { return bytes.Compare(a.key, b.key) })
	for _, en := range entries {
		outer = append(outer, en.all...)
	}
	return nil
}

// goStruct writes a struct as a plain object, its fields in declaration
// order.
func (e *encoder) goStruct(rv reflect.Value) error {
	fields := e.structFields(rv.Type())
	values := make([]reflect.Value, len(fields))
	n := 0
	for i, f := range fields {
		fv, ok := fieldByIndex(rv, f.index)
		if !ok || f.omitEmpty && isEmpty(fv) || f.omitZero && isZero(fv) {
			continue
		}
		values[i] = fv
		n++
	}
	if err := e.nest(5, uint64(n)); err != nil {
		return err
	}
	defer e.leave()
	for i, f := range fields {
		if !values[i].IsValid() {
			continue
		}
		if err := e.text(f.name); err != nil {
			return at(err, "."+f.name)
		}
		if err := e.field(values[i]); err != nil {
			return at(err, "."+f.name)
		}
	}
	return nil
}

// fieldByIndex returns the field of rv at index, or false when an
// embedded pointer on the way is nil.
func fieldByIndex(rv reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				return reflect.Value{}, false
			}
			rv = rv.Elem()
		}
		rv = rv.Field(x)
	}
	return rv, true
}

// isEmpty reports whether encoding/json's omitempty omits v.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isZero reports whether encoding/json's omitzero omits v: its IsZero
// method says so, or it is its type's zero value.
func isZero(v reflect.Value) bool {
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return z.IsZero()
	}
	return v.IsZero()
}

// field is a struct field as a property: its name and where it is.
type field struct {
	name                string
	index               []int
	omitEmpty, omitZero bool
}

// structFields returns t's properties in declaration order, as
// encoding/json finds them: exported fields, renamed by a json tag and
// left out by "-", with the fields of embedded structs promoted (of two
// with one name, the shallower wins, else the tagged one, else neither).
func structFields(t reflect.Type) []field {
	type candidate struct {
		field
		tagged bool
	}
	var all []candidate
	visited := map[reflect.Type]bool{t: true}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(slices.Clip(index), i)
			if sf.Anonymous && name == "" {
				ft := sf.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					if !visited[ft] {
						visited[ft] = true
						walk(ft, idx)
					}
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			c := candidate{field{name: name, index: idx}, name != ""}
			if name == "" {
				c.name = sf.Name
			}
			for o := range strings.SplitSeq(opts, ",") {
				c.omitEmpty = c.omitEmpty || o == "omitempty"
				c.omitZero = c.omitZero || o == "omitzero"
			}
			all = append(all, c)
		}
	}
	walk(t, nil)
	fields := make([]field, 0, len(all))
	for i, c := range all {
		dominant := true
		for j, o := range all {
			if i == j || o.name != c.name {
				continue
			}
			if len(o.index) < len(c.index) || len(o.index) == len(c.index) && (o.tagged || !c.tagged) {
				dominant = false
			}
		}
		if dominant {
			fields = append(fields, c.field)
		}
	}
	return fields
}
