package bindgen

import (
	"fmt"
	"strings"

	"go.bytecodealliance.org/wit"
)

// hostWorldFile is world_gen.go of a world's Go host package: the typed
// caller of the world's exports over an abi.Caller, Check, and a binding
// per import.
func (g *gen) hostWorldFile(ifaces []*wit.Interface) (File, error) {
	wm := g.wm
	s := &side{g: g, iface: wm.export, imports: map[string]string{}}
	var b w
	wg := goName(g.world.Name)
	id := worldID(g.world)
	abi := s.abi()
	ctx := s.use("context", "context")

	var exported []*wit.Interface
	for _, i := range ifaces {
		if g.exported[i] {
			exported = append(exported, i)
		}
	}
	docs(&b, wit.Docs{}, fmt.Sprintf("WorldName is the qualified name of the world these bindings are of."))
	b.p("const WorldName = %q\n", id)
	b.p("// %s calls the exports of a guest of world %s through an", wg, id)
	b.p("// abi.Caller (a *host.Guest): each call takes an instance from the")
	b.p("// Caller, looks the exports up once per instance and runs there. A")
	b.p("// result's error case comes back as a Go error value of the WIT error")
	b.p("// type (use errors.As); a failure of the guest itself (a trap, the")
	b.p("// deadline, a missing export) is the Caller's error. It is safe for")
	b.p("// concurrent use when the Caller is.")
	if d := strings.TrimSpace(g.world.Docs.Contents); d != "" {
		b.p("//")
		docs(&b, g.world.Docs, "")
	}
	b.p("type %s struct{ c %s.Caller }\n", wg, abi)
	b.p("// New returns the caller of the exports of %s in the guests c runs.", id)
	b.p("func New(c %s.Caller) *%s { return &%s{c: c} }\n", abi, wg, wg)

	// The exports, looked up once per instance.
	b.p("// exportsKey is the key of an instance's exports in abi.Instance.Memo.")
	b.p("type exportsKey struct{}\n")
	b.p("// exportSet holds the exports of one instance.")
	b.p("type exportSet struct {")
	for _, i := range exported {
		b.p("%s *%sExports", exportField(g, i), g.ig(i))
	}
	b.p("}\n")
	b.p("// Check looks up every export of %s in l and returns an error naming", id)
	b.p("// the first one that is missing or has the wrong signature: pass it as")
	b.p("// host.GuestConfig.Check to refuse a guest of another world up front.")
	b.p("func Check(l %s.FunctionLookup) error {", abi)
	b.p("_, err := lookupExports(l)")
	b.p("return err")
	b.p("}\n")
	b.p("func lookupExports(l %s.FunctionLookup) (*exportSet, error) {", abi)
	b.p("if l == nil {")
	b.p("return nil, %s.Errorf(\"world %%s: the instance has no exports to look up\", WorldName)", s.use("fmt", "fmt"))
	b.p("}")
	b.p("var x exportSet")
	b.p("var err error")
	for _, i := range exported {
		b.p("if x.%s, err = New%sExports(l); err != nil {", exportField(g, i), g.ig(i))
		b.p("return nil, fmt.Errorf(\"world %%s: %%w\", WorldName, err)")
		b.p("}")
	}
	b.p("return &x, nil")
	b.p("}\n")
	b.p("func exportsOf(inst *%s.Instance) (*exportSet, error) {", abi)
	b.p("v, err := inst.Memo(exportsKey{}, func() (any, error) { return lookupExports(inst.Lookup()) })")
	b.p("if err != nil {")
	b.p("return nil, err")
	b.p("}")
	b.p("return v.(*exportSet), nil")
	b.p("}\n")
	for _, i := range exported {
		for _, f := range i.Functions.All() {
			if err := g.hostWorldCall(&b, s, wg, i, f, ctx, abi); err != nil {
				return File{}, err
			}
		}
	}

	if g.wm.needGuestError {
		b.p("// GuestError is the error a guest returned as a string (result<_, string>).")
		b.p("type GuestError string\n")
		b.p("// Error returns the guest's message.")
		b.p("func (e GuestError) Error() string { return string(e) }\n")
	}

	// The imports.
	for _, i := range ifaces {
		if !g.imported[i] || i.Functions.Len() == 0 && len(resources(i)) == 0 {
			continue
		}
		ig := g.ig(i)
		name := ig + "Binding"
		var free int
		for _, f := range i.Functions.All() {
			if _, m := f.Kind.(*wit.Method); !m {
				free++
			}
		}
		what := "interface " + ifaceID(i)
		if isPseudo(i) {
			what = "the functions world " + g.world.Name + " imports"
		}
		b.p("// %s serves %s to a guest: grant it", name, what)
		b.p("// (host.GuestConfig.Bindings) to give the guest the %sHost it holds.", ig)
		if free > 0 {
			b.p("type %s struct{ %sHost }\n", name, ig)
			b.p("// New%s returns the binding that serves %s with impl.", name, what)
			b.p("func New%s(impl %sHost) %s { return %s{impl} }\n", name, ig, name, name)
		} else {
			b.p("type %s struct{}\n", name)
		}
		b.p("// WIT returns the host side of %s (what host.Binding needs).", what)
		b.p("func (%s) WIT() %s.Interface {", name, abi)
		b.p("return %s.Interface{Name: %sInterface, Define: Define%s}", abi, ig, ig)
		b.p("}\n")
	}
	if s.err != nil {
		return File{}, s.err
	}
	name := wm.pkg + "/world_gen.go"
	src, err := gofmt(name, s.header(&b, wm.pkg, b.Bytes()))
	return File{Path: name, Data: src}, err
}

