package bindgen

import (
	"fmt"
	"strings"

	"go.bytecodealliance.org/wit"
)

func (g *gen) hostFile(iface *wit.Interface, t *Target) (File, error) {
	s := &side{g: g, iface: iface, imports: map[string]string{}}
	var b w
	id := ifaceID(iface)
	ig := g.ig(iface)
	docs(&b, wit.Docs{}, ig+"Interface is the WIT interface this file serves.")
	b.p("const %sInterface = %q\n", ig, id)
	s.typeDecls(&b)
	for _, r := range resources(iface) {
		rn := goName(*r.Name)
		b.p("// %sType is the resource type of %s in handle tables.", rn, rn)
		b.p("const %sType = %q\n", rn, resourceID(r))
		if !g.imported[iface] {
			continue
		}
		docs(&b, r.Docs, rn+" is the host side of resource "+*r.Name+".")
		b.p("//")
		b.p("// A value that also implements abi.Dropper is told when the guest drops its handle.")
		b.p("type %s interface {", rn)
		for _, f := range r.Methods() {
			docs(&b, f.Docs, goName(f.BaseName())+" implements "+f.Name+".")
			b.p("%s(%s) %s", goName(f.BaseName()), s.hostParams(f, 1), s.hostResults(f))
		}
		b.p("}\n")
	}
	if g.imported[iface] {
		s.hostImports(&b, iface, ig)
	}
	if g.exported[iface] {
		s.hostExports(&b, iface, ig)
	}
	if s.err != nil {
		return File{}, s.err
	}
	name := t.HostDir + "/" + fileName(iface)
	src, err := gofmt(name, s.header(&b, pkgName(t.HostDir), b.Bytes()))
	return File{Path: name, Data: src}, err
}

// hostParams renders a function's Go parameters, skipping the first skip (self).
func (s *side) hostParams(f *wit.Function, skip int) string {
	ps := []string{"ctx " + s.use("context", "context") + ".Context"}
	for i, p := range f.Params {
		if i < skip {
			continue
		}
		ps = append(ps, localName(p.Name)+" "+s.goType(p.Type))
	}
	return strings.Join(ps, ", ")
}

// hostResults renders a function's Go results: result<T, E> is (T, *E).
func (s *side) hostResults(f *wit.Function) string {
	ok, errT, isResult, err := funcResult(f)
	if err != nil {
		s.fail("%v", err)
		return ""
	}
	switch {
	case isResult && ok != nil:
		return "(" + s.goType(ok) + ", *" + s.goType(errT) + ")"
	case isResult:
		return "*" + s.goType(errT)
	case ok != nil:
		return s.goType(ok)
	}
	return ""
}

func valueTypes(kinds []string) string {
	var out []string
	for _, k := range kinds {
		out = append(out, "api.ValueType"+map[string]string{"i32": "I32", "i64": "I64", "f32": "F32", "f64": "F64"}[k])
	}
	return "[]api.ValueType{" + strings.Join(out, ", ") + "}"
}

func (s *side) hostImports(b *w, iface *wit.Interface, ig string) {
	var free []*wit.Function
	for _, f := range iface.Functions.All() {
		if _, m := f.Kind.(*wit.Method); !m {
			free = append(free, f)
		}
	}
	hostIface := ig + "Host"
	if len(free) > 0 {
		if isPseudo(iface) {
			b.p("// %s implements %s.", hostIface, s.g.what(iface))
		} else {
			b.p("// %s implements the functions of %s that are not resource methods.", hostIface, ifaceID(iface))
		}
		b.p("type %s interface {", hostIface)
		for _, f := range free {
			docs(b, f.Docs, funcGoName(f)+" implements "+f.Name+".")
			b.p("%s(%s) %s", funcGoName(f), s.hostParams(f, 0), s.hostResults(f))
		}
		b.p("}\n")
	}
	s.use("github.com/tetratelabs/wazero", "wazero")
	if iface.Functions.Len() > 0 || len(resources(iface)) > 0 { // else Define has an empty body
		s.use("github.com/tetratelabs/wazero/api", "api")
		s.use("context", "context")
	}
	b.p("// Define%s adds the host functions of %s to hb. Functions that are not", ig, s.g.what(iface))
	b.p("// resource methods call the %s found in slot of the calling instance.", hostIface)
	b.p("func Define%s(hb wazero.HostModuleBuilder, slot int) {", ig)
	for _, f := range iface.Functions.All() {
		s.hostImportFunc(b, f, hostIface)
	}
	for _, r := range resources(iface) {
		rn := goName(*r.Name)
		b.p("hb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {")
		b.p("inst := %s.From(ctx)", s.abi())
		b.p("inst.Handles.Drop(ctx, inst, %sType, uint32(stack[0]))", rn)
		b.p("}), []api.ValueType{api.ValueTypeI32}, nil).WithParameterNames(\"self\").Export(%q)", "[resource-drop]"+*r.Name)
	}
	b.p("_ = slot")
	b.p("}\n")
}

