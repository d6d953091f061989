package bindgen

import (
	"fmt"

	"go.bytecodealliance.org/wit"
)

// hostLiftFlat emits code that lifts t from flat core values (uint64
// expressions) and returns the name of the Go variable holding it.
func (s *side) hostLiftFlat(b *w, t wit.Type, vals []string) string {
	v := b.fresh("v")
	t = root(t)
	switch k := kindOf(t).(type) {
	case wit.Bool:
		b.p("%s := uint32(%s) != 0", v, vals[0])
	case wit.U8, wit.U16, wit.U32, wit.U64, wit.S8, wit.S16, wit.S32, wit.S64, *wit.Flags:
		b.p("%s := %s(%s)", v, s.goType(t), vals[0])
	case wit.F32:
		b.p("%s := %s.Float32frombits(uint32(%s))", v, s.use("math", "math"), vals[0])
	case wit.F64:
		b.p("%s := %s.Float64frombits(%s)", v, s.use("math", "math"), vals[0])
	case wit.Char:
		b.p("%s := rune(uint32(%s))", v, vals[0])
		// Compare as uint32: a rune above 0x7fffffff is negative.
		b.p("if uint32(%s) >= 0x110000 || (%s >= 0xD800 && %s < 0xE000) { inst.Trapf(\"invalid char %%#x\", uint32(%s)) }", v, v, v, v)
	case wit.String:
		b.p("%s := inst.String(uint32(%s), uint32(%s))", v, vals[0], vals[1])
	case *wit.List:
		return s.hostLiftList(b, t, k, "uint32("+vals[0]+")", "uint32("+vals[1]+")")
	case *wit.Record:
		b.p("var %s %s", v, s.goType(t))
		i := 0
		for _, f := range k.Fields {
			n := len(flatKinds(f.Type))
			fv := s.hostLiftFlat(b, f.Type, vals[i:i+n])
			b.p("%s.%s = %s", v, goName(f.Name), fv)
			i += n
		}
	case *wit.Tuple:
		b.p("var %s %s", v, s.goType(t))
		i := 0
		for j, et := range k.Types {
			n := len(flatKinds(et))
			fv := s.hostLiftFlat(b, et, vals[i:i+n])
			b.p("%s.F%d = %s", v, j, fv)
			i += n
		}
	case *wit.Own, *wit.Borrow:
		r, own, _ := resourceOf(t)
		op := "Get"
		if own {
			op = "Remove"
		}
		b.p("%s := inst.Handles.%s(inst, %s, uint32(%s)).(%s)", v, op, s.resType(r), vals[0], s.qual(r))
		return v
	case *wit.Option, *wit.Variant, *wit.Enum:
		cases, _ := variantOf(k)
		b.p("var %s %s", v, s.goType(t))
		b.p("switch uint32(%s) {", vals[0])
		for ci, c := range cases {
			b.p("case %d:", ci)
			s.setCase(b, t, k, v, ci, c, func() string {
				n := len(flatKinds(c.typ))
				// Payloads share the joined flat slots; integers narrow by conversion.
				for _, fk := range flatKinds(c.typ) {
					if fk == "f32" || fk == "f64" {
						s.fail("float payloads in variants are not supported")
					}
				}
				return s.hostLiftFlat(b, c.typ, vals[1:1+n])
			})
		}
		b.p("default:")
		b.p("inst.Trapf(\"invalid discriminant %%d for %s\", uint32(%s))", typeName(t), vals[0])
		b.p("}")
	default:
		s.fail("cannot lift %T", k)
	}
	return v
}

func typeName(t wit.Type) string {
	if td, ok := root(t).(*wit.TypeDef); ok && td.Name != nil {
		return *td.Name
	}
	return fmt.Sprintf("%T", kindOf(t))
}

func (s *side) resType(r *wit.TypeDef) string {
	q := s.qual(r)
	return q + "Type"
}

// setCase emits the assignment of case ci of a variant-like value v.
func (s *side) setCase(b *w, t wit.Type, k wit.TypeDefKind, v string, ci int, c vcase, payload func() string) {
	switch k.(type) {
	case *wit.Option:
		if ci == 1 {
			p := payload()
			b.p("%s.Some, %s.Value = true, %s", v, v, p)
		}
	case *wit.Enum:
		b.p("%s = %s(%d)", v, s.goType(t), ci)
	case *wit.Variant:
		b.p("%s.Tag = %d", v, ci)
		if c.typ != nil {
			p := payload()
			b.p("%s.%s = %s", v, goName(c.name), p)
		}
	}
}

