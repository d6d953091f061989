package bindgen

import (
	"fmt"
	"strings"

	"go.bytecodealliance.org/wit"
)

// lowerFlat emits C code that lowers expr, of type t, to its flat core
// values (a Canonical ABI "lower_flat") and returns their C expressions, in
// order: the arguments of an import call, or an export's result.
func (c *cgen) lowerFlat(b *w, t wit.Type, expr string) []string {
	t = root(t)
	switch k := kindOf(t).(type) {
	case wit.Bool, wit.U8, wit.U16, wit.U32, wit.S8, wit.S16, wit.S32, wit.Char:
		return []string{"(int32_t)(" + expr + ")"}
	case wit.U64, wit.S64:
		return []string{"(int64_t)(" + expr + ")"}
	case wit.F32, wit.F64:
		return []string{expr}
	case wit.String, *wit.List:
		return []string{"(int32_t)(uintptr_t)(" + expr + ").ptr", "(int32_t)(" + expr + ").len"}
	case *wit.Record:
		var out []string
		for _, f := range k.Fields {
			out = append(out, c.lowerFlat(b, f.Type, expr+"."+cLocal(f.Name))...)
		}
		return out
	case *wit.Tuple:
		var out []string
		for i, e := range k.Types {
			out = append(out, c.lowerFlat(b, e, fmt.Sprintf("%s.f%d", expr, i))...)
		}
		return out
	case *wit.Own, *wit.Borrow, *wit.Enum, *wit.Flags:
		return []string{"(int32_t)(" + expr + ")"}
	case *wit.Option, *wit.Variant:
		kinds := flatKinds(t)
		vars := make([]string, len(kinds))
		for i, kd := range kinds {
			vars[i] = b.fresh("v")
			b.p("  %s %s = 0;", cCore(kd), vars[i])
		}
		payload := func(pt wit.Type, pexpr, indent string) {
			pb := w{n: b.n} // fresh names stay unique across the two buffers
			vals := c.lowerFlat(&pb, pt, pexpr)
			b.n = pb.n
			for _, l := range strings.Split(strings.TrimRight(pb.String(), "\n"), "\n") {
				if l != "" {
					b.p("%s%s", indent, l)
				}
			}
			for i, v := range vals {
				b.p("%s  %s = %s;", indent, vars[1+i], c.widen(flatKinds(pt)[i], kinds[1+i], v))
			}
		}
		if opt, ok := k.(*wit.Option); ok {
			b.p("  if ((%s).is_some) {", expr)
			b.p("    %s = 1;", vars[0])
			payload(opt.Type, "("+expr+").val", "  ")
			b.p("  }")
			return vars
		}
		v := k.(*wit.Variant)
		b.p("  %s = (int32_t)(%s).tag;", vars[0], expr)
		b.p("  switch ((%s).tag) {", expr)
		for i, cs := range v.Cases {
			if cs.Type == nil {
				continue
			}
			b.p("  case %d: {", i)
			payload(cs.Type, "("+expr+").val."+cLocal(cs.Name), "  ")
			b.p("    break;")
			b.p("  }")
		}
		b.p("  }")
		return vars
	}
	c.fail("cannot lower %T", kindOf(t))
	return []string{"0"}
}

// widen converts a payload's flat value of core type from to the joined
// core type of its variant slot, as the Canonical ABI does: an i32 in an
// i64 slot is zero-extended. Floats in integer slots are not supported.
func (c *cgen) widen(from, to, v string) string {
	switch {
	case from == to:
		return v
	case from == "i32" && to == "i64":
		return "(int64_t)(uint32_t)(" + v + ")"
	}
	c.fail("a %s payload in a %s variant slot is not supported", from, to)
	return v
}

// narrow is widen's inverse, for lifting.
func (c *cgen) narrow(from, to, v string) string {
	switch {
	case from == to:
		return v
	case from == "i64" && to == "i32":
		return "(int32_t)(" + v + ")"
	}
	c.fail("a %s payload in a %s variant slot is not supported", to, from)
	return v
}

// liftFlat emits C code that lifts a value of type t from the flat core
// values vals (an export's arguments, an import's single result) and
// returns a C expression of it.
func (c *cgen) liftFlat(b *w, ctx *wit.Interface, t wit.Type, vals []string) string {
	t = root(t)
	ct := c.ctypeIn(ctx, t)
	ctx = c.g.partCtx(ctx, t)
	switch k := kindOf(t).(type) {
	case wit.Bool:
		return "(" + vals[0] + " != 0)"
	case wit.U8, wit.U16, wit.U32, wit.U64, wit.S8, wit.S16, wit.S32, wit.S64, wit.Char, *wit.Own, *wit.Borrow, *wit.Enum, *wit.Flags:
		return "(" + ct + ")(" + vals[0] + ")"
	case wit.F32, wit.F64:
		return vals[0]
	case wit.String:
		return "(bindery_string_t){(uint8_t *)(uintptr_t)(" + vals[0] + "), (size_t)(" + vals[1] + ")}"
	case *wit.List:
		return "(" + ct + "){(" + c.ctypeIn(ctx, k.Type) + " *)(uintptr_t)(" + vals[0] + "), (size_t)(" + vals[1] + ")}"
	case *wit.Record:
		v := b.fresh("v")
		b.p("  %s %s;", ct, v)
		i := 0
		for _, f := range k.Fields {
			n := len(flatKinds(f.Type))
			b.p("  %s.%s = %s;", v, cLocal(f.Name), c.liftFlat(b, ctx, f.Type, vals[i:i+n]))
			i += n
		}
		return v
	case *wit.Tuple:
		v := b.fresh("v")
		b.p("  %s %s;", ct, v)
		i := 0
		for j, e := range k.Types {
			n := len(flatKinds(e))
			b.p("  %s.f%d = %s;", v, j, c.liftFlat(b, ctx, e, vals[i:i+n]))
			i += n
		}
		return v
	case *wit.Option, *wit.Variant:
		kinds := flatKinds(t)
		v := b.fresh("v")
		b.p("  %s %s;", ct, v)
		b.p("  memset(&%s, 0, sizeof %s);", v, v)
		payload := func(pt wit.Type, dst, indent string) {
			var pvals []string
			for i, pk := range flatKinds(pt) {
				pvals = append(pvals, c.narrow(kinds[1+i], pk, vals[1+i]))
			}
			pb := w{n: b.n}
			e := c.liftFlat(&pb, ctx, pt, pvals)
			b.n = pb.n
			for _, l := range strings.Split(strings.TrimRight(pb.String(), "\n"), "\n") {
				if l != "" {
					b.p("%s%s", indent, l)
				}
			}
			b.p("%s  %s = %s;", indent, dst, e)
		}
		if opt, ok := k.(*wit.Option); ok {
			b.p("  %s.is_some = %s != 0;", v, vals[0])
			b.p("  if (%s.is_some) {", v)
			payload(opt.Type, v+".val", "  ")
			b.p("  }")
			return v
		}
		vr := k.(*wit.Variant)
		b.p("  %s.tag = (%s)(%s);", v, cDiscType(len(vr.Cases)), vals[0])
		b.p("  switch (%s.tag) {", v)
		for i, cs := range vr.Cases {
			if cs.Type == nil {
				continue
			}
			b.p("  case %d: {", i)
			payload(cs.Type, v+".val."+cLocal(cs.Name), "  ")
			b.p("    break;")
			b.p("  }")
		}
		b.p("  }")
		return v
	}
	c.fail("cannot lift %T", kindOf(t))
	return "0"
}
