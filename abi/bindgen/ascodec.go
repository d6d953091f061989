package bindgen

import (
	"fmt"
	"strings"

	"go.bytecodealliance.org/wit"
)

// asPrim is the AS type a primitive is loaded and stored as; "" if t is no primitive.
func asPrim(t wit.Type) string {
	switch kindOf(t).(type) {
	case wit.Bool, wit.U8:
		return "u8"
	case wit.S8:
		return "i8"
	case wit.U16:
		return "u16"
	case wit.S16:
		return "i16"
	case wit.U32, wit.Char:
		return "u32"
	case wit.S32:
		return "i32"
	case wit.U64:
		return "u64"
	case wit.S64:
		return "i64"
	case wit.F32:
		return "f32"
	case wit.F64:
		return "f64"
	}
	return ""
}

// lowerFlat emits AS code that lowers expr, of type t, to its flat core
// values and returns their AS expressions, in order.
func (a *asgen) lowerFlat(b *w, t wit.Type, expr string) []string {
	switch k := kindOf(t).(type) {
	case wit.Bool:
		return []string{"(" + expr + " ? 1 : 0)"}
	case wit.U8, wit.U16, wit.U32, wit.S8, wit.S16, wit.S32, wit.Char:
		return []string{"<i32>(" + expr + ")"}
	case wit.U64, wit.S64:
		return []string{"<i64>(" + expr + ")"}
	case wit.F32, wit.F64:
		return []string{expr}
	case wit.String:
		s, n, p := b.fresh("_s"), b.fresh("_n"), b.fresh("_p")
		b.p("const %s = %s;", s, expr)
		b.p("const %s = String.UTF8.byteLength(%s);", n, s)
		b.p("const %s = %s(%s, %s);", p, a.cabi("lowerString"), s, n)
		return []string{"<i32>" + p, "<i32>" + n}
	case *wit.List:
		l := b.fresh("_l")
		b.p("const %s = %s;", l, expr)
		if isU8(k.Type) && !a.exporting {
			// In place: see the memory notes in as.go.
			return []string{"<i32>" + l + ".dataStart", l + ".length"}
		}
		if isU8(k.Type) {
			// An export's result outlives the call: a copy (see exportFunc).
			p := b.fresh("_p")
			b.p("const %s = %s(<usize>%s.length, 1);", p, a.cabi("alloc"), l)
			b.p("memory.copy(%s, %s.dataStart, <usize>%s.length);", p, l, l)
			return []string{"<i32>" + p, l + ".length"}
		}
		p := b.fresh("_p")
		size := k.Type.Size()
		b.p("const %s = %s(<usize>%s.length * %d, %d);", p, a.cabi("alloc"), l, size, k.Type.Align())
		i := b.fresh("_i")
		b.p("for (let %s = 0; %s < %s.length; %s++) {", i, i, l, i)
		var eb w
		eb.n = b.n
		a.store(&eb, k.Type, l+"["+i+"]", fmt.Sprintf("%s + <usize>%s * %d", p, i, size))
		indentInto(b, &eb, "  ")
		b.p("}")
		return []string{"<i32>" + p, l + ".length"}
	case *wit.Record:
		r := b.fresh("_r")
		b.p("const %s = %s;", r, expr)
		var out []string
		for _, f := range k.Fields {
			out = append(out, a.lowerFlat(b, f.Type, r+"."+asCamel(f.Name))...)
		}
		return out
	case *wit.Tuple:
		r := b.fresh("_t")
		b.p("const %s = %s;", r, expr)
		var out []string
		for i, e := range k.Types {
			out = append(out, a.lowerFlat(b, e, fmt.Sprintf("%s.f%d", r, i))...)
		}
		return out
	case *wit.Own, *wit.Borrow:
		return []string{"(" + expr + ").handle"}
	case *wit.Enum:
		return []string{"<i32>(" + expr + ")"}
	case *wit.Option, *wit.Variant:
		kinds := flatKinds(t)
		vars := make([]string, len(kinds))
		for i, kd := range kinds {
			vars[i] = b.fresh("_v")
			b.p("let %s: %s = 0;", vars[i], kd)
		}
		x := b.fresh("_x")
		b.p("const %s = %s;", x, expr)
		payload := func(pt wit.Type, pexpr string) {
			var pb w
			pb.n = b.n
			vals := a.lowerFlat(&pb, pt, pexpr)
			for i, v := range vals {
				pb.p("%s = %s;", vars[1+i], a.widen(flatKinds(pt)[i], kinds[1+i], v))
			}
			indentInto(b, &pb, "    ")
		}
		if opt, ok := k.(*wit.Option); ok {
			if a.isRef(opt.Type) {
				b.p("if (%s != null) {", x)
				b.p("  %s = 1;", vars[0])
				b.p("  {")
				payload(opt.Type, x)
			} else {
				b.p("if (%s.isSome) {", x)
				b.p("  %s = 1;", vars[0])
				b.p("  {")
				payload(opt.Type, x+".value")
			}
			b.p("  }")
			b.p("}")
			return vars
		}
		v := k.(*wit.Variant)
		b.p("%s = <i32>%s.tag;", vars[0], x)
		b.p("switch (%s.tag) {", x)
		for i, cs := range v.Cases {
			if cs.Type == nil {
				continue
			}
			b.p("  case %d: {", i)
			pe := x + "." + asCamel(cs.Name)
			if a.isRef(cs.Type) && !a.isNullable(cs.Type) {
				pe += "!"
			}
			payload(cs.Type, pe)
			b.p("    break;")
			b.p("  }")
		}
		b.p("}")
		return vars
	}
	a.fail("cannot lower %T", kindOf(t))
	return []string{"0"}
}