func (s *side) hostLiftList(b *w, t wit.Type, k *wit.List, ptr, n string) string {
	v := b.fresh("v")
	if isU8(k.Type) {
		b.p("%s := inst.Bytes(%s, %s)", v, ptr, n)
		return v
	}
	size, align := k.Type.Size(), k.Type.Align()
	p, l := b.fresh("p"), b.fresh("n")
	b.p("%s, %s := %s, %s", p, l, ptr, n)
	b.p("inst.CheckList(%s, %s, %d, %d)", p, l, size, align)
	b.p("%s := make(%s, %s)", v, s.goType(t), l)
	i := b.fresh("i")
	b.p("for %s := range %s {", i, v)
	ev := s.hostLoad(b, k.Type, fmt.Sprintf("%s+uint32(%s)*%d", p, i, size))
	b.p("%s[%s] = %s", v, i, ev)
	b.p("}")
	return v
}

// hostLoad emits code that loads t from guest memory at addr (a uint32 expression).
func (s *side) hostLoad(b *w, t wit.Type, addr string) string {
	if name, ok := s.helperFor(t, "load", func(n string) string {
		return "func " + n + "(inst *" + s.abi() + ".Instance, a uint32) " + s.goType(t)
	}, func(hb *w) {
		v := s.hostLoadInline(hb, t, "a")
		hb.p("return %s", v)
	}); ok {
		v := b.fresh("v")
		b.p("%s := %s(inst, %s)", v, name, addr)
		return v
	}
	return s.hostLoadInline(b, t, addr)
}

func (s *side) hostLoadInline(b *w, t wit.Type, addr string) string {
	v := b.fresh("v")
	t = root(t)
	a := b.fresh("a")
	b.p("%s := %s", a, addr)
	switch k := kindOf(t).(type) {
	case wit.Bool:
		b.p("%s := inst.Bool(%s)", v, a)
	case *wit.Flags:
		b.p("%s := %s(inst.U%d(%s))", v, s.goType(t), flagsWidth(k), a)
	case wit.U8:
		b.p("%s := inst.U8(%s)", v, a)
	case wit.S8:
		b.p("%s := int8(inst.U8(%s))", v, a)
	case wit.U16:
		b.p("%s := inst.U16(%s)", v, a)
	case wit.S16:
		b.p("%s := int16(inst.U16(%s))", v, a)
	case wit.U32:
		b.p("%s := inst.U32(%s)", v, a)
	case wit.S32:
		b.p("%s := int32(inst.U32(%s))", v, a)
	case wit.U64:
		b.p("%s := inst.U64(%s)", v, a)
	case wit.S64:
		b.p("%s := int64(inst.U64(%s))", v, a)
	case wit.F32:
		b.p("%s := %s.Float32frombits(inst.U32(%s))", v, s.use("math", "math"), a)
	case wit.F64:
		b.p("%s := %s.Float64frombits(inst.U64(%s))", v, s.use("math", "math"), a)
	case wit.Char:
		return s.hostLiftFlat(b, t, []string{"uint64(inst.U32(" + a + "))"})
	case wit.String:
		b.p("%s := inst.String(inst.U32(%s), inst.U32(%s+4))", v, a, a)
	case *wit.List:
		return s.hostLiftList(b, t, k, "inst.U32("+a+")", "inst.U32("+a+"+4)")
	case *wit.Record:
		b.p("var %s %s", v, s.goType(t))
		off := uintptr(0)
		for _, f := range k.Fields {
			off = alignTo(off, f.Type.Align())
			fv := s.hostLoad(b, f.Type, fmt.Sprintf("%s+%d", a, off))
			b.p("%s.%s = %s", v, goName(f.Name), fv)
			off += f.Type.Size()
		}
	case *wit.Tuple:
		b.p("var %s %s", v, s.goType(t))
		off := uintptr(0)
		for j, et := range k.Types {
			off = alignTo(off, et.Align())
			fv := s.hostLoad(b, et, fmt.Sprintf("%s+%d", a, off))
			b.p("%s.F%d = %s", v, j, fv)
			off += et.Size()
		}
	case *wit.Own, *wit.Borrow:
		return s.hostLiftFlat(b, t, []string{"uint64(inst.U32(" + a + "))"})
	case *wit.Option, *wit.Variant, *wit.Enum:
		cases, _ := variantOf(k)
		ds := discSize(len(cases))
		po := payloadOffset(len(cases), maxCaseAlign(cases))
		b.p("var %s %s", v, s.goType(t))
		d := map[uintptr]string{1: "uint32(inst.U8(%s))", 2: "uint32(inst.U16(%s))", 4: "inst.U32(%s)"}[ds]
		b.p("switch "+d+" {", a)
		for ci, c := range cases {
			b.p("case %d:", ci)
			s.setCase(b, t, k, v, ci, c, func() string { return s.hostLoad(b, c.typ, fmt.Sprintf("%s+%d", a, po)) })
		}
		b.p("default:")
		b.p("inst.Trapf(\"invalid discriminant for %s at %%#x\", %s)", typeName(t), a)
		b.p("}")
	default:
		s.fail("cannot load %T", k)
	}
	return v
}

