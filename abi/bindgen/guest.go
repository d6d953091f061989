package bindgen

import (
	"fmt"
	"strings"

	"go.bytecodealliance.org/wit"
)

// maxRetArea is the size of the guest's shared area for results passed by pointer.
const maxRetArea = 1024

func (g *gen) guestFile(iface *wit.Interface, t *Target) (File, error) {
	s := &side{g: g, guest: true, iface: iface, imports: map[string]string{}}
	var b w
	id := ifaceID(iface)
	ig := g.ig(iface)
	b.p("// %sInterface is the WIT interface this file binds.", ig)
	b.p("const %sInterface = %q\n", ig, id)
	s.typeDecls(&b)
	for _, r := range resources(iface) {
		rn := goName(*r.Name)
		docs(&b, r.Docs, rn+" is a handle to resource "+*r.Name+".")
		b.p("type %s uint32\n", rn)
		if g.imported[iface] {
			b.p("//go:wasmimport %s [resource-drop]%s", id, *r.Name)
			b.p("func wasmimport_%s_drop(self uint32)\n", localName(*r.Name))
			b.p("// Drop drops the handle; the host releases what it holds.")
			b.p("func (self %s) Drop() { wasmimport_%s_drop(uint32(self)) }\n", rn, localName(*r.Name))
		}
	}
	if g.imported[iface] {
		for _, f := range iface.Functions.All() {
			s.guestImportFunc(&b, id, f)
		}
	}
	if g.exported[iface] {
		s.guestExports(&b, id, ig, iface)
	}
	if s.err != nil {
		return File{}, s.err
	}
	name := t.GuestDir + "/" + fileName(iface)
	var hdr w
	hdr.p("//go:build wasip1\n")
	src, err := gofmt(name, append(hdr.Bytes(), s.header(&b, pkgName(t.GuestDir), b.Bytes())...))
	return File{Path: name, Data: src}, err
}

func goCore(k string) string {
	return map[string]string{"i32": "uint32", "i64": "uint64", "f32": "float32", "f64": "float64"}[k]
}

func (s *side) guestImportFunc(b *w, id string, f *wit.Function) {
	var flat []string
	var pnames []string
	for _, p := range f.Params {
		for i, k := range flatKinds(p.Type) {
			flat = append(flat, k)
			pnames = append(pnames, fmt.Sprintf("%s%d", localName(p.Name), i))
		}
	}
	// Over 16 flat values, the parameters travel in memory as one tuple.
	spill := len(flat) > 16
	if spill {
		flat, pnames = []string{"i32"}, []string{"params"}
	}
	var resultT wit.Type
	if len(f.Results) == 1 {
		resultT = f.Results[0].Type
	}
	retptr := resultT != nil && len(flatKinds(resultT)) > 1
	direct := ""
	if resultT != nil && !retptr {
		direct = goCore(flatKinds(resultT)[0])
	}
	if retptr {
		if resultT.Size() > maxRetArea {
			s.fail("%s: result of %d bytes is over the return area", f.Name, resultT.Size())
		}
		pnames = append(pnames, "retptr")
		flat = append(flat, "i32")
	}
	imp := "wasmimport_" + strings.NewReplacer("[", "", "]", "_", ".", "_", "-", "_").Replace(f.Name)
	var decl []string
	for i, k := range flat {
		decl = append(decl, pnames[i]+" "+goCore(k))
	}
	b.p("//go:wasmimport %s %s", id, f.Name)
	b.p("func %s(%s) %s\n", imp, strings.Join(decl, ", "), direct)

	// The Go wrapper.
	var params []string
	recv := ""
	for i, p := range f.Params {
		if _, m := f.Kind.(*wit.Method); m && i == 0 {
			recv = "(self " + s.goType(p.Type) + ") "
			continue
		}
		params = append(params, localName(p.Name)+" "+s.goType(p.Type))
	}
	ok, errT, isResult, err := funcResult(f)
	if err != nil {
		s.fail("%v", err)
		return
	}
	res := ""
	switch {
	case isResult && ok != nil:
		res = "(result " + s.goType(ok) + ", err *" + s.goType(errT) + ")"
	case isResult:
		res = "(err *" + s.goType(errT) + ")"
	case ok != nil:
		res = "(result " + s.goType(ok) + ")"
	}
	name := funcGoName(f)
	docs(b, f.Docs, name+" calls "+f.Name+".")
	b.p("func %s%s(%s) %s {", recv, name, strings.Join(params, ", "), res)
	cabi := s.abi()
	b.p("mark := %s.Mark()", cabi)
	var args []string
	var keep []string
	var pa string
	var offs []uintptr
	if spill {
		var size, align uintptr
		offs, size, align = tupleLayout(f.Params)
		pa = b.fresh("pa")
		b.p("%s := %s.Alloc(%d, %d) // the parameters, spilled", pa, cabi, size, align)
		args = append(args, pa)
	}
	for i, p := range f.Params {
		v := localName(p.Name)
		if recv != "" && i == 0 {
			v = "self"
		}
		if spill {
			s.guestStore(b, p.Type, fmt.Sprintf("%s+%d", pa, offs[i]), v)
		} else {
			args = append(args, s.guestLowerFlat(b, p.Type, v)...)
		}
		keep = append(keep, v)
	}
	if retptr {
		b.p("ret := %s.RetArea()", cabi)
		args = append(args, "ret")
	}
	if direct != "" {
		b.p("r0 := %s(%s)", imp, strings.Join(args, ", "))
	} else {
		b.p("%s(%s)", imp, strings.Join(args, ", "))
	}
	for _, k := range keep {
		b.p("%s.KeepAlive(%s)", s.use("runtime", "runtime"), k)
	}
	switch {
	case resultT == nil:
	case !retptr:
		v := s.guestLiftFlat(b, resultT, []string{"r0"})
		b.p("result = %s", v)
	case isResult:
		off := payloadOffset(2, maxCaseAlign([]vcase{{"ok", ok}, {"err", errT}}))
		b.p("if %s.U8(ret) != 0 {", cabi)
		ev := s.guestLoad(b, errT, fmt.Sprintf("ret+%d", off))
		b.p("err = &%s", ev)
		if ok != nil {
			b.p("} else {")
			v := s.guestLoad(b, ok, fmt.Sprintf("ret+%d", off))
			b.p("result = %s", v)
		}
		b.p("}")
	default:
		v := s.guestLoad(b, resultT, "ret")
		b.p("result = %s", v)
	}
	b.p("%s.Reset(mark)", cabi)
	b.p("return")
	b.p("}\n")
}