// widen converts a payload's flat value of core type from to its variant
// slot's joined core type, as the Canonical ABI does.
func (a *asgen) widen(from, to, v string) string {
	switch {
	case from == to:
		return v
	case from == "i32" && to == "i64":
		return "<i64><u32>(" + v + ")"
	case from == "f32" && to == "i32":
		return "reinterpret<i32>(" + v + ")"
	case from == "f32" && to == "i64":
		return "<i64><u32>reinterpret<i32>(" + v + ")"
	case from == "f64" && to == "i64":
		return "reinterpret<i64>(" + v + ")"
	}
	a.fail("a %s payload in a %s variant slot is not supported", from, to)
	return v
}

// narrow is widen's inverse: a slot's value of core type from to the payload's core type to.
func (a *asgen) narrow(from, to, v string) string {
	switch {
	case from == to:
		return v
	case from == "i64" && to == "i32":
		return "<i32>(" + v + ")"
	case from == "i32" && to == "f32":
		return "reinterpret<f32>(" + v + ")"
	case from == "i64" && to == "f32":
		return "reinterpret<f32>(<i32>(" + v + "))"
	case from == "i64" && to == "f64":
		return "reinterpret<f64>(" + v + ")"
	}
	a.fail("a %s payload in a %s variant slot is not supported", to, from)
	return v
}

// helper returns the name of a file-local function op<Type> for a named
// record or variant, emitting it on first use; "" for any other type.
func (a *asgen) helper(t wit.Type, op string, sig func(name, typ string) string, gen func(b *w)) string {
	td, ok := root(t).(*wit.TypeDef)
	if !ok || td.Name == nil {
		return ""
	}
	switch td.Kind.(type) {
	case *wit.Record, *wit.Variant:
	default:
		return ""
	}
	owner, _ := td.Owner.(*wit.Interface)
	name := "_" + op + "_" + cPrefix(owner) + "_" + cIdent(*td.Name)
	if !a.helperDone[name] {
		a.helperDone[name] = true
		var hb w
		hb.p("%s {", sig(name, a.asType(t)))
		var body w
		gen(&body)
		indentInto(&hb, &body, "  ")
		hb.p("}\n")
		a.helpers.Write(hb.Bytes())
	}
	return name
}

