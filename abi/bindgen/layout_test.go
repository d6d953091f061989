package bindgen

import (
	"fmt"
	"path/filepath"
	"testing"

	"go.bytecodealliance.org/wit"
)

// This file checks the generator's layout arithmetic against a reference
// written here from the Canonical ABI spec (CanonicalABI.md, "Alignment",
// "Element Size", "Loading"), and both against the wit package's
// Size/Align. layoutrun_test.go then runs generated code against it.

// refCases returns the cases of a variant-like kind (option, result and
// enum despecialized), each with its payload type or nil.
func refCases(k wit.TypeDefKind) ([]wit.Type, bool) {
	switch k := k.(type) {
	case *wit.Variant:
		var ts []wit.Type
		for _, c := range k.Cases {
			ts = append(ts, c.Type)
		}
		return ts, true
	case *wit.Enum:
		return make([]wit.Type, len(k.Cases)), true
	case *wit.Option:
		return []wit.Type{nil, k.Type}, true
	case *wit.Result:
		return []wit.Type{k.OK, k.Err}, true
	}
	return nil, false
}

// refFields returns the field types of a record-like kind (record, tuple).
func refFields(k wit.TypeDefKind) ([]wit.Type, bool) {
	switch k := k.(type) {
	case *wit.Record:
		var ts []wit.Type
		for _, f := range k.Fields {
			ts = append(ts, f.Type)
		}
		return ts, true
	case *wit.Tuple:
		return k.Types, true
	}
	return nil, false
}

func refKind(t wit.Type) wit.TypeDefKind {
	for {
		td, ok := t.(*wit.TypeDef)
		if !ok {
			return t
		}
		if inner, ok := td.Kind.(*wit.TypeDef); ok {
			t = inner
			continue
		}
		return td.Kind
	}
}

func refAlignTo(n, a uintptr) uintptr { return (n + a - 1) &^ (a - 1) }

// refDisc is the size (and alignment) of the discriminant of n cases:
// u8 up to 256 cases, u16 up to 65536, else u32.
func refDisc(n int) uintptr {
	switch {
	case n <= 256:
		return 1
	case n <= 65536:
		return 2
	}
	return 4
}

func refMaxCaseAlign(cases []wit.Type) uintptr {
	a := uintptr(1)
	for _, c := range cases {
		if c != nil {
			a = max(a, refAlign(c))
		}
	}
	return a
}

func refAlign(t wit.Type) uintptr {
	switch k := refKind(t).(type) {
	case wit.Bool, wit.U8, wit.S8:
		return 1
	case wit.U16, wit.S16:
		return 2
	case wit.U32, wit.S32, wit.F32, wit.Char, wit.String, *wit.List, *wit.Own, *wit.Borrow:
		return 4
	case wit.U64, wit.S64, wit.F64:
		return 8
	default:
		if fs, ok := refFields(k); ok {
			a := uintptr(1)
			for _, f := range fs {
				a = max(a, refAlign(f))
			}
			return a
		}
		if cs, ok := refCases(k); ok {
			return max(refDisc(len(cs)), refMaxCaseAlign(cs))
		}
	}
	panic(fmt.Sprintf("refAlign: unsupported %T", refKind(t)))
}

// refOffsets returns the offsets of a record's or tuple's fields.
func refOffsets(fs []wit.Type) []uintptr {
	var out []uintptr
	s := uintptr(0)
	for _, f := range fs {
		s = refAlignTo(s, refAlign(f))
		out = append(out, s)
		s += refSize(f)
	}
	return out
}

// refPayload returns the offset of a variant's payload.
func refPayload(cs []wit.Type) uintptr {
	return refAlignTo(refDisc(len(cs)), refMaxCaseAlign(cs))
}

func refSize(t wit.Type) uintptr {
	switch k := refKind(t).(type) {
	case wit.Bool, wit.U8, wit.S8:
		return 1
	case wit.U16, wit.S16:
		return 2
	case wit.U32, wit.S32, wit.F32, wit.Char, *wit.Own, *wit.Borrow:
		return 4
	case wit.U64, wit.S64, wit.F64, wit.String, *wit.List:
		return 8
	default:
		if fs, ok := refFields(k); ok {
			s := uintptr(0)
			if len(fs) > 0 {
				offs := refOffsets(fs)
				s = offs[len(fs)-1] + refSize(fs[len(fs)-1])
			}
			return refAlignTo(s, refAlign(t))
		}
		if cs, ok := refCases(k); ok {
			m := uintptr(0)
			for _, c := range cs {
				if c != nil {
					m = max(m, refSize(c))
				}
			}
			return refAlignTo(refPayload(cs)+m, refAlign(t))
		}
	}
	panic(fmt.Sprintf("refSize: unsupported %T", refKind(t)))
}

// allTypes returns every type reachable from the named type defs of res's
// interfaces, each once.
func allTypes(res *wit.Resolve) []wit.Type {
	seen := map[wit.Type]bool{}
	var out []wit.Type
	var walk func(t wit.Type)
	walk = func(t wit.Type) {
		if t == nil || seen[t] {
			return
		}
		seen[t] = true
		k := refKind(t)
		if _, ok := k.(*wit.Resource); ok {
			return // no layout of its own
		}
		out = append(out, t)
		if fs, ok := refFields(k); ok {
			for _, f := range fs {
				walk(f)
			}
		}
		if cs, ok := refCases(k); ok {
			for _, c := range cs {
				walk(c)
			}
		}
		if l, ok := k.(*wit.List); ok {
			walk(l.Type)
		}
	}
	for _, iface := range res.Interfaces {
		for _, td := range iface.TypeDefs.All() {
			walk(td)
		}
		for _, f := range iface.Functions.All() {
			for _, p := range f.Params {
				walk(p.Type)
			}
			for _, r := range f.Results {
				walk(r.Type)
			}
		}
	}
	return out
}