func (s *side) guestExports(b *w, id, ig string, iface *wit.Interface) {
	b.p("// %sExports holds the Go functions behind the exports of %s.", ig, s.g.what(iface))
	if s.g.wm != nil {
		b.p("// Set them in an init function of the guest's main package.")
	} else {
		b.p("// The SDK sets them in an init function.")
	}
	b.p("var %sExports struct {", ig)
	for _, f := range iface.Functions.All() {
		var params []string
		for _, p := range f.Params {
			params = append(params, localName(p.Name)+" "+s.goType(p.Type))
		}
		res := ""
		if okT, errT, isResult, _ := funcResult(f); isResult && okT != nil {
			res = "(" + s.goType(okT) + ", *" + s.goType(errT) + ")"
		} else if isResult {
			res = "*" + s.goType(errT)
		} else if len(f.Results) == 1 {
			res = s.goType(f.Results[0].Type)
		}
		b.p("// %s implements %s.", goName(f.Name), f.Name)
		b.p("%s func(%s) %s", goName(f.Name), strings.Join(params, ", "), res)
		b.p("// Post%s runs in cabi_post_%s, after the host has read the results.", goName(f.Name), f.Name)
		b.p("Post%s func()", goName(f.Name))
	}
	b.p("}\n")
	for _, f := range iface.Functions.All() {
		var decl []string
		var i int
		var args []string
		for _, p := range f.Params {
			for _, k := range flatKinds(p.Type) {
				decl = append(decl, fmt.Sprintf("arg%d %s", i, goCore(k)))
				i++
			}
		}
		if i > 16 {
			s.fail("%s: more than 16 flat parameters is not supported", f.Name)
		}
		var resultT wit.Type
		ret := ""
		if len(f.Results) == 1 {
			resultT = f.Results[0].Type
			ret = goCore(flatKinds(resultT)[0])
			if len(flatKinds(resultT)) > 1 {
				ret = "uint32"
			}
		}
		name := exportName(id, f.Name)
		b.p("//go:wasmexport %s", name)
		b.p("func wasmexport_%s(%s) %s {", localName(f.Name), strings.Join(decl, ", "), ret)
		i = 0
		for _, p := range f.Params {
			var vals []string
			for range flatKinds(p.Type) {
				vals = append(vals, fmt.Sprintf("arg%d", i))
				i++
			}
			args = append(args, s.guestLiftFlat(b, p.Type, vals))
		}
		call := fmt.Sprintf("%sExports.%s(%s)", ig, goName(f.Name), strings.Join(args, ", "))
		okT, errT, isResult, ferr := funcResult(f)
		if ferr != nil {
			s.fail("%v", ferr)
			return
		}
		switch {
		case isResult:
			off := payloadOffset(2, maxCaseAlign([]vcase{{"ok", okT}, {"err", errT}}))
			if okT != nil {
				b.p("v, e := %s", call)
			} else {
				b.p("e := %s", call)
			}
			b.p("ret := %s.ExportArea(%d, %d)", s.abi(), resultT.Size(), resultT.Align())
			b.p("if e != nil {")
			b.p("%s.PutU8(ret, 1)", s.abi())
			s.guestStore(b, errT, fmt.Sprintf("ret+%d", off), "(*e)")
			b.p("} else {")
			b.p("%s.PutU8(ret, 0)", s.abi())
			if okT != nil {
				s.guestStore(b, okT, fmt.Sprintf("ret+%d", off), "v")
			}
			b.p("}")
			b.p("return ret")
		case resultT == nil:
			b.p("%s", call)
		case len(flatKinds(resultT)) == 1:
			b.p("v := %s", call)
			vals := s.guestLowerFlat(b, resultT, "v")
			if len(vals) == 0 {
				return // s.fail was called
			}
			b.p("return %s", vals[0])
		default:
			b.p("v := %s", call)
			b.p("ret := %s.ExportArea(%d, %d)", s.abi(), resultT.Size(), resultT.Align()) // only here: scalars need no cabi
			s.guestStore(b, resultT, "ret", "v")
			b.p("return ret")
		}
		b.p("}\n")
		b.p("//go:wasmexport cabi_post_%s", name)
		var postDecl []string
		if resultT != nil {
			ks := flatKinds(resultT)
			if len(ks) > 1 {
				ks = []string{"i32"}
			}
			for j, k := range ks {
				postDecl = append(postDecl, fmt.Sprintf("r%d %s", j, goCore(k)))
			}
		}
		b.p("func wasmexport_post_%s(%s) {", localName(f.Name), strings.Join(postDecl, ", "))
		b.p("if %sExports.Post%s != nil {", ig, goName(f.Name))
		b.p("%sExports.Post%s()", ig, goName(f.Name))
		b.p("}")
		if s.g.wm != nil {
			// No SDK resets the arena after a call: post-return does.
			b.p("%s.ResetAll()", s.abi())
		}
		b.p("}\n")
	}
}