// hostStore emits code that stores the Go value val of type t at addr.
func (s *side) hostStore(b *w, t wit.Type, addr, val string) {
	if name, ok := s.helperFor(t, "store", func(n string) string {
		return "func " + n + "(ctx " + s.use("context", "context") + ".Context, inst *" + s.abi() + ".Instance, a uint32, v " + s.goType(t) + ")"
	}, func(hb *w) {
		s.hostStoreInline(hb, t, "a", "v")
	}); ok {
		b.p("%s(ctx, inst, %s, %s)", name, addr, val)
		return
	}
	s.hostStoreInline(b, t, addr, val)
}

func (s *side) hostStoreInline(b *w, t wit.Type, addr, val string) {
	t = root(t)
	a := b.fresh("a")
	b.p("%s := %s", a, addr)
	switch k := kindOf(t).(type) {
	case wit.Bool:
		b.p("inst.PutBool(%s, %s)", a, val)
	case *wit.Flags:
		b.p("inst.PutU%d(%s, uint%d(%s))", flagsWidth(k), a, flagsWidth(k), val)
	case wit.U8, wit.S8:
		b.p("inst.PutU8(%s, uint8(%s))", a, val)
	case wit.U16, wit.S16:
		b.p("inst.PutU16(%s, uint16(%s))", a, val)
	case wit.U32, wit.S32, wit.Char:
		b.p("inst.PutU32(%s, uint32(%s))", a, val)
	case wit.U64, wit.S64:
		b.p("inst.PutU64(%s, uint64(%s))", a, val)
	case wit.F32:
		b.p("inst.PutU32(%s, %s.Float32bits(%s))", a, s.use("math", "math"), val)
	case wit.F64:
		b.p("inst.PutU64(%s, %s.Float64bits(%s))", a, s.use("math", "math"), val)
	case wit.String, *wit.List:
		vals := s.hostLowerFlat(b, t, val)
		b.p("inst.PutU32(%s, uint32(%s))", a, vals[0])
		b.p("inst.PutU32(%s+4, uint32(%s))", a, vals[1])
	case *wit.Record:
		off := uintptr(0)
		for _, f := range k.Fields {
			off = alignTo(off, f.Type.Align())
			s.hostStore(b, f.Type, fmt.Sprintf("%s+%d", a, off), val+"."+goName(f.Name))
			off += f.Type.Size()
		}
	case *wit.Tuple:
		off := uintptr(0)
		for j, et := range k.Types {
			off = alignTo(off, et.Align())
			s.hostStore(b, et, fmt.Sprintf("%s+%d", a, off), fmt.Sprintf("%s.F%d", val, j))
			off += et.Size()
		}
	case *wit.Own, *wit.Borrow:
		vals := s.hostLowerFlat(b, t, val)
		b.p("inst.PutU32(%s, uint32(%s))", a, vals[0])
	case *wit.Option, *wit.Variant, *wit.Enum:
		cases, _ := variantOf(k)
		ds := discSize(len(cases))
		po := payloadOffset(len(cases), maxCaseAlign(cases))
		put := map[uintptr]string{1: "inst.PutU8(%s, %s)", 2: "inst.PutU16(%s, %s)", 4: "inst.PutU32(%s, %s)"}[ds]
		cast := map[uintptr]string{1: "uint8", 2: "uint16", 4: "uint32"}[ds]
		switch k.(type) {
		case *wit.Option:
			b.p("if %s.Some {", val)
			s.hostStore(b, cases[1].typ, fmt.Sprintf("%s+%d", a, po), val+".Value")
			b.p(put, a, cast+"(1)")
			b.p("} else {")
			b.p(put, a, cast+"(0)")
			b.p("}")
		case *wit.Enum:
			b.p(put, a, cast+"("+val+")")
		case *wit.Variant:
			b.p("switch %s.Tag {", val)
			for ci, c := range cases {
				b.p("case %d:", ci)
				if c.typ != nil {
					s.hostStore(b, c.typ, fmt.Sprintf("%s+%d", a, po), val+"."+goName(c.name))
				}
			}
			b.p("}")
			b.p(put, a, cast+"("+val+".Tag)")
		}
	default:
		s.fail("cannot store %T", k)
	}
}

