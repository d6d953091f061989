package bindgen

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"go.bytecodealliance.org/wit"
)

// The C backend writes, for each target interface, a header and a source
// file of C guest bindings (wasm32, clang): one C type per WIT type, one
// function per import, a wasm export per export, plus the shared
// bindery_cabi.h/.c (string and byte-list types, cabi_realloc).
//
// The C types are laid out exactly as the Canonical ABI lays out the WIT
// types in linear memory (wasm32: 4-byte pointers and size_t, 8-byte
// aligned 64-bit integers, a variant is its discriminant then a union), so
// a value stored by the host is read with a plain C assignment and a value
// the host reads is a plain C struct. Every type's generated .c file
// asserts its size and alignment with _Static_assert, so a mismatch fails
// the C build instead of corrupting memory. Only the flat form (function
// parameters and single-value results) is converted value by value.
//
// Memory: everything the host hands over (strings, lists) was allocated
// with the guest's cabi_realloc, that is malloc; whoever receives it owns
// it and releases it with the type's _free function. Values the guest
// passes to an import stay the caller's.

// cCommon is the basename of the shared files.
const cCommon = "bindery_cabi"

// cgen generates the C bindings of one interface.
type cgen struct {
	g      *gen
	iface  *wit.Interface
	prefix string // "kv_store"
	// types holds the type declarations in dependency order; decls the
	// function declarations; body the source file's functions.
	types, decls, frees, body w
	asserts                   []string
	includes                  map[string]bool
	declared                  map[string]bool // C type names declared in this header
	err                       error
}

func (c *cgen) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("bindgen: C: "+ifaceID(c.iface)+": "+format, args...)
	}
}

// cFiles returns the C bindings of every target interface, and the shared files.
func (g *gen) cFiles(ifaces []*wit.Interface) ([]File, error) {
	return g.cFilesIn(g.cfg.CDir, ifaces, true)
}

// cFilesIn returns the C bindings of ifaces in dir, and the shared files
// when common is set (a WorldCDirs directory shares CDir's).
func (g *gen) cFilesIn(dir string, ifaces []*wit.Interface, common bool) ([]File, error) {
	var files []File
	if common {
		files = append(files,
			File{Path: dir + "/" + cCommon + ".h", Data: []byte(cCommonH)},
			File{Path: dir + "/" + cCommon + ".c", Data: []byte(cCommonC)})
	}
	for _, iface := range ifaces {
		c := &cgen{g: g, iface: iface, prefix: g.cPrefix(iface), includes: map[string]bool{}, declared: map[string]bool{}}
		h, src := c.generate()
		if c.err != nil {
			return nil, c.err
		}
		files = append(files, File{Path: dir + "/" + g.cFile(iface) + ".h", Data: h}, File{Path: dir + "/" + g.cFile(iface) + ".c", Data: src})
	}
	return files, nil
}

// cInclude is what the header of interface from writes in #include to
// reach the header base (an interface's cFile, or cCommon) of interface
// to (nil for cCommon, which is in CDir): the bare name in one directory,
// else a path relative to from's directory.
func (g *gen) cInclude(from, to *wit.Interface, base string) string {
	fromDir := g.cDirOf[from]
	toDir := g.cfg.CDir
	if to != nil {
		toDir = g.cDirOf[to]
	}
	if fromDir == "" || toDir == "" || fromDir == toDir {
		return base + ".h"
	}
	rel, err := filepath.Rel(filepath.FromSlash(fromDir), filepath.FromSlash(toDir))
	if err != nil {
		return base + ".h"
	}
	return filepath.ToSlash(rel) + "/" + base + ".h"
}

// cPrefix is the C prefix of an interface's names: cPrefix, or for the
// world's own functions and types the world's name ("image_filter").
func (g *gen) cPrefix(i *wit.Interface) string {
	if isPseudo(i) {
		return cIdent(g.world.Name)
	}
	return cPrefix(i)
}

// cFile is the basename of an interface's C files: its prefix, or for the
// world's own functions and types "image_filter_imports" and so on.
func (g *gen) cFile(i *wit.Interface) string {
	if isPseudo(i) {
		return cIdent(g.world.Name) + "_" + strings.TrimPrefix(*i.Name, "$")
	}
	return cPrefix(i)
}