// store emits AS code that stores expr, of type t, at the address addr.
func (a *asgen) store(b *w, t wit.Type, expr, addr string) {
	if p := asPrim(t); p != "" {
		if _, isBool := kindOf(t).(wit.Bool); isBool {
			b.p("store<u8>(%s, %s ? 1 : 0);", addr, expr)
		} else {
			b.p("store<%s>(%s, %s);", p, addr, expr)
		}
		return
	}
	if h := a.helper(t, "store", func(name, typ string) string {
		return "function " + name + "(addr: usize, v: " + typ + "): void"
	}, func(hb *w) { a.storeFields(hb, t, "v", "addr") }); h != "" {
		b.p("%s(%s, %s);", h, addr, expr)
		return
	}
	switch k := kindOf(t).(type) {
	case *wit.Enum:
		d := asDiscType(len(k.Cases))
		b.p("store<%s>(%s, <%s>(%s));", d, addr, d, expr)
		return
	case wit.String, *wit.List, *wit.Own, *wit.Borrow:
		vals := a.lowerFlat(b, t, expr)
		b.p("store<i32>(%s, %s);", addr, vals[0])
		if len(vals) == 2 {
			b.p("store<i32>(%s + 4, %s);", addr, vals[1])
		}
		return
	}
	a.storeFields(b, t, expr, addr)
}

// storeFields stores a record, tuple, option or variant field by field.
func (a *asgen) storeFields(b *w, t wit.Type, expr, addr string) {
	switch k := kindOf(t).(type) {
	case *wit.Record:
		r := b.fresh("_r")
		b.p("const %s = %s;", r, expr)
		var off uintptr
		for _, f := range k.Fields {
			off = alignTo(off, f.Type.Align())
			a.store(b, f.Type, r+"."+asCamel(f.Name), fmt.Sprintf("%s + %d", addr, off))
			off += f.Type.Size()
		}
	case *wit.Tuple:
		r := b.fresh("_t")
		b.p("const %s = %s;", r, expr)
		var off uintptr
		for i, e := range k.Types {
			off = alignTo(off, e.Align())
			a.store(b, e, fmt.Sprintf("%s.f%d", r, i), fmt.Sprintf("%s + %d", addr, off))
			off += e.Size()
		}
	case *wit.Option:
		x := b.fresh("_x")
		b.p("const %s = %s;", x, expr)
		po := payloadOffset(2, maxCaseAlign([]vcase{{"some", k.Type}}))
		var pb w
		pb.n = b.n
		if a.isRef(k.Type) {
			b.p("if (%s == null) {", x)
			b.p("  store<u8>(%s, 0);", addr)
			b.p("} else {")
			b.p("  store<u8>(%s, 1);", addr)
			a.store(&pb, k.Type, x, fmt.Sprintf("%s + %d", addr, po))
		} else {
			b.p("if (!%s.isSome) {", x)
			b.p("  store<u8>(%s, 0);", addr)
			b.p("} else {")
			b.p("  store<u8>(%s, 1);", addr)
			a.store(&pb, k.Type, x+".value", fmt.Sprintf("%s + %d", addr, po))
		}
		indentInto(b, &pb, "  ")
		b.p("}")
	case *wit.Variant:
		x := b.fresh("_x")
		b.p("const %s = %s;", x, expr)
		cs, _ := variantOf(k)
		po := payloadOffset(len(cs), maxCaseAlign(cs))
		b.p("store<%s>(%s, %s.tag);", asDiscType(len(cs)), addr, x)
		b.p("switch (%s.tag) {", x)
		for i, c := range k.Cases {
			if c.Type == nil {
				continue
			}
			b.p("  case %d: {", i)
			pe := x + "." + asCamel(c.Name)
			if a.isRef(c.Type) && !a.isNullable(c.Type) {
				pe += "!"
			}
			var pb w
			pb.n = b.n
			a.store(&pb, c.Type, pe, fmt.Sprintf("%s + %d", addr, po))
			pb.p("break;")
			indentInto(b, &pb, "    ")
			b.p("  }")
		}
		b.p("}")
	default:
		a.fail("cannot store %T", kindOf(t))
	}
}