// hostLowerFlat emits code that lowers val of type t to flat values and
// returns their uint64 expressions.
func (s *side) hostLowerFlat(b *w, t wit.Type, val string) []string {
	t = root(t)
	switch k := kindOf(t).(type) {
	case wit.Bool:
		v := b.fresh("f")
		b.p("var %s uint64", v)
		b.p("if %s { %s = 1 }", val, v)
		return []string{v}
	case wit.U8, wit.U16, wit.U32, wit.Char, *wit.Flags:
		return []string{"uint64(" + val + ")"}
	case wit.S8, wit.S16, wit.S32:
		return []string{"uint64(uint32(" + val + "))"}
	case wit.U64, wit.S64:
		return []string{"uint64(" + val + ")"}
	case wit.F32:
		return []string{"uint64(" + s.use("math", "math") + ".Float32bits(" + val + "))"}
	case wit.F64:
		return []string{s.use("math", "math") + ".Float64bits(" + val + ")"}
	case wit.String:
		p, n := b.fresh("p"), b.fresh("n")
		b.p("%s, %s := inst.LowerString(ctx, %s)", p, n, val)
		return []string{"uint64(" + p + ")", "uint64(" + n + ")"}
	case *wit.List:
		p, n := b.fresh("p"), b.fresh("n")
		if isU8(k.Type) {
			b.p("%s, %s := inst.LowerBytes(ctx, %s)", p, n, val)
			return []string{"uint64(" + p + ")", "uint64(" + n + ")"}
		}
		size, align := k.Type.Size(), k.Type.Align()
		b.p("%s := inst.AllocList(ctx, len(%s), %d, %d)", p, val, size, align)
		b.p("%s := uint32(len(%s))", n, val)
		i := b.fresh("i")
		b.p("for %s := range %s {", i, val)
		s.hostStore(b, k.Type, fmt.Sprintf("%s+uint32(%s)*%d", p, i, size), val+"["+i+"]")
		b.p("}")
		return []string{"uint64(" + p + ")", "uint64(" + n + ")"}
	case *wit.Record:
		var out []string
		for _, f := range k.Fields {
			out = append(out, s.hostLowerFlat(b, f.Type, val+"."+goName(f.Name))...)
		}
		return out
	case *wit.Tuple:
		var out []string
		for j, et := range k.Types {
			out = append(out, s.hostLowerFlat(b, et, fmt.Sprintf("%s.F%d", val, j))...)
		}
		return out
	case *wit.Own, *wit.Borrow:
		r, _, _ := resourceOf(t)
		h := b.fresh("h")
		b.p("%s := inst.Handles.Add(inst, %s, %s)", h, s.resType(r), val)
		return []string{"uint64(" + h + ")"}
	case *wit.Option, *wit.Variant, *wit.Enum:
		cases, _ := variantOf(k)
		n := len(flatKinds(t))
		vars := make([]string, n)
		for i := range vars {
			vars[i] = b.fresh("f")
		}
		b.p("var %s uint64", joinNames(vars))
		setPayload := func(c vcase, v string) {
			if c.typ == nil {
				return
			}
			for i, x := range s.hostLowerFlat(b, c.typ, v) {
				b.p("%s = %s", vars[1+i], x)
			}
		}
		switch k.(type) {
		case *wit.Option:
			b.p("if %s.Some {", val)
			b.p("%s = 1", vars[0])
			setPayload(cases[1], val+".Value")
			b.p("}")
		case *wit.Enum:
			b.p("%s = uint64(%s)", vars[0], val)
		case *wit.Variant:
			b.p("%s = uint64(%s.Tag)", vars[0], val)
			b.p("switch %s.Tag {", val)
			for ci, c := range cases {
				if c.typ != nil {
					b.p("case %d:", ci)
					setPayload(c, val+"."+goName(c.name))
				}
			}
			b.p("}")
		}
		return vars
	}
	s.fail("cannot lower %T", kindOf(t))
	return nil
}

func joinNames(ns []string) string {
	out := ""
	for i, n := range ns {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}