// cPrefix is an interface's C prefix: package and interface name, "kv_store".
func cPrefix(i *wit.Interface) string {
	return cIdent(i.Package.Name.Package) + "_" + cIdent(*i.Name)
}

// cIdent maps a WIT name to a C identifier: kebab-case to snake_case.
func cIdent(s string) string {
	return strings.ReplaceAll(strings.TrimPrefix(s, "%"), "-", "_")
}

// cKeywords are C and C++ keywords (the headers are also C++ headers), and
// names the generated functions use for their own locals.
var cKeywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`auto break case char const continue default do double else enum extern
		float for goto if inline int long register restrict return short signed sizeof static struct switch
		typedef union unsigned void volatile while bool true false alignas alignof and and_eq asm bitand bitor
		catch class compl concept consteval constexpr constinit const_cast co_await co_return co_yield decltype
		delete dynamic_cast explicit export friend mutable namespace new noexcept not not_eq nullptr operator or
		or_eq private protected public reinterpret_cast requires static_assert static_cast template this
		thread_local throw try typeid typename using virtual wchar_t xor xor_eq char8_t char16_t char32_t
		ret err ret_area params result r r0 ptr`) {
		cKeywords[k] = true
	}
}

// cLocal maps a WIT name to a C parameter or field name.
func cLocal(s string) string {
	n := cIdent(s)
	if cKeywords[n] || strings.HasPrefix(n, "arg") || strings.HasPrefix(n, "v") && isFresh(n) {
		return n + "_"
	}
	return n
}

func (c *cgen) generate() (h, src []byte) {
	id := ifaceID(c.iface)
	// Every named type, in WIT order (dependencies first, as declared).
	for _, td := range c.iface.TypeDefs.All() {
		if _, alias := td.Kind.(*wit.TypeDef); alias {
			continue
		}
		c.ctype(td)
	}
	if c.g.imported[c.iface] {
		for _, r := range resources(c.iface) {
			rn := c.prefix + "_" + cIdent(*r.Name)
			c.decls.p("// %s_drop drops a %s handle; the host releases what it holds.", rn, *r.Name)
			c.decls.p("void %s_drop(%s_t self);\n", rn, rn)
			c.body.p("__attribute__((__import_module__(%q), __import_name__(\"[resource-drop]%s\")))", id, *r.Name)
			c.body.p("extern void __wasm_import_%s_drop(int32_t);\n", rn)
			c.body.p("void %s_drop(%s_t self) { __wasm_import_%s_drop((int32_t)self); }\n", rn, rn, rn)
		}
		for _, f := range c.iface.Functions.All() {
			c.importFunc(id, f)
		}
	}
	if c.g.exported[c.iface] {
		for _, f := range c.iface.Functions.All() {
			c.exportFunc(id, f)
		}
	}

	guard := strings.ToUpper(c.g.cFile(c.iface)) + "_H"
	var hb w
	hb.p("%s", c.g.generatedBy())
	hb.p("//")
	hb.p("// C bindings of %s (see %s.c for the Canonical ABI glue).", c.g.what(c.iface), c.g.cFile(c.iface))
	hb.p("// Memory: values the host returns are malloc'd and owned by the caller,")
	hb.p("// who releases them with the type's _free function; arguments stay the")
	hb.p("// caller's. Resource handles are not freed: drop them with _drop.\n")
	hb.p("#ifndef %s\n#define %s\n", guard, guard)
	hb.p("#include \"%s\"", c.g.cInclude(c.iface, nil, cCommon))
	inc := make([]string, 0, len(c.includes))
	for i := range c.includes {
		inc = append(inc, i)
	}
	sort.Strings(inc)
	for _, i := range inc {
		hb.p("#include \"%s\"", i)
	}
	hb.p("\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n")
	hb.Write(c.types.Bytes())
	hb.Write(c.decls.Bytes())
	hb.p("#ifdef __cplusplus\n}\n#endif\n\n#endif // %s", guard)

	var sb w
	sb.p("%s\n", c.g.generatedBy())
	sb.p("#include <stdlib.h>")
	sb.p("#include <string.h>\n")
	sb.p("#include \"%s.h\"\n", c.g.cFile(c.iface))
	if len(c.asserts) > 0 {
		sb.p("// The C layout of each type is its Canonical ABI layout on wasm32.")
		for _, a := range c.asserts {
			sb.p("%s", a)
		}
		sb.p("")
	}
	sb.Write(c.frees.Bytes())
	sb.Write(c.body.Bytes())
	return hb.Bytes(), trimNL(sb.Bytes())
}

