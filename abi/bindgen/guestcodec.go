package bindgen

import (
	"fmt"

	"go.bytecodealliance.org/wit"
)

// guestLiftFlat emits guest code that lifts t from flat Go core values
// (uint32/uint64/float expressions) and returns the variable holding it.
func (s *side) guestLiftFlat(b *w, t wit.Type, vals []string) string {
	v := b.fresh("v")
	t = root(t)
	switch k := kindOf(t).(type) {
	case wit.Bool:
		b.p("%s := %s != 0", v, vals[0])
	case wit.U8, wit.U16, wit.U32, wit.U64, wit.S8, wit.S16, wit.S32, wit.S64, wit.F32, wit.F64, *wit.Flags:
		b.p("%s := %s(%s)", v, s.goType(t), vals[0])
	case wit.Char:
		b.p("%s := rune(%s)", v, vals[0])
	case wit.String:
		b.p("%s := %s.String(uint32(%s), uint32(%s))", v, s.abi(), vals[0], vals[1])
	case *wit.List:
		return s.guestLiftList(b, t, k, "uint32("+vals[0]+")", "uint32("+vals[1]+")")
	case *wit.Record:
		b.p("var %s %s", v, s.goType(t))
		i := 0
		for _, f := range k.Fields {
			n := len(flatKinds(f.Type))
			fv := s.guestLiftFlat(b, f.Type, vals[i:i+n])
			b.p("%s.%s = %s", v, goName(f.Name), fv)
			i += n
		}
	case *wit.Tuple:
		b.p("var %s %s", v, s.goType(t))
		i := 0
		for j, et := range k.Types {
			n := len(flatKinds(et))
			fv := s.guestLiftFlat(b, et, vals[i:i+n])
			b.p("%s.F%d = %s", v, j, fv)
			i += n
		}
	case *wit.Own, *wit.Borrow:
		b.p("%s := %s(%s)", v, s.goType(t), vals[0])
	case *wit.Option, *wit.Variant, *wit.Enum:
		cases, _ := variantOf(k)
		b.p("var %s %s", v, s.goType(t))
		b.p("switch uint32(%s) {", vals[0])
		for ci, cs := range cases {
			b.p("case %d:", ci)
			s.setCase(b, t, k, v, ci, cs, func() string {
				n := len(flatKinds(cs.typ))
				var pv []string
				for i, fk := range flatKinds(cs.typ) {
					pv = append(pv, goCore(fk)+"("+vals[1+i]+")")
				}
				return s.guestLiftFlat(b, cs.typ, pv[:n])
			})
		}
		b.p("}")
	default:
		s.fail("cannot lift %T", k)
	}
	return v
}

func (s *side) guestLiftList(b *w, t wit.Type, k *wit.List, ptr, n string) string {
	c := s.abi()
	v := b.fresh("v")
	if isU8(k.Type) {
		b.p("%s := %s.Bytes(%s, %s)", v, c, ptr, n)
		return v
	}
	size := k.Type.Size()
	p, l := b.fresh("p"), b.fresh("n")
	b.p("%s, %s := %s, %s", p, l, ptr, n)
	b.p("%s := make(%s, %s)", v, s.goType(t), l)
	i := b.fresh("i")
	b.p("for %s := range %s {", i, v)
	ev := s.guestLoad(b, k.Type, fmt.Sprintf("%s+uint32(%s)*%d", p, i, size))
	b.p("%s[%s] = %s", v, i, ev)
	b.p("}")
	return v
}

// guestLoad emits guest code that loads t from linear memory at addr.
func (s *side) guestLoad(b *w, t wit.Type, addr string) string {
	if name, ok := s.helperFor(t, "load", func(n string) string {
		return "func " + n + "(a uint32) " + s.goType(t)
	}, func(hb *w) {
		v := s.guestLoadInline(hb, t, "a")
		hb.p("return %s", v)
	}); ok {
		v := b.fresh("v")
		b.p("%s := %s(%s)", v, name, addr)
		return v
	}
	return s.guestLoadInline(b, t, addr)
}