// load emits AS code that lifts a value of type t stored at addr and returns an AS expression of it.
func (a *asgen) load(b *w, t wit.Type, addr string) string {
	if p := asPrim(t); p != "" {
		if _, isBool := kindOf(t).(wit.Bool); isBool {
			return "load<u8>(" + addr + ") != 0"
		}
		return "load<" + p + ">(" + addr + ")"
	}
	if h := a.helper(t, "load", func(name, typ string) string {
		return "function " + name + "(addr: usize): " + typ
	}, func(hb *w) { hb.p("return %s;", a.loadFields(hb, t, "addr")) }); h != "" {
		return h + "(" + addr + ")"
	}
	switch kindOf(t).(type) {
	case wit.String, *wit.List:
		p, n := b.fresh("_p"), b.fresh("_n")
		b.p("const %s = load<i32>(%s);", p, addr)
		b.p("const %s = load<i32>(%s + 4);", n, addr)
		return a.liftFlat(b, t, []string{p, n})
	case *wit.Own, *wit.Borrow, *wit.Enum:
		cs, isEnum := kindOf(t).(*wit.Enum)
		if isEnum {
			return "<" + a.asType(t) + ">load<" + asDiscType(len(cs.Cases)) + ">(" + addr + ")"
		}
		return a.liftFlat(b, t, []string{"load<i32>(" + addr + ")"})
	}
	return a.loadFields(b, t, addr)
}

// loadFields lifts a record, tuple, option or variant stored at addr.
func (a *asgen) loadFields(b *w, t wit.Type, addr string) string {
	at := a.asType(t)
	nt := a.ctor(t)
	switch k := kindOf(t).(type) {
	case *wit.Record:
		r := b.fresh("_r")
		b.p("const %s = new %s();", r, at)
		var off uintptr
		for _, f := range k.Fields {
			off = alignTo(off, f.Type.Align())
			b.p("%s.%s = %s;", r, asCamel(f.Name), a.load(b, f.Type, fmt.Sprintf("%s + %d", addr, off)))
			off += f.Type.Size()
		}
		return r
	case *wit.Tuple:
		var parts []string
		var off uintptr
		for _, e := range k.Types {
			off = alignTo(off, e.Align())
			v := b.fresh("_e")
			b.p("const %s = %s;", v, a.load(b, e, fmt.Sprintf("%s + %d", addr, off)))
			parts = append(parts, v)
			off += e.Size()
		}
		return "new " + nt + "(" + strings.Join(parts, ", ") + ")"
	case *wit.Option:
		po := payloadOffset(2, maxCaseAlign([]vcase{{"some", k.Type}}))
		o := b.fresh("_o")
		var pb w
		pb.n = b.n
		if a.isRef(k.Type) {
			b.p("let %s: %s = null;", o, at)
			e := a.load(&pb, k.Type, fmt.Sprintf("%s + %d", addr, po))
			pb.p("%s = %s;", o, e)
		} else {
			b.p("const %s = new %s();", o, nt)
			e := a.load(&pb, k.Type, fmt.Sprintf("%s + %d", addr, po))
			pb.p("%s.isSome = true;", o)
			pb.p("%s.value = %s;", o, e)
		}
		b.p("if (load<u8>(%s) != 0) {", addr)
		indentInto(b, &pb, "  ")
		b.p("}")
		return o
	case *wit.Variant:
		cs, _ := variantOf(k)
		po := payloadOffset(len(cs), maxCaseAlign(cs))
		v := b.fresh("_v")
		b.p("const %s = new %s();", v, at)
		b.p("%s.tag = load<%s>(%s);", v, asDiscType(len(cs)), addr)
		b.p("switch (%s.tag) {", v)
		for i, c := range k.Cases {
			if c.Type == nil {
				continue
			}
			b.p("  case %d: {", i)
			var pb w
			pb.n = b.n
			e := a.load(&pb, c.Type, fmt.Sprintf("%s + %d", addr, po))
			pb.p("%s.%s = %s;", v, asCamel(c.Name), e)
			pb.p("break;")
			indentInto(b, &pb, "    ")
			b.p("  }")
		}
		b.p("}")
		return v
	}
	a.fail("cannot load %T", kindOf(t))
	return "0"
}