func trimNL(b []byte) []byte { return []byte(strings.TrimRight(string(b), "\n") + "\n") }

// cCore is the C type of a core wasm value type.
func cCore(k string) string {
	return map[string]string{"i32": "int32_t", "i64": "int64_t", "f32": "float", "f64": "double"}[k]
}

// ctype returns the C type of t, declaring it (and what it uses) first.
func (c *cgen) ctype(t wit.Type) string { return c.ctypeIn(c.iface, t) }

// ctypeIn returns the C type of t as a part of a type of interface ctx: an
// anonymous type (option<string>) is declared by the interface whose named
// type contains it, so the part of another interface's record has that
// interface's C type.
func (c *cgen) ctypeIn(ctx *wit.Interface, t wit.Type) string {
	t = root(t)
	switch t := t.(type) {
	case wit.Bool:
		return "bool"
	case wit.U8:
		return "uint8_t"
	case wit.U16:
		return "uint16_t"
	case wit.U32:
		return "uint32_t"
	case wit.U64:
		return "uint64_t"
	case wit.S8:
		return "int8_t"
	case wit.S16:
		return "int16_t"
	case wit.S32:
		return "int32_t"
	case wit.S64:
		return "int64_t"
	case wit.F32:
		return "float"
	case wit.F64:
		return "double"
	case wit.Char:
		return "uint32_t"
	case wit.String:
		return "bindery_string_t"
	case *wit.TypeDef:
		switch k := t.Kind.(type) {
		case *wit.Own:
			return c.ctypeIn(ctx, k.Type)
		case *wit.Borrow:
			return c.ctypeIn(ctx, k.Type)
		case *wit.List:
			if isU8(k.Type) {
				return "bindery_list_u8_t"
			}
		}
		if t.Name != nil {
			owner, ok := c.g.ownerOf(t)
			if !ok {
				c.fail("type %s is not owned by an interface or the world", t.TypeName())
				return "invalid"
			}
			if owner != c.iface {
				if c.g.byIface[owner] == nil {
					c.fail("type %s belongs to %s, which has no target", *t.Name, ifaceID(owner))
				}
				c.includes[c.g.cInclude(c.iface, owner, c.g.cFile(owner))] = true
				return c.g.cPrefix(owner) + "_" + cIdent(*t.Name) + "_t"
			}
			name := c.prefix + "_" + cIdent(*t.Name) + "_t"
			c.declare(name, t, t.Docs.Contents)
			return name
		}
		if ctx != c.iface {
			c.includes[c.g.cInclude(c.iface, ctx, c.g.cFile(ctx))] = true
			return c.g.cPrefix(ctx) + "_" + c.mangle(t) + "_t"
		}
		name := c.prefix + "_" + c.mangle(t) + "_t"
		c.declare(name, t, "")
		return name
	}
	c.fail("unsupported type %T", t)
	return "invalid"
}

// mangle names an anonymous type after its structure: list_string, option_u64.
func (c *cgen) mangle(t wit.Type) string {
	t = root(t)
	switch t := t.(type) {
	case *wit.TypeDef:
		if t.Name != nil {
			return cIdent(*t.Name)
		}
		switch k := t.Kind.(type) {
		case *wit.List:
			return "list_" + c.mangle(k.Type)
		case *wit.Option:
			return "option_" + c.mangle(k.Type)
		case *wit.Tuple:
			parts := []string{fmt.Sprintf("tuple%d", len(k.Types))}
			for _, e := range k.Types {
				parts = append(parts, c.mangle(e))
			}
			return strings.Join(parts, "_")
		case *wit.Own:
			return c.mangle(k.Type)
		case *wit.Borrow:
			return c.mangle(k.Type)
		}
		c.fail("unsupported anonymous type %T", t.Kind)
		return "invalid"
	case wit.String:
		return "string"
	}
	return t.WIT(nil, "") // u8, u64, bool, ...
}