func (s *side) guestLoadInline(b *w, t wit.Type, addr string) string {
	c := s.abi()
	v := b.fresh("v")
	t = root(t)
	a := b.fresh("a")
	b.p("%s := uint32(%s)", a, addr)
	switch k := kindOf(t).(type) {
	case wit.Bool:
		b.p("%s := %s.U8(%s) != 0", v, c, a)
	case *wit.Flags:
		b.p("%s := %s(%s.U%d(%s))", v, s.goType(t), c, flagsWidth(k), a)
	case wit.U8, wit.S8:
		b.p("%s := %s(%s.U8(%s))", v, s.goType(t), c, a)
	case wit.U16, wit.S16:
		b.p("%s := %s(%s.U16(%s))", v, s.goType(t), c, a)
	case wit.U32, wit.S32, wit.Char:
		b.p("%s := %s(%s.U32(%s))", v, s.goType(t), c, a)
	case wit.U64, wit.S64:
		b.p("%s := %s(%s.U64(%s))", v, s.goType(t), c, a)
	case wit.F32:
		b.p("%s := %s.Float32frombits(%s.U32(%s))", v, s.use("math", "math"), c, a)
	case wit.F64:
		b.p("%s := %s.Float64frombits(%s.U64(%s))", v, s.use("math", "math"), c, a)
	case wit.String:
		b.p("%s := %s.String(%s.U32(%s), %s.U32(%s+4))", v, c, c, a, c, a)
	case *wit.List:
		return s.guestLiftList(b, t, k, c+".U32("+a+")", c+".U32("+a+"+4)")
	case *wit.Record:
		b.p("var %s %s", v, s.goType(t))
		off := uintptr(0)
		for _, f := range k.Fields {
			off = alignTo(off, f.Type.Align())
			fv := s.guestLoad(b, f.Type, fmt.Sprintf("%s+%d", a, off))
			b.p("%s.%s = %s", v, goName(f.Name), fv)
			off += f.Type.Size()
		}
	case *wit.Tuple:
		b.p("var %s %s", v, s.goType(t))
		off := uintptr(0)
		for j, et := range k.Types {
			off = alignTo(off, et.Align())
			fv := s.guestLoad(b, et, fmt.Sprintf("%s+%d", a, off))
			b.p("%s.F%d = %s", v, j, fv)
			off += et.Size()
		}
	case *wit.Own, *wit.Borrow:
		b.p("%s := %s(%s.U32(%s))", v, s.goType(t), c, a)
	case *wit.Option, *wit.Variant, *wit.Enum:
		cases, _ := variantOf(k)
		ds := discSize(len(cases))
		po := payloadOffset(len(cases), maxCaseAlign(cases))
		b.p("var %s %s", v, s.goType(t))
		d := map[uintptr]string{1: "uint32(%s.U8(%s))", 2: "uint32(%s.U16(%s))", 4: "%s.U32(%s)"}[ds]
		b.p("switch "+d+" {", c, a)
		for ci, cs := range cases {
			b.p("case %d:", ci)
			s.setCase(b, t, k, v, ci, cs, func() string { return s.guestLoad(b, cs.typ, fmt.Sprintf("%s+%d", a, po)) })
		}
		b.p("}")
	default:
		s.fail("cannot load %T", k)
	}
	return v
}

// guestStore emits guest code that stores val of type t at addr.
func (s *side) guestStore(b *w, t wit.Type, addr, val string) {
	if name, ok := s.helperFor(t, "store", func(n string) string {
		return "func " + n + "(a uint32, v " + s.goType(t) + ")"
	}, func(hb *w) {
		s.guestStoreInline(hb, t, "a", "v")
	}); ok {
		b.p("%s(%s, %s)", name, addr, val)
		return
	}
	s.guestStoreInline(b, t, addr, val)
}

func (s *side) guestStoreInline(b *w, t wit.Type, addr, val string) {
	c := s.abi()
	t = root(t)
	a := b.fresh("a")
	b.p("%s := uint32(%s)", a, addr)
	switch k := kindOf(t).(type) {
	case wit.Bool:
		b.p("%s.PutU8(%s, %s.BoolU8(%s))", c, a, c, val)
	case *wit.Flags:
		b.p("%s.PutU%d(%s, uint%d(%s))", c, flagsWidth(k), a, flagsWidth(k), val)
	case wit.U8, wit.S8:
		b.p("%s.PutU8(%s, uint8(%s))", c, a, val)
	case wit.U16, wit.S16:
		b.p("%s.PutU16(%s, uint16(%s))", c, a, val)
	case wit.U32, wit.S32, wit.Char:
		b.p("%s.PutU32(%s, uint32(%s))", c, a, val)
	case wit.U64, wit.S64:
		b.p("%s.PutU64(%s, uint64(%s))", c, a, val)
	case wit.F32:
		b.p("%s.PutU32(%s, %s.Float32bits(%s))", c, a, s.use("math", "math"), val)
	case wit.F64:
		b.p("%s.PutU64(%s, %s.Float64bits(%s))", c, a, s.use("math", "math"), val)
	case wit.String, *wit.List:
		vals := s.guestLowerFlat(b, t, val)
		b.p("%s.PutU32(%s, %s)", c, a, vals[0])
		b.p("%s.PutU32(%s+4, %s)", c, a, vals[1])
	case *wit.Record:
		off := uintptr(0)
		for _, f := range k.Fields {
			off = alignTo(off, f.Type.Align())
			s.guestStore(b, f.Type, fmt.Sprintf("%s+%d", a, off), val+"."+goName(f.Name))
			off += f.Type.Size()
		}
	case *wit.Tuple:
		off := uintptr(0)
		for j, et := range k.Types {
			off = alignTo(off, et.Align())
			s.guestStore(b, et, fmt.Sprintf("%s+%d", a, off), fmt.Sprintf("%s.F%d", val, j))
			off += et.Size()
		}
	case *wit.Own, *wit.Borrow:
		b.p("%s.PutU32(%s, uint32(%s))", c, a, val)
	case *wit.Option, *wit.Variant, *wit.Enum:
		cases, _ := variantOf(k)
		ds := discSize(len(cases))
		po := payloadOffset(len(cases), maxCaseAlign(cases))
		put := map[uintptr]string{1: c + ".PutU8(%s, %s)", 2: c + ".PutU16(%s, %s)", 4: c + ".PutU32(%s, %s)"}[ds]
		cast := map[uintptr]string{1: "uint8", 2: "uint16", 4: "uint32"}[ds]
		switch k.(type) {
		case *wit.Option:
			b.p("if %s.Some {", val)
			s.guestStore(b, cases[1].typ, fmt.Sprintf("%s+%d", a, po), val+".Value")
			b.p(put, a, cast+"(1)")
			b.p("} else {")
			b.p(put, a, cast+"(0)")
			b.p("}")
		case *wit.Enum:
			b.p(put, a, cast+"("+val+")")
		case *wit.Variant:
			b.p("switch %s.Tag {", val)
			for ci, cs := range cases {
				b.p("case %d:", ci)
				if cs.typ != nil {
					s.guestStore(b, cs.typ, fmt.Sprintf("%s+%d", a, po), val+"."+goName(cs.name))
				}
			}
			b.p("}")
			b.p(put, a, cast+"("+val+".Tag)")
		}
	default:
		s.fail("cannot store %T", k)
	}
}