// liftFlat emits AS code that lifts a value of type t from the flat core
// values vals and returns an AS expression of it.
func (a *asgen) liftFlat(b *w, t wit.Type, vals []string) string {
	switch k := kindOf(t).(type) {
	case wit.Bool:
		return "(" + vals[0] + " != 0)"
	case wit.U8, wit.U16, wit.U32, wit.U64, wit.S8, wit.S16, wit.S32, wit.S64, wit.Char:
		return "<" + a.asType(t) + ">(" + vals[0] + ")"
	case wit.F32, wit.F64:
		return vals[0]
	case wit.String:
		return a.cabi("liftString") + "(<usize>(" + vals[0] + "), <usize>(" + vals[1] + "))"
	case *wit.List:
		if isU8(k.Type) {
			return a.cabi("liftBytes") + "(<usize>(" + vals[0] + "), <usize>(" + vals[1] + "))"
		}
		p, n, l, i := b.fresh("_p"), b.fresh("_n"), b.fresh("_l"), b.fresh("_i")
		size := k.Type.Size()
		b.p("const %s = <usize>(%s);", p, vals[0])
		b.p("const %s = <i32>(%s);", n, vals[1])
		b.p("const %s = new %s();", l, a.ctor(t))
		b.p("for (let %s = 0; %s < %s; %s++) {", i, i, n, i)
		var eb w
		eb.n = b.n
		e := a.load(&eb, k.Type, fmt.Sprintf("%s + <usize>%s * %d", p, i, size))
		eb.p("%s.push(%s);", l, e)
		indentInto(b, &eb, "  ")
		b.p("}")
		b.p("%s(%s, %s);", a.cabi("free"), p, n)
		return l
	case *wit.Record:
		r := b.fresh("_r")
		b.p("const %s = new %s();", r, a.asType(t))
		i := 0
		for _, f := range k.Fields {
			n := len(flatKinds(f.Type))
			b.p("%s.%s = %s;", r, asCamel(f.Name), a.liftFlat(b, f.Type, vals[i:i+n]))
			i += n
		}
		return r
	case *wit.Tuple:
		var parts []string
		i := 0
		for _, e := range k.Types {
			n := len(flatKinds(e))
			v := b.fresh("_e")
			b.p("const %s = %s;", v, a.liftFlat(b, e, vals[i:i+n]))
			parts = append(parts, v)
			i += n
		}
		return "new " + a.ctor(t) + "(" + strings.Join(parts, ", ") + ")"
	case *wit.Own, *wit.Borrow:
		return "new " + a.asType(t) + "(" + vals[0] + ")"
	case *wit.Enum:
		return "<" + a.asType(t) + ">(" + vals[0] + ")"
	case *wit.Option, *wit.Variant:
		kinds := flatKinds(t)
		payload := func(pt wit.Type) (*w, string) {
			var pvals []string
			for i, pk := range flatKinds(pt) {
				pvals = append(pvals, a.narrow(kinds[1+i], pk, vals[1+i]))
			}
			pb := &w{n: b.n}
			return pb, a.liftFlat(pb, pt, pvals)
		}
		at := a.asType(t)
		if opt, ok := k.(*wit.Option); ok {
			o := b.fresh("_o")
			pb, e := payload(opt.Type)
			if a.isRef(opt.Type) {
				b.p("let %s: %s = null;", o, at)
				pb.p("%s = %s;", o, e)
			} else {
				b.p("const %s = new %s();", o, a.ctor(t))
				pb.p("%s.isSome = true;", o)
				pb.p("%s.value = %s;", o, e)
			}
			b.p("if (%s != 0) {", vals[0])
			indentInto(b, pb, "  ")
			b.p("}")
			return o
		}
		vr := k.(*wit.Variant)
		v := b.fresh("_v")
		b.p("const %s = new %s();", v, at)
		b.p("%s.tag = <%s>(%s);", v, asDiscType(len(vr.Cases)), vals[0])
		b.p("switch (%s.tag) {", v)
		for i, cs := range vr.Cases {
			if cs.Type == nil {
				continue
			}
			b.p("  case %d: {", i)
			pb, e := payload(cs.Type)
			pb.p("%s.%s = %s;", v, asCamel(cs.Name), e)
			pb.p("break;")
			indentInto(b, pb, "    ")
			b.p("  }")
		}
		b.p("}")
		return v
	}
	a.fail("cannot lift %T", kindOf(t))
	return "0"
}