// partCtx is the context of t's parts: its owner if t is a named type.
func (g *gen) partCtx(ctx *wit.Interface, t wit.Type) *wit.Interface {
	if td, ok := root(t).(*wit.TypeDef); ok && td.Name != nil {
		if o, ok := g.ownerOf(td); ok {
			return o
		}
	}
	return ctx
}

// declare emits the typedef of td under name once, after its dependencies.
func (c *cgen) declare(name string, td *wit.TypeDef, doc string) {
	if c.declared[name] {
		return
	}
	c.declared[name] = true
	var b w
	if doc = strings.TrimSpace(doc); doc != "" {
		for _, l := range strings.Split(doc, "\n") {
			b.p("// %s", strings.TrimRight(l, " "))
		}
	}
	base := strings.TrimSuffix(name, "_t")
	switch k := td.Kind.(type) {
	case *wit.Record:
		var fields []string
		for _, f := range k.Fields {
			fields = append(fields, c.fieldDoc(f.Docs.Contents)+c.ctype(f.Type)+" "+cLocal(f.Name)+";")
		}
		b.p("typedef struct %s {", name)
		for _, f := range fields {
			b.p("%s", f)
		}
		b.p("} %s;\n", name)
	case *wit.Tuple:
		var fields []string
		for i, e := range k.Types {
			fields = append(fields, fmt.Sprintf("  %s f%d;", c.ctype(e), i))
		}
		b.p("typedef struct %s {", name)
		for _, f := range fields {
			b.p("%s", f)
		}
		b.p("} %s;\n", name)
	case *wit.List:
		et := c.ctype(k.Type)
		b.p("typedef struct %s {\n  %s *ptr;\n  size_t len;\n} %s;\n", name, et, name)
	case *wit.Option:
		et := c.ctype(k.Type)
		b.p("typedef struct %s {\n  bool is_some;\n  %s val;\n} %s;\n", name, et, name)
	case *wit.Variant:
		var members []string
		for _, cs := range k.Cases {
			if cs.Type != nil {
				members = append(members, c.fieldDoc(cs.Docs.Contents)+c.ctype(cs.Type)+" "+cLocal(cs.Name)+";")
			}
		}
		tag := cDiscType(len(k.Cases))
		for i, cs := range k.Cases {
			b.p("#define %s_%s %d", strings.ToUpper(base), strings.ToUpper(cIdent(cs.Name)), i)
		}
		b.p("")
		b.p("typedef struct %s {", name)
		b.p("  %s tag;", tag)
		if len(members) > 0 {
			b.p("  union {")
			for _, m := range members {
				b.p("  %s", strings.ReplaceAll(m, "\n  ", "\n    "))
			}
			b.p("  } val;")
		}
		b.p("} %s;\n", name)
	case *wit.Enum:
		b.p("typedef %s %s;\n", cDiscType(len(k.Cases)), name)
		for i, cs := range k.Cases {
			b.p("#define %s_%s %d", strings.ToUpper(base), strings.ToUpper(cIdent(cs.Name)), i)
		}
		b.p("")
	case *wit.Flags:
		if len(k.Flags) > 32 {
			c.fail("flags %s: more than 32 flags are not supported", name)
			return
		}
		b.p("typedef uint%d_t %s;\n", flagsWidth(k), name)
		for i, f := range k.Flags {
			b.p("#define %s_%s (UINT%d_C(1) << %d)", strings.ToUpper(base), strings.ToUpper(cIdent(f.Name)), flagsWidth(k), i)
		}
		b.p("")
	case *wit.Resource:
		b.p("// %s is a handle to a %s (own or borrow).", name, *td.Name)
		b.p("typedef int32_t %s;\n", name)
	case wit.Type:
		if _, isTD := k.(*wit.TypeDef); !isTD {
			b.p("typedef %s %s;\n", c.ctype(k), name)
			break
		}
		c.fail("type %s: unsupported kind %T", name, td.Kind)
		return
	default:
		c.fail("type %s: unsupported kind %T", name, td.Kind)
		return
	}
	if c.needsFree(td) {
		b.p("// %s_free releases what a %s owns (not the struct itself).", base, name)
		b.p("void %s_free(%s *ptr);\n", base, name)
		c.freeFunc(base, name, td)
	}
	c.types.Write(b.Bytes())
	c.asserts = append(c.asserts, fmt.Sprintf("_Static_assert(sizeof(%s) == %d && _Alignof(%s) == %d, \"%s layout\");", name, td.Size(), name, td.Align(), name))
}