func typeString(t wit.Type) string {
	if td, ok := t.(*wit.TypeDef); ok && td.Name != nil {
		return *td.Name
	}
	return fmt.Sprintf("%T", refKind(t))
}

// TestLayoutMatchesSpec checks, for every type of the layout WIT and of the
// project's WIT, that the wit package's Size/Align and the generator's own
// arithmetic (discSize, payloadOffset, maxCaseAlign, alignTo) agree with the
// reference above.
func TestLayoutMatchesSpec(t *testing.T) {
	layout := layoutWIT(t)
	project, err := wit.LoadWIT(filepath.Join("..", "..", "wit"))
	if err != nil {
		t.Fatal(err)
	}
	for name, res := range map[string]*wit.Resolve{"layout": layout, "project": project} {
		types := allTypes(res)
		if len(types) < 10 {
			t.Fatalf("%s: only %d types", name, len(types))
		}
		for _, typ := range types {
			tn := typeString(typ)
			if got, want := typ.Size(), refSize(typ); got != want {
				t.Errorf("%s: %s: wit Size = %d, spec %d", name, tn, got, want)
			}
			if got, want := typ.Align(), refAlign(typ); got != want {
				t.Errorf("%s: %s: wit Align = %d, spec %d", name, tn, got, want)
			}
			k := refKind(typ)
			if fs, ok := refFields(k); ok {
				// The generator walks fields with alignTo(off, Align) and += Size.
				off := uintptr(0)
				for i, f := range fs {
					off = alignTo(off, f.Align())
					if want := refOffsets(fs)[i]; off != want {
						t.Errorf("%s: %s: field %d at %d, spec %d", name, tn, i, off, want)
					}
					off += f.Size()
				}
			}
			if _, ok := refCases(k); ok {
				cases, ok := variantOf(k)
				if !ok {
					t.Fatalf("%s: variantOf(%s) failed", name, tn)
				}
				cs, _ := refCases(k)
				if got, want := discSize(len(cases)), refDisc(len(cs)); got != want {
					t.Errorf("%s: %s: discSize = %d, spec %d", name, tn, got, want)
				}
				if got, want := maxCaseAlign(cases), refMaxCaseAlign(cs); got != want {
					t.Errorf("%s: %s: maxCaseAlign = %d, spec %d", name, tn, got, want)
				}
				if got, want := payloadOffset(len(cases), maxCaseAlign(cases)), refPayload(cs); got != want {
					t.Errorf("%s: %s: payloadOffset = %d, spec %d", name, tn, got, want)
				}
			}
		}
	}
}

// TestLayoutKnownValues pins a few layouts of the layout WIT computed by
// hand, so that a bug shared by the reference and the wit package still
// shows.
func TestLayoutKnownValues(t *testing.T) {
	res := layoutWIT(t)
	byName := map[string]wit.Type{}
	for _, iface := range res.Interfaces {
		for name, td := range iface.TypeDefs.All() {
			byName[name] = td
		}
	}
	tests := []struct {
		typ         string
		size, align uintptr
		offsets     []uintptr // fields, or {payload} for a variant
	}{
		{"small", 6, 2, []uintptr{0, 2, 4}},
		{"color", 1, 1, nil},
		{"shape", 16, 8, []uintptr{8}},
		{"big", 2, 2, nil},
		{"with-big", 6, 2, []uintptr{0, 2, 4}},
		{"mixed", 168, 8, []uintptr{0, 8, 16, 24, 28, 36, 37, 40, 56, 72, 76, 88, 104, 116, 120, 128, 136, 144, 152, 156, 164}},
	}
	for _, tt := range tests {
		typ, ok := byName[tt.typ]
		if !ok {
			t.Fatalf("no type %s", tt.typ)
		}
		if typ.Size() != tt.size || typ.Align() != tt.align {
			t.Errorf("%s: size %d align %d, want %d %d", tt.typ, typ.Size(), typ.Align(), tt.size, tt.align)
		}
		k := refKind(typ)
		if fs, ok := refFields(k); ok {
			if got := refOffsets(fs); fmt.Sprint(got) != fmt.Sprint(tt.offsets) {
				t.Errorf("%s: offsets %v, want %v", tt.typ, got, tt.offsets)
			}
		} else if cs, ok := refCases(k); ok && tt.offsets != nil {
			if got := refPayload(cs); got != tt.offsets[0] {
				t.Errorf("%s: payload at %d, want %d", tt.typ, got, tt.offsets[0])
			}
		}
	}
}

func TestDiscGoType(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{{1, "uint8"}, {256, "uint8"}, {257, "uint16"}, {65536, "uint16"}, {65537, "uint32"}} {
		if got := discGoType(tt.n); got != tt.want {
			t.Errorf("discGoType(%d) = %s, want %s", tt.n, got, tt.want)
		}
		if got, want := discSize(tt.n), refDisc(tt.n); got != want {
			t.Errorf("discSize(%d) = %d, want %d", tt.n, got, want)
		}
	}
}
