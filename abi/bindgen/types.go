package bindgen

import (
	"fmt"
	"sort"
	"strings"

	"go.bytecodealliance.org/wit"
)

// side is one of the two targets: the wazero host or the Go guest.
type side struct {
	g       *gen
	guest   bool
	iface   *wit.Interface
	imports map[string]string // import path -> package name
	err     error
	helpers w               // helper functions, emitted after the body
	emitted map[string]bool // helper functions already emitted
}

// helperFor returns the name of the helper function op+Type for a named
// record or variant type owned by this interface, emitting it (with body
// written by gen) on first use; ok is false for any other type, which the
// caller then inlines.
func (s *side) helperFor(t wit.Type, op string, sig func(name string) string, gen func(b *w)) (string, bool) {
	td, isTD := root(t).(*wit.TypeDef)
	if !isTD || td.Name == nil {
		return "", false
	}
	if o, ok := s.g.ownerOf(td); !ok || o != s.iface {
		return "", false
	}
	switch td.Kind.(type) {
	case *wit.Record, *wit.Variant:
	default:
		return "", false
	}
	name := op + goName(*td.Name)
	if s.emitted == nil {
		s.emitted = map[string]bool{}
	}
	if !s.emitted[name] {
		s.emitted[name] = true
		var hb w
		hb.p("%s {", sig(name))
		gen(&hb)
		hb.p("}\n")
		s.helpers.Write(hb.Bytes())
	}
	return name, true
}

func (s *side) fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("bindgen: "+ifaceID(s.iface)+": "+format, args...)
	}
}

func (s *side) dir(i *wit.Interface) string {
	t := s.g.byIface[i]
	if t == nil {
		return ""
	}
	if s.guest {
		return t.GuestDir
	}
	return t.HostDir
}

func (s *side) importPath(dir string) string {
	if s.guest {
		return s.g.cfg.GuestModule + strings.TrimPrefix(dir, s.g.cfg.GuestModuleDir)
	}
	return s.g.cfg.Module + "/" + dir
}

// use records an import and returns the package qualifier.
func (s *side) use(path, name string) string {
	s.imports[path] = name
	return name
}

func (s *side) abi() string {
	if s.guest && s.g.wm != nil {
		return "cabi" // the package's own runtime (world_cabi_gen.go)
	}
	if s.guest {
		return s.use(s.g.cfg.GuestModule+"/internal/cabi", "cabi")
	}
	return s.use(s.g.cfg.Module+"/abi", "abi")
}

// qual returns the qualified Go name of a named type def.
func (s *side) qual(td *wit.TypeDef) string {
	owner, ok := s.g.ownerOf(td)
	if !ok {
		s.fail("type %s is not owned by an interface or the world", td.TypeName())
		return "invalid"
	}
	name := goName(*td.Name)
	d := s.dir(owner)
	if d == "" {
		s.fail("type %s belongs to %s, which has no target", *td.Name, ifaceID(owner))
		return name
	}
	if d == s.dir(s.iface) {
		return name
	}
	return s.use(s.importPath(d), pkgName(d)) + "." + name
}

// rtType qualifies a generic type of the ABI runtime (Option, Tuple2): a
// world's Go guest package declares its own.
func (s *side) rtType(name string) string {
	if s.guest && s.g.wm != nil {
		return name
	}
	return s.abi() + "." + name
}

// goType returns the Go type of a WIT type.
func (s *side) goType(t wit.Type) string {
	t = root(t)
	switch t := t.(type) {
	case wit.Bool:
		return "bool"
	case wit.U8:
		return "uint8"
	case wit.U16:
		return "uint16"
	case wit.U32:
		return "uint32"
	case wit.U64:
		return "uint64"
	case wit.S8:
		return "int8"
	case wit.S16:
		return "int16"
	case wit.S32:
		return "int32"
	case wit.S64:
		return "int64"
	case wit.F32:
		return "float32"
	case wit.F64:
		return "float64"
	case wit.Char:
		return "rune"
	case wit.String:
		return "string"
	case *wit.TypeDef:
		if t.Name != nil {
			return s.qual(t)
		}
		return s.goKind(t.Kind)
	}
	s.fail("unsupported type %T", t)
	return "invalid"
}