func (c *cgen) fieldDoc(doc string) string {
	doc = strings.TrimSpace(doc)
	if doc == "" {
		return "  "
	}
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		b.WriteString("  // " + strings.TrimRight(l, " ") + "\n")
	}
	return b.String() + "  "
}

func cDiscType(n int) string {
	return map[uintptr]string{1: "uint8_t", 2: "uint16_t", 4: "uint32_t"}[discSize(n)]
}

// needsFree says whether a value of t owns memory.
func (c *cgen) needsFree(t wit.Type) bool {
	t = root(t)
	switch t.(type) {
	case wit.String:
		return true
	case *wit.TypeDef:
	default:
		return false
	}
	switch k := kindOf(t).(type) {
	case wit.String, *wit.List:
		return true
	case *wit.Record:
		for _, f := range k.Fields {
			if c.needsFree(f.Type) {
				return true
			}
		}
	case *wit.Tuple:
		for _, e := range k.Types {
			if c.needsFree(e) {
				return true
			}
		}
	case *wit.Option:
		return c.needsFree(k.Type)
	case *wit.Variant:
		for _, cs := range k.Cases {
			if cs.Type != nil && c.needsFree(cs.Type) {
				return true
			}
		}
	}
	return false
}

// freeName is the _free function of t.
func (c *cgen) freeName(t wit.Type) string {
	return strings.TrimSuffix(c.ctype(t), "_t") + "_free"
}

func (c *cgen) freeFunc(base, name string, td *wit.TypeDef) {
	var b w
	b.p("void %s_free(%s *ptr) {", base, name)
	switch k := td.Kind.(type) {
	case *wit.Record:
		for _, f := range k.Fields {
			if c.needsFree(f.Type) {
				b.p("  %s(&ptr->%s);", c.freeName(f.Type), cLocal(f.Name))
			}
		}
	case *wit.Tuple:
		for i, e := range k.Types {
			if c.needsFree(e) {
				b.p("  %s(&ptr->f%d);", c.freeName(e), i)
			}
		}
	case *wit.List:
		if c.needsFree(k.Type) {
			b.p("  for (size_t i = 0; i < ptr->len; i++) {")
			b.p("    %s(&ptr->ptr[i]);", c.freeName(k.Type))
			b.p("  }")
		}
		b.p("  if (ptr->len > 0) {")
		b.p("    free(ptr->ptr);")
		b.p("  }")
	case *wit.Option:
		b.p("  if (ptr->is_some) {")
		b.p("    %s(&ptr->val);", c.freeName(k.Type))
		b.p("  }")
	case *wit.Variant:
		b.p("  switch (ptr->tag) {")
		for i, cs := range k.Cases {
			if cs.Type != nil && c.needsFree(cs.Type) {
				b.p("  case %d:", i)
				b.p("    %s(&ptr->val.%s);", c.freeName(cs.Type), cLocal(cs.Name))
				b.p("    break;")
			}
		}
		b.p("  }")
	default: // a named alias of string or list<u8>
		b.p("  %s(ptr);", c.freeName(k.(wit.Type)))
	}
	b.p("}\n")
	c.frees.Write(b.Bytes())
}

// cFuncName names a function in C: kv_store_namespace_get.
func (c *cgen) cFuncName(f *wit.Function) string {
	switch f.Kind.(type) {
	case *wit.Method, *wit.Static:
		return c.prefix + "_" + cIdent(*resourceOfFunc(f).Name) + "_" + cIdent(f.BaseName())
	case *wit.Constructor:
		return c.prefix + "_" + cIdent(*resourceOfFunc(f).Name) + "_new"
	}
	return c.prefix + "_" + cIdent(f.Name)
}

func (c *cgen) docs(b *w, d wit.Docs, fallback string) {
	text := strings.TrimSpace(d.Contents)
	if text == "" {
		text = fallback
	}
	for _, l := range strings.Split(text, "\n") {
		b.p("// %s", strings.TrimRight(l, " "))
	}
}