// guestLowerFlat emits guest code that lowers val to flat core values for a
// wasmimport call and returns their Go expressions (typed uint32/uint64/...).
func (s *side) guestLowerFlat(b *w, t wit.Type, val string) []string {
	t = root(t)
	switch k := kindOf(t).(type) {
	case wit.Bool:
		c := s.abi()
		return []string{"uint32(" + c + ".BoolU8(" + val + "))"}
	case wit.U8, wit.U16, wit.U32, wit.Char, *wit.Flags:
		return []string{"uint32(" + val + ")"}
	case wit.S8, wit.S16, wit.S32:
		return []string{"uint32(int32(" + val + "))"}
	case wit.U64, wit.S64:
		return []string{"uint64(" + val + ")"}
	case wit.F32, wit.F64:
		return []string{val}
	case wit.String:
		return []string{s.abi() + ".StringPtr(" + val + ")", "uint32(len(" + val + "))"}
	case *wit.List:
		c := s.abi()
		if isU8(k.Type) {
			return []string{c + ".BytesPtr(" + val + ")", "uint32(len(" + val + "))"}
		}
		p := b.fresh("p")
		size, align := k.Type.Size(), k.Type.Align()
		b.p("%s := %s.Alloc(uint32(len(%s))*%d, %d)", p, c, val, size, align)
		i := b.fresh("i")
		b.p("for %s := range %s {", i, val)
		s.guestStore(b, k.Type, fmt.Sprintf("%s+uint32(%s)*%d", p, i, size), val+"["+i+"]")
		b.p("}")
		return []string{p, "uint32(len(" + val + "))"}
	case *wit.Record:
		var out []string
		for _, f := range k.Fields {
			out = append(out, s.guestLowerFlat(b, f.Type, val+"."+goName(f.Name))...)
		}
		return out
	case *wit.Tuple:
		var out []string
		for j, et := range k.Types {
			out = append(out, s.guestLowerFlat(b, et, fmt.Sprintf("%s.F%d", val, j))...)
		}
		return out
	case *wit.Own, *wit.Borrow:
		return []string{"uint32(" + val + ")"}
	case *wit.Option, *wit.Variant, *wit.Enum:
		cases, _ := variantOf(k)
		kinds := flatKinds(t)
		vars := make([]string, len(kinds))
		for i := range vars {
			vars[i] = b.fresh("f")
			b.p("var %s %s", vars[i], goCore(kinds[i]))
		}
		setPayload := func(cs vcase, v string) {
			if cs.typ == nil {
				return
			}
			for i, x := range s.guestLowerFlat(b, cs.typ, v) {
				if kinds[1+i] == "f32" || kinds[1+i] == "f64" {
					s.fail("float payloads in variants are not supported")
				}
				b.p("%s = %s(%s)", vars[1+i], goCore(kinds[1+i]), x)
			}
		}
		switch k.(type) {
		case *wit.Option:
			b.p("if %s.Some {", val)
			b.p("%s = 1", vars[0])
			setPayload(cases[1], val+".Value")
			b.p("}")
		case *wit.Enum:
			b.p("%s = uint32(%s)", vars[0], val)
		case *wit.Variant:
			b.p("%s = uint32(%s.Tag)", vars[0], val)
			b.p("switch %s.Tag {", val)
			for ci, cs := range cases {
				if cs.typ != nil {
					b.p("case %d:", ci)
					setPayload(cs, val+"."+goName(cs.name))
				}
			}
			b.p("}")
		}
		return vars
	}
	s.fail("cannot lower %T", kindOf(t))
	return nil
}