// isChunk reports whether f moves one chunk of a body: a resource method
// named write or read (an R2 object-writer's write, a cache body-writer's).
// Its call is charged the bytes it moves but no operation, as Cloudflare
// counts an R2 put as one operation however many chunks its body comes in.
func isChunk(f *wit.Function) bool {
	return f.IsMethod() && (f.BaseName() == "write" || f.BaseName() == "read")
}

func (s *side) hostImportFunc(b *w, f *wit.Function, hostIface string) {
	var params []string
	var names []string
	for _, p := range f.Params {
		ks := flatKinds(p.Type)
		params = append(params, ks...)
		for i := range ks {
			names = append(names, fmt.Sprintf("%s%d", localName(p.Name), i))
		}
	}
	// Over 16 flat values, the parameters travel in memory as one tuple.
	spill := len(params) > 16
	if spill {
		params, names = []string{"i32"}, []string{"params"}
	}
	var resultT wit.Type
	if len(f.Results) == 1 {
		resultT = f.Results[0].Type
	}
	var results []string
	retptr := false
	if resultT != nil {
		results = flatKinds(resultT)
		if len(results) > 1 {
			retptr = true
			params = append(params, "i32")
			names = append(names, "retptr")
			results = nil
		}
	}
	b.p("hb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {")
	if isChunk(f) {
		b.p("inst := %s.EnterChunk(ctx, slot) // a body's chunk: charges its bytes, not an operation", s.abi())
	} else {
		b.p("inst := %s.Enter(ctx, slot) // charges the call to the interface's quota", s.abi())
	}
	// Lift the arguments.
	var args []string
	if spill {
		offs, size, align := tupleLayout(f.Params)
		b.p("pa := uint32(stack[0])")
		b.p("inst.CheckList(pa, 1, %d, %d) // the spilled parameters", size, align)
		for i, p := range f.Params {
			args = append(args, s.hostLoad(b, p.Type, fmt.Sprintf("pa+%d", offs[i])))
		}
	}
	n := 0
	for _, p := range f.Params {
		if spill {
			break
		}
		k := len(flatKinds(p.Type))
		vals := make([]string, k)
		for i := range vals {
			vals[i] = fmt.Sprintf("stack[%d]", n+i)
		}
		n += k
		args = append(args, s.hostLiftFlat(b, p.Type, vals))
	}
	// Call.
	var call string
	switch f.Kind.(type) {
	case *wit.Method:
		call = fmt.Sprintf("%s.%s(ctx, %s)", args[0], goName(f.BaseName()), strings.Join(args[1:], ", "))
	default:
		b.p("impl, _ := inst.Impl(slot).(%s)", hostIface)
		b.p("if impl == nil {")
		if s.g.wm != nil {
			b.p("inst.Trapf(\"no host implementation of %%s granted to this guest\", %q)", exportName(ifaceID(s.iface), f.Name))
		} else {
			b.p("inst.Trapf(\"no host implementation of %%s in this worker\", %q)", ifaceID(s.iface)+"#"+f.Name)
		}
		b.p("}")
		call = fmt.Sprintf("impl.%s(ctx, %s)", funcGoName(f), strings.Join(args, ", "))
	}
	ok, errT, isResult, err := funcResult(f)
	if err != nil {
		s.fail("%v", err)
		return
	}
	switch {
	case resultT == nil:
		b.p("%s", call)
	case isResult:
		off := payloadOffset(2, maxCaseAlign([]vcase{{"ok", ok}, {"err", errT}}))
		if ok != nil {
			b.p("v, e := %s", call)
		} else {
			b.p("e := %s", call)
		}
		ret := "uint32(stack[" + fmt.Sprint(len(params)-1) + "])"
		if !retptr {
			s.fail("%s: a result that flattens to one value is not supported", f.Name)
		}
		b.p("ret := %s", ret)
		checkRetArea(b, resultT)
		b.p("if e != nil {")
		s.hostStore(b, errT, fmt.Sprintf("ret+%d", off), "(*e)")
		b.p("inst.PutU8(ret, 1)")
		b.p("return")
		b.p("}")
		if ok != nil {
			s.hostStore(b, ok, fmt.Sprintf("ret+%d", off), "v")
		}
		b.p("inst.PutU8(ret, 0)")
	default:
		b.p("v := %s", call)
		if retptr {
			b.p("ret := uint32(stack[%d])", len(params)-1)
			checkRetArea(b, resultT)
			s.hostStore(b, resultT, "ret", "v")
		} else {
			vals := s.hostLowerFlat(b, resultT, "v")
			if len(vals) == 0 {
				return // s.fail was called
			}
			b.p("stack[0] = %s", vals[0])
		}
	}
	b.p("}), %s, %s).WithParameterNames(%s).Export(%q)", valueTypes(params), valueTypes(results), quoteAll(names), f.Name)
}