func (c *cgen) importFunc(id string, f *wit.Function) {
	name := c.cFuncName(f)
	imp := "__wasm_import_" + name
	var flat []string
	for _, p := range f.Params {
		flat = append(flat, flatKinds(p.Type)...)
	}
	spill := len(flat) > 16
	if spill {
		flat = []string{"i32"}
	}
	var resultT wit.Type
	if len(f.Results) == 1 {
		resultT = f.Results[0].Type
	}
	retptr := resultT != nil && len(flatKinds(resultT)) > 1
	if retptr {
		flat = append(flat, "i32")
	}
	direct := "void"
	if resultT != nil && !retptr {
		direct = cCore(flatKinds(resultT)[0])
	}
	var coreParams []string
	for _, k := range flat {
		coreParams = append(coreParams, cCore(k))
	}
	if len(coreParams) == 0 {
		coreParams = []string{"void"}
	}
	c.body.p("__attribute__((__import_module__(%q), __import_name__(%q)))", id, f.Name)
	c.body.p("extern %s %s(%s);\n", direct, imp, strings.Join(coreParams, ", "))

	// The C signature.
	ok, errT, isResult, err := funcResult(f)
	if err != nil {
		c.fail("%v", err)
		return
	}
	var params []string
	for _, p := range f.Params {
		params = append(params, c.ctype(p.Type)+" "+cLocal(p.Name))
	}
	ret := "void"
	switch {
	case isResult:
		ret = "bool"
		if ok != nil {
			params = append(params, c.ctype(ok)+" *ret")
		}
		params = append(params, c.ctype(errT)+" *err")
	case resultT != nil:
		ret = c.ctype(resultT)
	}
	if len(params) == 0 {
		params = []string{"void"}
	}
	sig := fmt.Sprintf("%s %s(%s)", ret, name, strings.Join(params, ", "))
	c.docs(&c.decls, f.Docs, name+" calls "+f.Name+".")
	if isResult {
		if ok != nil {
			c.decls.p("// On success it returns true and sets *ret; on failure it returns false and sets *err.")
		} else {
			c.decls.p("// On failure it returns false and sets *err.")
		}
	}
	c.decls.p("%s;\n", sig)

	b := &c.body
	b.p("%s {", sig)
	var args []string
	if spill {
		_, size, _ := tupleLayout(f.Params)
		b.p("  // The parameters flatten to %d values: they travel in memory, as a tuple.", len(flatKindsOf(f.Params)))
		b.p("  struct {")
		for _, p := range f.Params {
			b.p("    %s %s;", c.ctype(p.Type), cLocal(p.Name))
		}
		b.p("  } params;")
		b.p("  _Static_assert(sizeof(params) == %d, \"parameter tuple layout\");", size)
		for _, p := range f.Params {
			b.p("  params.%s = %s;", cLocal(p.Name), cLocal(p.Name))
		}
		args = append(args, "(int32_t)(uintptr_t)&params")
	} else {
		for _, p := range f.Params {
			args = append(args, c.lowerFlat(b, p.Type, cLocal(p.Name))...)
		}
	}
	switch {
	case isResult:
		cases := []vcase{{"ok", ok}, {"err", errT}}
		b.p("  struct {")
		b.p("    uint8_t is_err;")
		b.p("    union {")
		if ok != nil {
			b.p("      %s ok;", c.ctype(ok))
		}
		b.p("      %s err;", c.ctype(errT))
		b.p("    } val;")
		b.p("  } ret_area;")
		res := &wit.Result{OK: ok, Err: errT}
		b.p("  _Static_assert(sizeof(ret_area) == %d && offsetof(__typeof__(ret_area), val) == %d, \"result layout\");", res.Size(), payloadOffset(2, maxCaseAlign(cases)))
		args = append(args, "(int32_t)(uintptr_t)&ret_area")
		b.p("  %s(%s);", imp, strings.Join(args, ", "))
		b.p("  if (ret_area.is_err) {")
		b.p("    *err = ret_area.val.err;")
		b.p("    return false;")
		b.p("  }")
		if ok != nil {
			b.p("  *ret = ret_area.val.ok;")
		}
		b.p("  return true;")
	case retptr:
		b.p("  %s ret_area;", c.ctype(resultT))
		args = append(args, "(int32_t)(uintptr_t)&ret_area")
		b.p("  %s(%s);", imp, strings.Join(args, ", "))
		b.p("  return ret_area;")
	case resultT != nil:
		b.p("  %s r0 = %s(%s);", direct, imp, strings.Join(args, ", "))
		b.p("  return %s;", c.liftFlat(b, c.iface, resultT, []string{"r0"}))
	default:
		b.p("  %s(%s);", imp, strings.Join(args, ", "))
	}
	b.p("}\n")
}