// exportField is the exportSet field of an exported interface.
func exportField(g *gen, i *wit.Interface) string {
	if isPseudo(i) {
		return "world"
	}
	return "i" + g.ig(i)
}

// hostWorldCall emits the typed caller's method for export f of i.
func (g *gen) hostWorldCall(b *w, s *side, wg string, i *wit.Interface, f *wit.Function, ctx, abi string) error {
	okT, errT, isResult, err := funcResult(f)
	if err != nil {
		return err
	}
	if _, m := f.Kind.(*wit.Freestanding); !m {
		return fmt.Errorf("bindgen: world %s: export %s: exported resources are not supported", g.world.Name, f.Name)
	}
	method := goName(f.Name)
	if !isPseudo(i) {
		method = g.ig(i) + method
	}
	var params, args []string
	for _, p := range f.Params {
		params = append(params, localName(p.Name)+" "+s.goType(p.Type))
		args = append(args, localName(p.Name))
	}
	res, rets := "(err error)", ""
	switch {
	case isResult && okT != nil:
		res, rets = "(result "+s.goType(okT)+", err error)", "result, "
	case isResult:
	case len(f.Results) == 1:
		res, rets = "(result "+s.goType(f.Results[0].Type)+", err error)", "result, "
	}
	var errExpr string
	if isResult {
		switch k := kindOf(errT).(type) {
		case *wit.Variant, *wit.Enum, *wit.Record:
			errExpr = "*gerr"
		case wit.String:
			errExpr = "GuestError(*gerr)"
			g.wm.needGuestError = true
		default:
			return fmt.Errorf("bindgen: world %s: export %s: the error type of a result must be a variant, an enum, a record or a string to be a Go error, not %T", g.world.Name, f.Name, k)
		}
	}
	b.p("// %s calls the export %s.", method, exportName(ifaceID(i), f.Name))
	if d := strings.TrimSpace(f.Docs.Contents); d != "" {
		b.p("//")
		docs(b, f.Docs, "")
	}
	if isResult {
		b.p("//")
		b.p("// The guest's error case is returned as the error, a %s value", map[bool]string{true: "GuestError", false: s.goType(errT)}[errExpr == "GuestError(*gerr)"])
		b.p("// (errors.As); any other error is the Caller's.")
	}
	b.p("func (w_ *%s) %s(ctx %s.Context%s) %s {", wg, method, ctx, prefixComma(params), res)
	if isResult {
		b.p("var gerr *%s", s.goType(errT))
	}
	b.p("err = w_.c.Call(ctx, func(ctx %s.Context, inst *%s.Instance) error {", ctx, abi)
	b.p("x_, err := exportsOf(inst)")
	b.p("if err != nil {")
	b.p("return err")
	b.p("}")
	call := fmt.Sprintf("x_.%s.%s(ctx, inst%s)", exportField(g, i), goName(f.Name), prefixComma(args))
	switch {
	case isResult:
		b.p("%sgerr, err = %s", rets, call)
	case rets != "":
		b.p("result, err = %s", call)
	default:
		b.p("err = %s", call)
	}
	b.p("return err")
	b.p("})")
	if isResult {
		b.p("if err == nil && gerr != nil {")
		b.p("err = %s", errExpr)
		b.p("}")
	}
	b.p("return %serr", rets)
	b.p("}\n")
	return nil
}

func prefixComma(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ", " + strings.Join(ss, ", ")
}