// checkRetArea emits the Canonical ABI's check of an import's return area
// (ret) before the first store: aligned to the result type, and all of it in
// bounds. Checking store by store would accept a misaligned area when only
// bytes are stored, and could write the first fields before trapping.
func checkRetArea(b *w, t wit.Type) {
	b.p("inst.CheckList(ret, 1, %d, %d) // the return area", t.Size(), t.Align())
}

func quoteAll(ss []string) string {
	var q []string
	for _, s := range ss {
		q = append(q, fmt.Sprintf("%q", s))
	}
	return strings.Join(q, ", ")
}

func (s *side) hostExports(b *w, iface *wit.Interface, ig string) {
	if iface.Functions.Len() > 0 { // else there are no methods to use them
		s.use("github.com/tetratelabs/wazero/api", "api")
		s.use("context", "context")
		s.use("fmt", "fmt")
	}
	id := ifaceID(iface)
	typ := ig + "Exports"
	b.p("// %s calls a guest's exports of %s. Look the exports up once per", typ, s.g.what(iface))
	b.p("// instance with New%s; it is not safe for concurrent use.", typ)
	b.p("type %s struct {", typ)
	maxStack := 1
	for _, f := range iface.Functions.All() {
		b.p("%s, %sPost api.Function", localName(f.Name), localName(f.Name))
		np, nr := 0, 0
		for _, p := range f.Params {
			np += len(flatKinds(p.Type))
		}
		for _, r := range f.Results {
			nr += len(flatKinds(r.Type))
		}
		maxStack = max(maxStack, np, nr)
	}
	b.p("stack [%d]uint64", maxStack)
	b.p("}\n")
	b.p("// New%s looks up the exports of %s in mod (an api.Module, or a component's view of its core instances); the error names the first one missing.", typ, s.g.what(iface))
	b.p("func New%s(mod %s.FunctionLookup) (*%s, error) {", typ, s.abi(), typ)
	b.p("e := &%s{}", typ)
	for _, f := range iface.Functions.All() {
		name := exportName(id, f.Name)
		b.p("if e.%s = mod.ExportedFunction(%q); e.%s == nil {", localName(f.Name), name, localName(f.Name))
		if s.g.wm != nil {
			b.p("return nil, fmt.Errorf(\"the module does not export %%q (is it a %s?)\", %q)", s.g.guestKind(), name)
		} else {
			b.p("return nil, fmt.Errorf(\"the module does not export %%q (is it a Worker built for %%s?)\", %q, %q)", name, id)
		}
		b.p("}")
		b.p("e.%sPost = mod.ExportedFunction(%q)", localName(f.Name), "cabi_post_"+name)
		params, results := flatKindsOf(f.Params), []string{}
		if len(f.Results) == 1 {
			results = flatKinds(f.Results[0].Type)
			if len(results) > 1 {
				results = []string{"i32"} // a pointer to the return area
			}
		}
		b.p("if err := %s.CheckSignature(%q, e.%s.Definition(), %s, %s); err != nil {", s.abi(), name, localName(f.Name), valueTypes(params), valueTypes(results))
		b.p("return nil, err")
		b.p("}")
		b.p("if e.%sPost != nil {", localName(f.Name))
		b.p("if err := %s.CheckSignature(%q, e.%sPost.Definition(), %s, nil); err != nil {", s.abi(), "cabi_post_"+name, localName(f.Name), valueTypes(results))
		b.p("return nil, err")
		b.p("}")
		b.p("}")
	}
	b.p("return e, nil")
	b.p("}\n")
	for _, f := range iface.Functions.All() {
		s.hostExportFunc(b, f, typ, id)
	}
}