func flatKindsOf(params []wit.Param) []string {
	var out []string
	for _, p := range params {
		out = append(out, flatKinds(p.Type)...)
	}
	return out
}

func (c *cgen) exportFunc(id string, f *wit.Function) {
	name := "exports_" + c.prefix + "_" + cIdent(f.Name)
	flat := flatKindsOf(f.Params)
	if len(flat) > 16 {
		c.fail("%s: more than 16 flat parameters is not supported", f.Name)
		return
	}
	var resultT wit.Type
	if len(f.Results) == 1 {
		resultT = f.Results[0].Type
		if _, isR := kindOf(resultT).(*wit.Result); isR {
			c.exportResultFunc(id, f)
			return
		}
	} else if len(f.Results) > 1 {
		c.fail("%s: multiple named results are not supported", f.Name)
		return
	}
	var params []string
	for _, p := range f.Params {
		params = append(params, c.ctype(p.Type)+" "+cLocal(p.Name))
	}
	if len(params) == 0 {
		params = []string{"void"}
	}
	ret := "void"
	if resultT != nil {
		ret = c.ctype(resultT)
	}
	c.docs(&c.decls, f.Docs, name+" implements the export "+f.Name+".")
	c.decls.p("// The %s defines it; it owns its arguments (free them with their _free", map[bool]string{true: "guest", false: "Worker"}[c.g.wm != nil])
	c.decls.p("// functions, drop the handles).")
	if resultT != nil && c.needsFree(resultT) {
		c.decls.p("// The result must be malloc'd: the bindings free it after the host has read it.")
	}
	c.decls.p("%s %s(%s);\n", ret, name, strings.Join(params, ", "))

	b := &c.body
	var decl []string
	for i, k := range flat {
		decl = append(decl, fmt.Sprintf("%s arg%d", cCore(k), i))
	}
	if len(decl) == 0 {
		decl = []string{"void"}
	}
	coreRet := "void"
	multi := resultT != nil && len(flatKinds(resultT)) > 1
	switch {
	case multi:
		coreRet = "int32_t"
		b.p("// The result of %s waits here until cabi_post_%s.", f.Name, exportName(id, f.Name))
		b.p("static %s %s_ret_area;\n", c.ctype(resultT), name)
	case resultT != nil:
		coreRet = cCore(flatKinds(resultT)[0])
	}
	wasmName := "__wasm_export_" + c.prefix + "_" + cIdent(f.Name)
	b.p("__attribute__((__export_name__(%q)))", exportName(id, f.Name))
	b.p("%s %s(%s) {", coreRet, wasmName, strings.Join(decl, ", "))
	var args []string
	i := 0
	for _, p := range f.Params {
		n := len(flatKinds(p.Type))
		var vals []string
		for j := range n {
			vals = append(vals, fmt.Sprintf("arg%d", i+j))
		}
		i += n
		args = append(args, c.liftFlat(b, c.iface, p.Type, vals))
	}
	call := fmt.Sprintf("%s(%s)", name, strings.Join(args, ", "))
	switch {
	case resultT == nil:
		b.p("  %s;", call)
	case multi:
		b.p("  %s_ret_area = %s;", name, call)
		b.p("  return (int32_t)(uintptr_t)&%s_ret_area;", name)
	default:
		b.p("  %s r = %s;", c.ctype(resultT), call)
		vals := c.lowerFlat(b, resultT, "r")
		b.p("  return %s;", vals[0])
	}
	b.p("}\n")
	b.p("__attribute__((__export_name__(%q)))", "cabi_post_"+exportName(id, f.Name))
	if multi {
		b.p("void %s_post_return(int32_t ret) {", wasmName)
		if c.needsFree(resultT) {
			b.p("  %s((%s *)(uintptr_t)ret);", c.freeName(resultT), c.ctype(resultT))
		} else {
			b.p("  (void)ret;")
		}
	} else if resultT != nil {
		b.p("void %s_post_return(%s ret) {", wasmName, coreRet)
		b.p("  (void)ret;")
	} else {
		b.p("void %s_post_return(void) {", wasmName)
	}
	b.p("}\n")
}