// goKind returns the Go type of an anonymous type def's kind.
func (s *side) goKind(kind wit.TypeDefKind) string {
	{
		switch k := kind.(type) {
		case *wit.List:
			if isU8(k.Type) {
				return "[]byte"
			}
			return "[]" + s.goType(k.Type)
		case *wit.Option:
			return s.rtType("Option") + "[" + s.goType(k.Type) + "]"
		case *wit.Tuple:
			if len(k.Types) != 2 {
				s.fail("tuples of %d elements are not supported", len(k.Types))
				return "invalid"
			}
			return s.rtType("Tuple2") + "[" + s.goType(k.Types[0]) + ", " + s.goType(k.Types[1]) + "]"
		case *wit.Own:
			return s.goType(k.Type)
		case *wit.Borrow:
			return s.goType(k.Type)
		}
		s.fail("unsupported anonymous type %T", kind)
		return "invalid"
	}
}

// typeDecls emits the Go declarations of the named types an interface owns.
func (s *side) typeDecls(b *w) {
	for name, td := range s.iface.TypeDefs.All() {
		if _, alias := td.Kind.(*wit.TypeDef); alias {
			continue // a `use`: refer to the owner's type
		}
		gn := goName(name)
		switch k := td.Kind.(type) {
		case *wit.Record:
			docs(b, td.Docs, gn+" is the WIT record "+name+".")
			b.p("type %s struct {", gn)
			for _, f := range k.Fields {
				docs(b, f.Docs, goName(f.Name)+" is the field "+f.Name+".")
				b.p("%s %s", goName(f.Name), s.goType(f.Type))
			}
			b.p("}\n")
			if s.g.wm != nil && s.g.isErrorType(td) {
				b.p("// Error makes %s an error: its fields, as %%+v prints them.", gn)
				b.p("func (v %s) Error() string {", gn)
				b.p("type plain %s // no Error method: %%+v would call it again", gn)
				b.p("return %s.Sprintf(\"%s%%+v\", plain(v))", s.use("fmt", "fmt"), name+": ")
				b.p("}\n")
			}
		case *wit.Variant:
			docs(b, td.Docs, gn+" is the WIT variant "+name+".")
			b.p("type %s struct {", gn)
			b.p("// Tag says which case is set.")
			b.p("Tag %sTag", gn)
			for _, c := range k.Cases {
				if c.Type != nil {
					b.p("// %s is the payload of case %s.", goName(c.Name), c.Name)
					b.p("%s %s", goName(c.Name), s.goType(c.Type))
				}
			}
			b.p("}\n")
			b.p("// %sTag names a case of %s.", gn, gn)
			b.p("type %sTag %s\n", gn, discGoType(len(k.Cases)))
			b.p("// The cases of %s.", gn)
			b.p("const (")
			for i, c := range k.Cases {
				docs(b, c.Docs, gn+goName(c.Name)+" is the case "+c.Name+".")
				b.p("%s%s %sTag = %d", gn, goName(c.Name), gn, i)
			}
			b.p(")\n")
			if s.g.isErrorType(td) {
				b.p("// Error makes %s an error.", gn)
				b.p("func (v %s) Error() string {", gn)
				b.p("switch v.Tag {")
				for _, c := range k.Cases {
					b.p("case %s%s:", gn, goName(c.Name))
					if c.Type != nil {
						b.p("return %q + \": \" + fmt.Sprint(v.%s)", c.Name, goName(c.Name))
						s.use("fmt", "fmt")
					} else {
						b.p("return %q", c.Name)
					}
				}
				b.p("}")
				b.p("return \"unknown case of %s\"", name)
				b.p("}\n")
			}
		case *wit.Enum:
			docs(b, td.Docs, gn+" is the WIT enum "+name+".")
			b.p("type %s %s\n", gn, discGoType(len(k.Cases)))
			b.p("// The cases of %s.", gn)
			b.p("const (")
			for i, c := range k.Cases {
				docs(b, c.Docs, gn+goName(c.Name)+" is the case "+c.Name+".")
				b.p("%s%s %s = %d", gn, goName(c.Name), gn, i)
			}
			b.p(")\n")
			if s.g.wm != nil && s.g.isErrorType(td) {
				b.p("// Error makes %s an error.", gn)
				b.p("func (v %s) Error() string {", gn)
				b.p("switch v {")
				for _, c := range k.Cases {
					b.p("case %s%s:", gn, goName(c.Name))
					b.p("return %q", c.Name)
				}
				b.p("}")
				b.p("return \"unknown case of %s\"", name)
				b.p("}\n")
			}
		case *wit.Flags:
			if len(k.Flags) > 32 {
				s.fail("flags %s: more than 32 flags are not supported", name)
				continue
			}
			docs(b, td.Docs, gn+" is the WIT flags "+name+": a set of the "+gn+" constants.")
			b.p("type %s uint%d\n", gn, flagsWidth(k))
			b.p("// The flags of %s.", gn)
			b.p("const (")
			for i, f := range k.Flags {
				docs(b, f.Docs, gn+goName(f.Name)+" is the flag "+f.Name+".")
				b.p("%s%s %s = 1 << %d", gn, goName(f.Name), gn, i)
			}
			b.p(")\n")
		case *wit.Resource:
			// Emitted by the side-specific code.
		case *wit.List, *wit.Option, *wit.Tuple:
			docs(b, td.Docs, gn+" is the WIT type "+name+".")
			b.p("type %s = %s\n", gn, s.goKind(td.Kind))
		default:
			s.fail("type %s: unsupported kind %T", name, td.Kind)
		}
	}
}