func (s *side) hostExportFunc(b *w, f *wit.Function, typ, id string) {
	var params []string
	for _, p := range f.Params {
		params = append(params, localName(p.Name)+" "+s.goType(p.Type))
	}
	var resultT wit.Type
	res, rets := "(err error)", ""
	okT, errT, isResult, ferr := funcResult(f)
	if ferr != nil {
		s.fail("%v", ferr)
		return
	}
	switch {
	case len(f.Results) > 1:
		s.fail("%s: multiple results are not supported", f.Name)
	case isResult:
		// result<T, E>: the guest's error is a value, apart from err.
		resultT = f.Results[0].Type
		res, rets = "(gerr *"+s.goType(errT)+", err error)", "gerr, "
		if okT != nil {
			res, rets = "(result "+s.goType(okT)+", gerr *"+s.goType(errT)+", err error)", "result, gerr, "
		}
	case len(f.Results) == 1:
		resultT = f.Results[0].Type
		res, rets = "(result "+s.goType(resultT)+", err error)", "result, "
	}
	ln := localName(f.Name)
	docs(b, f.Docs, goName(f.Name)+" calls the export "+f.Name+".")
	b.p("//")
	if isResult {
		b.p("// The guest's error value comes back as gerr.")
	}
	b.p("// An ABI violation or a trap poisons inst and comes back as the error.")
	b.p("func (e *%s) %s(ctx context.Context, inst *%s.Instance, %s) %s {", typ, goName(f.Name), s.abi(), strings.Join(params, ", "), res)
	b.p("defer func() {")
	b.p("if r := recover(); r != nil {")
	b.p("if re, ok := r.(error); ok { err = re } else { err = fmt.Errorf(\"%%v\", r) }")
	b.p("inst.Poison(err)")
	b.p("}")
	b.p("}()")
	if s.g.wm != nil {
		// The call starts here: the guest's imports find inst in ctx,
		// and the lifting budget (abi.From) starts afresh, as it does for
		// each host call.
		b.p("ctx = %s.WithInstance(ctx, inst)", s.abi())
		b.p("%s.From(ctx)", s.abi())
	}
	var flat []string
	for _, p := range f.Params {
		flat = append(flat, s.hostLowerFlat(b, p.Type, localName(p.Name))...)
	}
	if len(flat) > 16 {
		s.fail("%s: more than 16 flat parameters is not supported", f.Name)
	}
	nr := 0
	if resultT != nil {
		nr = len(flatKinds(resultT))
	}
	b.p("stack := e.stack[:%d]", max(len(flat), nr, 1))
	for i, v := range flat {
		b.p("stack[%d] = %s", i, v)
	}
	b.p("if err := e.%s.CallWithStack(ctx, stack); err != nil {", ln)
	b.p("inst.Poison(err)")
	b.p("return %serr", rets)
	b.p("}")
	switch {
	case isResult:
		off := payloadOffset(2, maxCaseAlign([]vcase{{"ok", okT}, {"err", errT}}))
		b.p("ret := uint32(stack[0])")
		checkRetArea(b, resultT)
		b.p("switch inst.U8(ret) {")
		b.p("case 0:")
		if okT != nil {
			v := s.hostLoad(b, okT, fmt.Sprintf("ret+%d", off))
			b.p("result = %s", v)
		}
		b.p("case 1:")
		ev := s.hostLoad(b, errT, fmt.Sprintf("ret+%d", off))
		b.p("gerr = &%s", ev)
		b.p("default:")
		b.p("inst.Trapf(\"invalid discriminant %%d for the result of %s\", inst.U8(ret))", f.Name)
		b.p("}")
	case resultT != nil:
		var v string
		if nr == 1 {
			v = s.hostLiftFlat(b, resultT, []string{"stack[0]"})
		} else {
			v = s.hostLoad(b, resultT, "uint32(stack[0])")
		}
		b.p("result = %s", v)
	}
	b.p("if e.%sPost != nil {", ln)
	b.p("if err := e.%sPost.CallWithStack(ctx, stack); err != nil {", ln)
	b.p("inst.Poison(err)")
	b.p("return %serr", rets)
	b.p("}")
	b.p("}")
	b.p("return %snil", rets)
	b.p("}\n")
}