// exportResultFunc is exportFunc for a function returning result<T, E>:
// the C function returns true and sets *ret, or false and sets *err, as
// an import's wrapper does.
func (c *cgen) exportResultFunc(id string, f *wit.Function) {
	name := "exports_" + c.prefix + "_" + cIdent(f.Name)
	okT, errT, _, err := funcResult(f)
	if err != nil {
		c.fail("%v", err)
		return
	}
	resultT := f.Results[0].Type
	var params []string
	for _, p := range f.Params {
		params = append(params, c.ctype(p.Type)+" "+cLocal(p.Name))
	}
	if okT != nil {
		params = append(params, c.ctype(okT)+" *ret")
	}
	params = append(params, c.ctype(errT)+" *err")
	c.docs(&c.decls, f.Docs, name+" implements the export "+f.Name+".")
	c.decls.p("// The module defines it; it owns its arguments (free them with their _free")
	c.decls.p("// functions, drop the handles). On success it returns true and sets *ret;")
	c.decls.p("// on failure it returns false and sets *err. What it sets must be malloc'd:")
	c.decls.p("// the bindings free it after the host has read it.")
	c.decls.p("bool %s(%s);\n", name, strings.Join(params, ", "))

	b := &c.body
	cases := []vcase{{"ok", okT}, {"err", errT}}
	area := name + "_ret_area"
	b.p("// The result of %s waits here until cabi_post_%s.", f.Name, exportName(id, f.Name))
	b.p("static struct {")
	b.p("  uint8_t is_err;")
	b.p("  union {")
	if okT != nil {
		b.p("    %s ok;", c.ctype(okT))
	}
	b.p("    %s err;", c.ctype(errT))
	b.p("  } val;")
	b.p("} %s;", area)
	res := &wit.Result{OK: okT, Err: errT}
	b.p("_Static_assert(sizeof(%s) == %d && offsetof(__typeof__(%s), val) == %d, \"result layout\");\n", area, res.Size(), area, payloadOffset(2, maxCaseAlign(cases)))
	var decl []string
	for i, k := range flatKindsOf(f.Params) {
		decl = append(decl, fmt.Sprintf("%s arg%d", cCore(k), i))
	}
	if len(decl) == 0 {
		decl = []string{"void"}
	}
	wasmName := "__wasm_export_" + c.prefix + "_" + cIdent(f.Name)
	b.p("__attribute__((__export_name__(%q)))", exportName(id, f.Name))
	b.p("int32_t %s(%s) {", wasmName, strings.Join(decl, ", "))
	var args []string
	i := 0
	for _, p := range f.Params {
		n := len(flatKinds(p.Type))
		var vals []string
		for j := range n {
			vals = append(vals, fmt.Sprintf("arg%d", i+j))
		}
		i += n
		args = append(args, c.liftFlat(b, c.iface, p.Type, vals))
	}
	b.p("  memset(&%s, 0, sizeof %s);", area, area)
	if okT != nil {
		args = append(args, "&"+area+".val.ok")
	}
	args = append(args, "&"+area+".val.err")
	b.p("  %s.is_err = !%s(%s);", area, name, strings.Join(args, ", "))
	b.p("  return (int32_t)(uintptr_t)&%s;", area)
	b.p("}\n")
	b.p("__attribute__((__export_name__(%q)))", "cabi_post_"+exportName(id, f.Name))
	b.p("void %s_post_return(int32_t ret) {", wasmName)
	b.p("  (void)ret;")
	if c.needsFree(errT) {
		b.p("  if (%s.is_err) {", area)
		b.p("    %s(&%s.val.err);", c.freeName(errT), area)
		b.p("  }")
	}
	if okT != nil && c.needsFree(okT) {
		b.p("  if (!%s.is_err) {", area)
		b.p("    %s(&%s.val.ok);", c.freeName(okT), area)
		b.p("  }")
	}
	b.p("}\n")
	_ = resultT
}