// resources returns the resources the interface owns, in order.
func resources(i *wit.Interface) []*wit.TypeDef {
	var out []*wit.TypeDef
	for _, td := range i.TypeDefs.All() {
		if _, ok := td.Kind.(*wit.Resource); ok {
			out = append(out, td)
		}
	}
	return out
}

// resourceOfFunc returns the resource a method/static/constructor belongs to.
func resourceOfFunc(f *wit.Function) *wit.TypeDef {
	switch k := f.Kind.(type) {
	case *wit.Method:
		return root(k.Type).(*wit.TypeDef)
	case *wit.Static:
		return root(k.Type).(*wit.TypeDef)
	case *wit.Constructor:
		return root(k.Type).(*wit.TypeDef)
	}
	return nil
}

// funcGoName names a function in Go: Open for [static]namespace.open is NamespaceOpen.
func funcGoName(f *wit.Function) string {
	switch f.Kind.(type) {
	case *wit.Method:
		return goName(f.BaseName())
	case *wit.Static:
		return goName(*resourceOfFunc(f).Name) + goName(f.BaseName())
	case *wit.Constructor:
		return "New" + goName(*resourceOfFunc(f).Name)
	}
	return goName(f.Name)
}

func (s *side) header(b *w, pkg string, body []byte) []byte {
	var out w
	out.p("%s\n", s.g.generatedBy())
	out.p("package %s\n", pkg)
	if len(s.imports) > 0 {
		paths := make([]string, 0, len(s.imports))
		for p := range s.imports {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		out.p("import (")
		for _, p := range paths {
			if pkgName(p) == s.imports[p] {
				out.p("%q", p)
			} else {
				out.p("%s %q", s.imports[p], p)
			}
		}
		out.p(")\n")
	}
	out.Write(body)
	out.Write(s.helpers.Bytes())
	return out.Bytes()
}
