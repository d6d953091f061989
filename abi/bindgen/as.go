package bindgen

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"go.bytecodealliance.org/wit"
)

// The AssemblyScript backend writes, into Config.ASDir, one .ts file per
// target interface (io_streams.ts, kv_store.ts, ...), the shared cabi.ts
// (Option, Result, tuples, cabi_realloc and the memory helpers), exports.ts
// (the wasm exports, for the Worker's asc entries) and exports.js (the WIT
// names of those exports, which guest-sdk/assemblyscript/transform.js gives
// them: asc cannot name an export "bindery:http/handler@0.1.0#handle").
// The interfaces of a world of Config.Worlds that World lacks go to its
// directory of Config.WorldASDirs instead, with their own exports.ts and
// exports.js, importing cabi.ts and World's files from ASDir (see
// asFilesIn). The exports of an interface of Config.ASOptionalExports go
// to exports_<file>.ts and exports_<file>.js in ASDir instead of
// exports.ts and exports.js, for the guests that define them.
//
// Types: a record is a class (fields default to zero values), a variant a
// class with a tag and one field per payload, an enum an AS enum, a
// resource a class holding its handle, list<u8> a Uint8Array, list<T> an
// Array<T>, option<T> `T | null` when T is a reference and Option<T>
// otherwise, tuple<A, B> Tuple2<A, B>. An import returning result<T, E> returns
// Result<T, E>; result<_, E> returns `E | null` (null: success). An export's
// implementation returns its result the same way (see exportFunc).
//
// Memory and the garbage collector: values are lowered into raw memory
// from the runtime's non-GC heap (heap.alloc: strings are encoded there as
// UTF-8, lists and spilled parameters stored there) and freed when the
// import returns; a Uint8Array is passed in place. The GC only runs when a
// managed object is allocated (__new), which neither lowering nor the
// host's calls to cabi_realloc (heap.alloc) do, and it never moves an
// object, so the bytes the host reads stay put. What the host returns was
// allocated with cabi_realloc (heap.alloc); lifting copies it into managed
// objects and frees it. Return areas are static (memory.data): a guest is
// single-threaded and lifting never calls the host, and an event the host
// runs nested inside an import call (a reentrant Worker) is done with an
// area before the host writes the outer call's result to it.

// asgen generates the AssemblyScript bindings of one interface.
type asgen struct {
	g     *gen
	iface *wit.Interface
	file  string // "kv_store"
	// from maps a sibling file in another directory to its import path
	// ("cabi" -> "../generated/cabi"); any other is "./" + file.
	from map[string]string
	// imports maps a sibling file ("cabi", "io_streams") to the names used from it.
	imports              map[string]map[string]bool
	types, body, helpers w
	helperDone           map[string]bool
	exports              *[]asExport
	// exporting is set while an export's result is lowered: byte lists
	// are copied out of the GC's heap (see exportFunc).
	exporting bool
	err       error
}

// asExport is one wasm export of the Worker: the AS function name and the name the transform gives it.
type asExport struct{ file, as, wit string }

func (a *asgen) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf("bindgen: AssemblyScript: "+ifaceID(a.iface)+": "+format, args...)
	}
}

// asWorldFiles returns the AssemblyScript bindings of the interfaces of
// each world of Config.WorldASDirs that World lacks, in that world's
// directory (see asFiles); mainIfaces are World's.
func (g *gen) asWorldFiles(ifaces, mainIfaces []*wit.Interface, inWorld map[string]map[*wit.Interface]bool) ([]File, error) {
	inMain := map[*wit.Interface]bool{}
	for _, iface := range mainIfaces {
		inMain[iface] = true
	}
	var files []File
	for _, name := range g.cfg.Worlds {
		dir, ok := g.cfg.WorldASDirs[name]
		if !ok {
			continue
		}
		var extra []*wit.Interface
		for _, iface := range ifaces {
			if inWorld[name][iface] && !inMain[iface] {
				extra = append(extra, iface)
			}
		}
		af, err := g.asFilesIn(dir, extra, mainIfaces)
		if err != nil {
			return nil, err
		}
		files = append(files, af...)
	}
	return files, nil
}

// checkWorldASDirs checks Config.WorldASDirs: worlds of Worlds, each its
// own directory, other than ASDir, which must be set.
func checkWorldASDirs(cfg Config) error {
	if len(cfg.WorldASDirs) == 0 {
		return nil
	}
	if cfg.ASDir == "" {
		return fmt.Errorf("bindgen: WorldASDirs needs ASDir (the files there import ASDir's)")
	}
	names := make([]string, 0, len(cfg.WorldASDirs))
	for name := range cfg.WorldASDirs {
		names = append(names, name)
	}
	sort.Strings(names)
	seen := map[string]string{}
	for _, name := range names {
		dir := cfg.WorldASDirs[name]
		if !slices.Contains(cfg.Worlds, name) {
			return fmt.Errorf("bindgen: WorldASDirs names world %q, which is not in Worlds", name)
		}
		if dir == "" || path.Clean(dir) == path.Clean(cfg.ASDir) {
			return fmt.Errorf("bindgen: WorldASDirs[%q] = %q: want a directory other than ASDir", name, dir)
		}
		if other, ok := seen[path.Clean(dir)]; ok {
			return fmt.Errorf("bindgen: WorldASDirs gives worlds %q and %q one directory %q", other, name, dir)
		}
		seen[path.Clean(dir)] = name
	}
	return nil
}

// asOptionalExports checks Config.ASOptionalExports (target interfaces
// World exports; ASDir set) and returns those interfaces.
func (g *gen) asOptionalExports(ifaces, mainIfaces []*wit.Interface) (map[*wit.Interface]bool, error) {
	if len(g.cfg.ASOptionalExports) == 0 {
		return nil, nil
	}
	if g.cfg.ASDir == "" {
		return nil, fmt.Errorf("bindgen: ASOptionalExports needs ASDir (its exports files go there)")
	}
	optional := map[*wit.Interface]bool{}
	for _, name := range g.cfg.ASOptionalExports {
		var found *wit.Interface
		for _, iface := range ifaces {
			if ifaceBase(iface) == name {
				found = iface
			}
		}
		switch {
		case found == nil:
			return nil, fmt.Errorf("bindgen: ASOptionalExports names %q, which is not a target interface", name)
		case !slices.Contains(mainIfaces, found) || !g.exported[found]:
			return nil, fmt.Errorf("bindgen: ASOptionalExports names %s, which world %s does not export", ifaceID(found), g.cfg.World)
		case optional[found]:
			return nil, fmt.Errorf("bindgen: ASOptionalExports names %s twice", ifaceID(found))
		}
		optional[found] = true
	}
	return optional, nil
}

// asFiles returns the AssemblyScript bindings of every target interface
// in ifaces: with base nil, those of World in Config.ASDir with the shared
// files (see asFilesIn).
func (g *gen) asFiles(ifaces, base []*wit.Interface) ([]File, error) {
	return g.asFilesIn(g.cfg.ASDir, ifaces, base)
}

// asFilesIn returns the AssemblyScript bindings of ifaces in dir. With
// base nil, dir is Config.ASDir and gets the shared files; otherwise it is
// a world's directory of Config.WorldASDirs, whose files import those of
// base, and cabi.ts, from ASDir.
func (g *gen) asFilesIn(dir string, ifaces, base []*wit.Interface) ([]File, error) {
	from := map[string]string{} // a file kept in ASDir -> its import path
	if base != nil {
		up, err := relDir(dir, g.cfg.ASDir)
		if err != nil {
			return nil, err
		}
		from["cabi"] = up + "/cabi"
		for _, iface := range base {
			from[cPrefix(iface)] = up + "/" + cPrefix(iface)
		}
	}
	var exports []asExport
	var files, optional []File
	if base == nil {
		files = append(files, File{Path: dir + "/cabi.ts", Data: []byte(asCommon)})
	}
	for _, iface := range ifaces {
		// An optional interface's exports go to exports_<file>.ts and .js.
		isOptional := base == nil && g.asOptional[iface]
		var own []asExport
		to := &exports
		if isOptional {
			to = &own
		}
		a := &asgen{g: g, iface: iface, file: cPrefix(iface), from: from, imports: map[string]map[string]bool{}, helperDone: map[string]bool{}, exports: to}
		src := a.generate()
		if a.err != nil {
			return nil, a.err
		}
		files = append(files, File{Path: dir + "/" + a.file + ".ts", Data: src})
		if isOptional {
			optional = append(optional, asOptionalExportFiles(dir, ifaceID(iface), a.file, own)...)
		}
	}
	var ts, js w
	ts.p("// Code generated by bindery-bindgen from the WIT in wit/; DO NOT EDIT.")
	ts.p("//")
	if base == nil {
		ts.p("// The Worker's wasm exports. List this file in the asc entries (before")
		ts.p("// your own) and run guest-sdk/assemblyscript/transform.js, which gives")
		ts.p("// each export its WIT name (see exports.js).\n")
		ts.p("export { cabi_realloc } from \"./cabi\";")
	} else {
		ts.p("// The wasm exports of a Worker of the larger world (Durable Objects: the")
		ts.p("// object events), in addition to those of %s/exports.ts. Only such a", path.Base(g.cfg.ASDir))
		ts.p("// Worker lists this file in its asc entries; transform.js gives each")
		ts.p("// export its WIT name (see exports.js).\n")
	}
	js.p("// Code generated by bindery-bindgen from the WIT in wit/; DO NOT EDIT.")
	js.p("//")
	js.p("// The WIT name of each export of exports.ts, for transform.js.\n")
	js.p("export default {")
	for _, e := range exports {
		ts.p("export { %s } from \"./%s\";", e.as, e.file)
		js.p("  %q: %q,", e.as, e.wit)
	}
	js.p("};")
	files = append(files, File{Path: dir + "/exports.ts", Data: ts.Bytes()}, File{Path: dir + "/exports.js", Data: js.Bytes()})
	return append(files, optional...), nil
}

// asOptionalExportFiles returns exports_<file>.ts and exports_<file>.js in
// dir: the wasm exports of the interface id of Config.ASOptionalExports
// and their WIT names, which only a guest that defines them compiles.
func asOptionalExportFiles(dir, id, file string, exports []asExport) []File {
	var ts, js w
	ts.p("// Code generated by bindery-bindgen from the WIT in wit/; DO NOT EDIT.")
	ts.p("//")
	ts.p("// The wasm exports of %s, which a Worker may leave out:", id)
	ts.p("// only a Worker that defines them lists this file in its asc entries")
	ts.p("// (guest-sdk/assemblyscript/transform.js adds it), in addition to")
	ts.p("// exports.ts; transform.js gives each export its WIT name (see")
	ts.p("// exports_%s.js).\n", file)
	js.p("// Code generated by bindery-bindgen from the WIT in wit/; DO NOT EDIT.")
	js.p("//")
	js.p("// The WIT name of each export of exports_%s.ts, for transform.js.\n", file)
	js.p("export default {")
	for _, e := range exports {
		ts.p("export { %s } from \"./%s\";", e.as, e.file)
		js.p("  %q: %q,", e.as, e.wit)
	}
	js.p("};")
	return []File{{Path: dir + "/exports_" + file + ".ts", Data: ts.Bytes()}, {Path: dir + "/exports_" + file + ".js", Data: js.Bytes()}}
}

// relDir is the relative import path from the directory dir to the
// directory to ("../generated"), both relative to the repository root.
func relDir(dir, to string) (string, error) {
	d, t := strings.Split(path.Clean(dir), "/"), strings.Split(path.Clean(to), "/")
	i := 0
	for i < len(d) && i < len(t) && d[i] == t[i] {
		i++
	}
	if i == len(d) {
		return "", fmt.Errorf("bindgen: WorldASDirs: %s must not contain ASDir %s", dir, to)
	}
	return strings.Repeat("../", len(d)-i-1) + ".." + strings.TrimSuffix("/"+strings.Join(t[i:], "/"), "/"), nil
}

// asKeywords are the words an AS identifier must not be, and the names
// the generated code uses itself.
var asKeywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`break case catch class const continue debugger default delete do else enum export
		extends false finally for function if import in instanceof new null return super switch this throw true try
		typeof var void while with implements interface let package private protected public static yield
		declare type
		string bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 isize usize
		memory heap load store changetype unreachable abort
		liftString liftBytes lowerString alloc mark release free zero Option Result`) {
		asKeywords[k] = true
	}
}

// asMember is a method name: anything but the names every resource class has.
func asMember(s string) string {
	n := asCamel(s)
	switch n {
	case "constructor", "handle", "drop", "toString":
		return n + "_"
	}
	return n
}

// asPascal maps a WIT name to PascalCase: "http-metadata" is HttpMetadata.
func asPascal(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(strings.TrimPrefix(s, "%"), "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// asCamel maps a WIT name to camelCase: "expiration-ttl" is expirationTtl.
func asCamel(s string) string {
	p := asPascal(s)
	if p == "" {
		return "_"
	}
	return strings.ToLower(p[:1]) + p[1:]
}

// asLocal is a parameter or free function name that is no keyword and
// cannot collide with the generated code's names (which start with "_").
func asLocal(s string) string {
	n := asCamel(s)
	if asKeywords[n] {
		return n + "_"
	}
	return n
}

// asGlobals are AS's global classes: a WIT type of that name gets its package's prefix.
var asGlobals = map[string]bool{
	"Error": true, "Object": true, "Array": true, "String": true, "Map": true, "Set": true, "Date": true,
	"Function": true, "Number": true, "Boolean": true, "Math": true, "JSON": true, "Symbol": true, "RegExp": true,
	"ArrayBuffer": true, "StaticArray": true, "Uint8Array": true, "DataView": true, "Option": true, "Result": true,
	"Tuple2": true, "Tuple3": true, "Tuple4": true, "Console": true, "Process": true, "Atomics": true,
}

// asTypeName names a named WIT type in AS: the kv error is KvError.
func asTypeName(td *wit.TypeDef) string {
	n := asPascal(*td.Name)
	if asGlobals[n] || strings.HasPrefix(n, "Tuple") {
		if o, ok := td.Owner.(*wit.Interface); ok {
			n = asPascal(o.Package.Name.Package) + n
		}
	}
	return n
}

func (a *asgen) use(file, name string) string {
	if file == a.file {
		return name
	}
	if a.imports[file] == nil {
		a.imports[file] = map[string]bool{}
	}
	a.imports[file][name] = true
	return name
}

func (a *asgen) cabi(name string) string { return a.use("cabi", name) }

// asType returns the AS type of t.
func (a *asgen) asType(t wit.Type) string {
	t = root(t)
	switch t := t.(type) {
	case wit.Bool:
		return "bool"
	case wit.U8:
		return "u8"
	case wit.U16:
		return "u16"
	case wit.U32, wit.Char:
		return "u32"
	case wit.U64:
		return "u64"
	case wit.S8:
		return "i8"
	case wit.S16:
		return "i16"
	case wit.S32:
		return "i32"
	case wit.S64:
		return "i64"
	case wit.F32:
		return "f32"
	case wit.F64:
		return "f64"
	case wit.String:
		return "string"
	case *wit.TypeDef:
		switch k := t.Kind.(type) {
		case *wit.Own:
			return a.asType(k.Type)
		case *wit.Borrow:
			return a.asType(k.Type)
		}
		if t.Name != nil {
			owner, ok := t.Owner.(*wit.Interface)
			if !ok {
				a.fail("type %s is not owned by an interface", t.TypeName())
				return "invalid"
			}
			if owner != a.iface && a.g.byIface[owner] == nil {
				a.fail("type %s belongs to %s, which has no target", *t.Name, ifaceID(owner))
			}
			return a.use(cPrefix(owner), asTypeName(t))
		}
		return a.asKind(t.Kind)
	}
	a.fail("unsupported type %T", t)
	return "invalid"
}

func (a *asgen) asKind(kind wit.TypeDefKind) string {
	switch k := kind.(type) {
	case *wit.List:
		if isU8(k.Type) {
			return "Uint8Array"
		}
		return "Array<" + a.asType(k.Type) + ">"
	case *wit.Option:
		if a.isRef(k.Type) {
			if a.isNullable(k.Type) {
				a.fail("option<%s>: an option of an option of a reference is not supported", k.Type.WIT(nil, ""))
			}
			return a.asType(k.Type) + " | null"
		}
		return a.cabi("Option") + "<" + a.asType(k.Type) + ">"
	case *wit.Tuple:
		if len(k.Types) < 2 || len(k.Types) > 4 {
			a.fail("tuples of %d elements are not supported", len(k.Types))
			return "invalid"
		}
		var parts []string
		for _, e := range k.Types {
			parts = append(parts, a.asType(e))
		}
		return a.cabi(fmt.Sprintf("Tuple%d", len(k.Types))) + "<" + strings.Join(parts, ", ") + ">"
	}
	a.fail("unsupported type %T", kind)
	return "invalid"
}

// ctor is the AS type to construct a value of t with new: an alias's type.
func (a *asgen) ctor(t wit.Type) string {
	if td, ok := root(t).(*wit.TypeDef); ok && td.Name != nil {
		switch td.Kind.(type) {
		case *wit.List, *wit.Option, *wit.Tuple:
			return a.asKind(td.Kind)
		}
	}
	return a.asType(t)
}

// isRef says whether t is a reference (a class, string or array) in AS.
func (a *asgen) isRef(t wit.Type) bool {
	switch kindOf(t).(type) {
	case wit.String, *wit.List, *wit.Record, *wit.Variant, *wit.Tuple, *wit.Own, *wit.Borrow, *wit.Option, *wit.Resource:
		return true
	}
	return false
}

// isNullable says whether t's AS type admits null: an option of a reference.
func (a *asgen) isNullable(t wit.Type) bool {
	o, ok := kindOf(t).(*wit.Option)
	return ok && a.isRef(o.Type)
}

// nullable is t's AS type with null.
func (a *asgen) nullable(t wit.Type) string {
	if a.isNullable(t) {
		return a.asType(t)
	}
	return a.asType(t) + " | null"
}

// zero is an AS expression of t's zero value; "" for a resource (no zero).
func (a *asgen) zero(t wit.Type) string {
	switch k := kindOf(t).(type) {
	case wit.Bool:
		return "false"
	case wit.String:
		return `""`
	case *wit.List:
		return "new " + a.ctor(t) + "(0)"
	case *wit.Option:
		if a.isRef(k.Type) {
			return "null"
		}
		return "new " + a.ctor(t) + "()"
	case *wit.Record, *wit.Variant:
		return "new " + a.asType(t) + "()"
	case *wit.Tuple:
		var parts []string
		for _, e := range k.Types {
			z := a.zero(e)
			if z == "" {
				z = "changetype<" + a.asType(e) + ">(0)"
			}
			parts = append(parts, z)
		}
		return "new " + a.ctor(t) + "(" + strings.Join(parts, ", ") + ")"
	case *wit.Own, *wit.Borrow:
		return ""
	case *wit.Enum:
		return "<" + a.asType(t) + ">0"
	}
	return "0"
}

func (a *asgen) docs(b *w, d wit.Docs, fallback, indent string) {
	text := strings.TrimSpace(d.Contents)
	if text == "" {
		text = fallback
	}
	if text == "" {
		return
	}
	b.p("%s/**", indent)
	for _, l := range strings.Split(text, "\n") {
		b.p("%s * %s", indent, strings.TrimRight(strings.ReplaceAll(l, "*/", "* /"), " "))
	}
	b.p("%s */", indent)
}

func (a *asgen) generate() []byte {
	id := ifaceID(a.iface)
	for name, td := range a.iface.TypeDefs.All() {
		if _, alias := td.Kind.(*wit.TypeDef); alias {
			continue // a `use`: the owner declares it
		}
		a.typeDecl(name, td)
	}
	if a.g.imported[a.iface] {
		for _, r := range resources(a.iface) {
			a.resource(id, r)
		}
		for _, f := range a.iface.Functions.All() {
			if resourceOfFunc(f) == nil {
				a.importFunc(&a.body, id, f, "")
			}
		}
	}
	if a.g.exported[a.iface] {
		for _, f := range a.iface.Functions.All() {
			a.exportFunc(id, f)
		}
	}
	var out w
	out.p("// Code generated by bindery-bindgen from the WIT in wit/; DO NOT EDIT.")
	out.p("//")
	out.p("// AssemblyScript bindings of %s (Canonical ABI glue: see abi/bindgen/as.go).\n", id)
	files := make([]string, 0, len(a.imports))
	for f := range a.imports {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		names := make([]string, 0, len(a.imports[f]))
		for n := range a.imports[f] {
			names = append(names, n)
		}
		sort.Strings(names)
		imp := "./" + f
		if p, ok := a.from[f]; ok {
			imp = p
		}
		out.p("import { %s } from %q;", strings.Join(names, ", "), imp)
	}
	if len(files) > 0 {
		out.p("")
	}
	out.Write(a.types.Bytes())
	out.Write(a.body.Bytes())
	out.Write(a.helpers.Bytes())
	return trimNL(out.Bytes())
}

// typeDecl declares one named type of the interface.
func (a *asgen) typeDecl(name string, td *wit.TypeDef) {
	b := &a.types
	tn := asTypeName(td)
	switch k := td.Kind.(type) {
	case *wit.Record:
		a.docs(b, td.Docs, tn+" is the WIT record "+name+".", "")
		b.p("export class %s {", tn)
		for _, f := range k.Fields {
			a.docs(b, f.Docs, "", "  ")
			if z := a.zero(f.Type); z != "" {
				b.p("  %s: %s = %s;", asCamel(f.Name), a.asType(f.Type), z)
			} else {
				b.p("  %s!: %s;", asCamel(f.Name), a.asType(f.Type))
			}
		}
		b.p("}\n")
	case *wit.Variant:
		a.docs(b, td.Docs, tn+" is the WIT variant "+name+".", "")
		b.p("export class %s {", tn)
		for i, c := range k.Cases {
			b.p("  static readonly %s: %s = %d;", asPascal(c.Name), asDiscType(len(k.Cases)), i)
		}
		b.p("  /** tag says which case is set: one of the constants above. */")
		b.p("  tag: %s = 0;", asDiscType(len(k.Cases)))
		for _, c := range k.Cases {
			if c.Type == nil {
				continue
			}
			a.docs(b, c.Docs, "", "  ")
			if a.isRef(c.Type) {
				b.p("  %s: %s = null;", asCamel(c.Name), a.nullable(c.Type))
			} else {
				b.p("  %s: %s = %s;", asCamel(c.Name), a.asType(c.Type), a.zero(c.Type))
			}
		}
		b.p("")
		for i, c := range k.Cases {
			b.p("  /** %s returns the case %s. */", asLocal(c.Name), c.Name)
			if c.Type == nil {
				b.p("  static %s(): %s {", asLocal(c.Name), tn)
				b.p("    const v = new %s();", tn)
				b.p("    v.tag = %d;", i)
				b.p("    return v;")
				b.p("  }")
				continue
			}
			b.p("  static %s(value: %s): %s {", asLocal(c.Name), a.asType(c.Type), tn)
			b.p("    const v = new %s();", tn)
			b.p("    v.tag = %d;", i)
			b.p("    v.%s = value;", asCamel(c.Name))
			b.p("    return v;")
			b.p("  }")
		}
		b.p("")
		b.p("  /** toString names the case and its payload. */")
		b.p("  toString(): string {")
		b.p("    switch (this.tag) {")
		for i, c := range k.Cases {
			b.p("      case %d:", i)
			switch kindOf(c.Type).(type) {
			case nil:
				b.p("        return %q;", c.Name)
			case wit.String:
				b.p("        return %q + this.%s!;", c.Name+": ", asCamel(c.Name))
			case wit.Bool, wit.U8, wit.U16, wit.U32, wit.U64, wit.S8, wit.S16, wit.S32, wit.S64, wit.F32, wit.F64, wit.Char:
				b.p("        return %q + this.%s.toString();", c.Name+": ", asCamel(c.Name))
			default:
				b.p("        return %q;", c.Name)
			}
		}
		b.p("    }")
		b.p("    return \"unknown case of %s\";", name)
		b.p("  }")
		b.p("}\n")
	case *wit.Enum:
		a.docs(b, td.Docs, tn+" is the WIT enum "+name+".", "")
		b.p("export enum %s {", tn)
		for _, c := range k.Cases {
			a.docs(b, c.Docs, "", "  ")
			b.p("  %s,", asPascal(c.Name))
		}
		b.p("}\n")
	case *wit.Resource:
		// Declared with its methods (see resource).
	case *wit.List, *wit.Option, *wit.Tuple:
		a.docs(b, td.Docs, tn+" is the WIT type "+name+".", "")
		b.p("export type %s = %s;\n", tn, a.asKind(td.Kind))
	default:
		a.fail("type %s: unsupported kind %T", name, td.Kind)
	}
}

func asDiscType(n int) string {
	return map[uintptr]string{1: "u8", 2: "u16", 4: "u32"}[discSize(n)]
}

// resource declares an imported resource's class with its methods.
func (a *asgen) resource(id string, td *wit.TypeDef) {
	tn := asTypeName(td)
	b := &a.body
	drop := "_drop_" + cIdent(*td.Name)
	b.p("@external(%q, \"[resource-drop]%s\")", id, *td.Name)
	b.p("declare function %s(handle: i32): void;\n", drop)
	a.docs(b, td.Docs, tn+" is a handle to the WIT resource "+*td.Name+".", "")
	b.p("export class %s {", tn)
	b.p("  /** handle is the host's handle; 0 once dropped or given away. */")
	b.p("  constructor(public handle: i32) {}\n")
	b.p("  /** drop releases the handle: the host frees what it holds. */")
	b.p("  drop(): void {")
	b.p("    if (this.handle != 0) {")
	b.p("      %s(this.handle);", drop)
	b.p("      this.handle = 0;")
	b.p("    }")
	b.p("  }")
	for _, f := range a.iface.Functions.All() {
		if resourceOfFunc(f) == td {
			b.p("")
			a.importFunc(b, id, f, "  ")
		}
	}
	b.p("}\n")
}

// asCore is the AS type of a core wasm value type.
func asCore(k string) string {
	return k // i32, i64, f32, f64 are AS types too
}

func (a *asgen) importFunc(out *w, id string, f *wit.Function, indent string) {
	flat := flatKindsOf(f.Params)
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
		direct = asCore(flatKinds(resultT)[0])
	}
	imp := "_import_" + strings.NewReplacer("[", "", "]", "_", ".", "_", "-", "_").Replace(f.Name)
	var coreParams []string
	for i, k := range flat {
		coreParams = append(coreParams, fmt.Sprintf("a%d: %s", i, k))
	}
	// The declaration goes to the file's top level.
	a.helpers.p("@external(%q, %q)", id, f.Name)
	a.helpers.p("declare function %s(%s): %s;\n", imp, strings.Join(coreParams, ", "), direct)
	retArea := ""
	if retptr {
		retArea = "_ret" + imp
		rt := resultT
		a.helpers.p("// The return area of %s.", f.Name)
		a.helpers.p("const %s = memory.data(%d, %d);\n", retArea, rt.Size(), max(rt.Align(), 4))
	}

	ok, errT, isResult, err := funcResult(f)
	if err != nil {
		a.fail("%v", err)
		return
	}
	ret := "void"
	switch {
	case isResult && ok == nil:
		if !a.isRef(errT) {
			a.fail("%s: result<_, E> needs a reference E", f.Name)
		}
		ret = a.nullable(errT)
	case isResult:
		ret = a.cabi("Result") + "<" + a.asType(ok) + ", " + a.asType(errT) + ">"
	case resultT != nil:
		ret = a.asType(resultT)
	}
	// The AS signature: methods take self from this.
	var params []string
	wparams := f.Params
	_, isMethod := f.Kind.(*wit.Method)
	self := ""
	if isMethod {
		self = "this"
		wparams = f.Params[1:]
	}
	for _, p := range wparams {
		params = append(params, asLocal(p.Name)+": "+a.asType(p.Type))
	}
	var name string
	switch f.Kind.(type) {
	case *wit.Method:
		name = asMember(f.BaseName())
	case *wit.Static:
		name = "static " + asMember(f.BaseName())
	case *wit.Constructor:
		name = "static create"
		ret = a.asType(resultT)
	default:
		name = "export function " + asLocal(f.Name)
	}
	fallback := ""
	if isResult && ok == nil {
		fallback = "It returns null on success."
	}
	a.docs(out, f.Docs, fallback, indent)
	out.p("%s%s(%s): %s {", indent, name, strings.Join(params, ", "), ret)
	var body w
	body.p("const _mark = %s();", a.cabi("mark"))
	var args []string
	if spill {
		offs, size, align := tupleLayout(f.Params)
		body.p("// The parameters flatten to %d values: they travel in memory, as a tuple.", len(flatKindsOf(f.Params)))
		body.p("const _params = %s(%d, %d);", a.cabi("alloc"), size, align)
		for i, p := range f.Params {
			expr := self
			if i > 0 || !isMethod {
				expr = asLocal(p.Name)
			}
			a.store(&body, p.Type, expr, fmt.Sprintf("_params + %d", offs[i]))
		}
		args = append(args, "<i32>_params")
	} else {
		for i, p := range f.Params {
			expr := self
			if i > 0 || !isMethod {
				expr = asLocal(p.Name)
			}
			args = append(args, a.lowerFlat(&body, p.Type, expr)...)
		}
	}
	if retptr {
		args = append(args, "<i32>"+retArea)
	}
	call := imp + "(" + strings.Join(args, ", ") + ")"
	switch {
	case resultT == nil:
		body.p("%s;", call)
		body.p("%s(_mark);", a.cabi("release"))
	case !retptr:
		body.p("const _r0 = %s;", call)
		body.p("%s(_mark);", a.cabi("release"))
		body.p("return %s;", a.liftFlat(&body, resultT, []string{"_r0"}))
	case isResult:
		body.p("%s;", call)
		body.p("%s(_mark);", a.cabi("release"))
		po := payloadOffset(2, maxCaseAlign([]vcase{{"ok", ok}, {"err", errT}}))
		body.p("if (load<u8>(%s) != 0) {", retArea)
		eb := w{n: body.n}
		e := a.load(&eb, errT, fmt.Sprintf("%s + %d", retArea, po))
		indentInto(&body, &eb, "  ")
		if ok == nil {
			body.p("  return %s;", e)
			body.p("}")
			body.p("return null;")
		} else {
			body.p("  return %s.err<%s, %s>(%s);", a.cabi("Result"), a.asType(ok), a.asType(errT), e)
			body.p("}")
			v := a.load(&body, ok, fmt.Sprintf("%s + %d", retArea, po))
			body.p("return %s.ok<%s, %s>(%s);", a.cabi("Result"), a.asType(ok), a.asType(errT), v)
		}
	default:
		body.p("%s;", call)
		body.p("%s(_mark);", a.cabi("release"))
		body.p("return %s;", a.load(&body, resultT, retArea))
	}
	indentInto(out, &body, indent+"  ")
	out.p("%s}", indent)
	if indent == "" {
		out.p("")
	}
}

// indentInto copies src's lines into dst with indent.
func indentInto(dst, src *w, indent string) {
	dst.n = max(dst.n, src.n)
	if src.Len() == 0 {
		return
	}
	for _, l := range strings.Split(strings.TrimRight(src.String(), "\n"), "\n") {
		if l == "" {
			dst.p("")
			continue
		}
		dst.p("%s%s", indent, l)
	}
}

// exportFunc declares an export: the setter of its implementation, the
// wasm export that lifts its parameters and calls it, and its post-return.
//
// An export's results: result<T, E> is returned as Result<T, E>,
// result<_, E> as `E | null` (null: success), anything else as its AS type.
// Results that flatten to one value are returned directly; others are
// lowered into a return area the export allocates (with the strings and
// lists they point to, and byte lists copied out of the GC's heap), which
// its post-return frees once the host has read it. The area's last 4 bytes
// hold the allocation mark to free back to, so that exports nested in a
// host call of another (a reentrant Worker) free only their own.
func (a *asgen) exportFunc(id string, f *wit.Function) {
	if resourceOfFunc(f) != nil {
		a.fail("%s: exported resources are not supported", f.Name)
		return
	}
	flat := flatKindsOf(f.Params)
	if len(flat) > 16 {
		a.fail("%s: an export with more than 16 flat parameters is not supported", f.Name)
		return
	}
	okT, errT, isResult, err := funcResult(f)
	if err != nil {
		a.fail("%v", err)
		return
	}
	var resultT wit.Type
	if len(f.Results) == 1 {
		resultT = f.Results[0].Type
	}
	ret := "void"
	switch {
	case isResult && okT == nil:
		if !a.isRef(errT) {
			a.fail("%s: result<_, E> needs a reference E", f.Name)
			return
		}
		ret = a.nullable(errT)
	case isResult:
		ret = a.cabi("Result") + "<" + a.asType(okT) + ", " + a.asType(errT) + ">"
	case resultT != nil:
		ret = a.asType(resultT)
	}
	fn := asPascal(f.Name)
	var params []string
	for _, p := range f.Params {
		params = append(params, asLocal(p.Name)+": "+a.asType(p.Type))
	}
	sig := "(" + strings.Join(params, ", ") + ") => " + ret
	impl := "_impl" + fn
	b := &a.body
	b.p("let %s: (%s) | null = null;\n", impl, sig)
	b.p("/**")
	b.p(" * set%s makes fn the Worker's implementation of the export %s.", fn, f.Name)
	b.p(" * fn owns its arguments: drop the handles it does not pass on.")
	if isResult && okT == nil {
		b.p(" * It returns null on success.")
	}
	if d := strings.TrimSpace(f.Docs.Contents); d != "" {
		b.p(" *")
		b.p(" * %s:", f.Name)
		for _, l := range strings.Split(d, "\n") {
			b.p(" * %s", strings.TrimRight(l, " "))
		}
	}
	b.p(" */")
	b.p("export function set%s(fn: %s): void {", fn, sig)
	b.p("  %s = fn;", impl)
	b.p("}\n")
	as := "_export_" + a.file + "_" + cIdent(f.Name)
	post := "_post_" + a.file + "_" + cIdent(f.Name)
	*a.exports = append(*a.exports, asExport{a.file, as, id + "#" + f.Name}, asExport{a.file, post, "cabi_post_" + id + "#" + f.Name})
	var decl []string
	for i, k := range flat {
		decl = append(decl, fmt.Sprintf("a%d: %s", i, k))
	}
	direct := "void"
	retptr := false
	if resultT != nil {
		if ks := flatKinds(resultT); len(ks) == 1 {
			direct = asCore(ks[0])
		} else {
			direct, retptr = "i32", true
		}
	}
	b.p("/** %s is the wasm export %s#%s (exports.js names it). */", as, id, f.Name)
	b.p("export function %s(%s): %s {", as, strings.Join(decl, ", "), direct)
	var body w
	i := 0
	var args []string
	for _, p := range f.Params {
		n := len(flatKinds(p.Type))
		var vals []string
		for j := range n {
			vals = append(vals, fmt.Sprintf("a%d", i+j))
		}
		i += n
		v := body.fresh("_p")
		body.p("const %s = %s;", v, a.liftFlat(&body, p.Type, vals))
		args = append(args, v)
	}
	body.p("const fn = %s;", impl)
	body.p("if (fn == null) {")
	body.p("  throw new Error(\"no implementation of %s: call set%s\");", f.Name, fn)
	body.p("}")
	call := "fn(" + strings.Join(args, ", ") + ")"
	// The area: the result, then the mark (4 bytes, aligned).
	var markOff uintptr
	if retptr {
		markOff = alignTo(resultT.Size(), 4)
	}
	a.exporting = true
	switch {
	case resultT == nil:
		body.p("%s;", call)
	case !retptr:
		body.p("const _r = %s;", call)
		vals := a.lowerFlat(&body, resultT, "_r")
		body.p("return %s;", vals[0])
	default:
		body.p("const _r = %s;", call)
		body.p("const _mark = %s();", a.cabi("mark"))
		body.p("const _ret = %s(%d, %d);", a.cabi("alloc"), markOff+4, max(resultT.Align(), 4))
		body.p("store<u32>(_ret + %d, <u32>_mark);", markOff)
		switch {
		case isResult:
			po := payloadOffset(2, maxCaseAlign([]vcase{{"ok", okT}, {"err", errT}}))
			if okT == nil {
				body.p("if (_r != null) {")
			} else {
				body.p("if (_r.isErr) {")
			}
			body.p("  store<u8>(_ret, 1);")
			eb := w{n: body.n}
			e := "_r.error"
			if okT == nil {
				e = "_r!"
			}
			a.store(&eb, errT, e, fmt.Sprintf("_ret + %d", po))
			indentInto(&body, &eb, "  ")
			body.p("} else {")
			body.p("  store<u8>(_ret, 0);")
			if okT != nil {
				ob := w{n: body.n}
				a.store(&ob, okT, "_r.value", fmt.Sprintf("_ret + %d", po))
				indentInto(&body, &ob, "  ")
			}
			body.p("}")
		default:
			a.store(&body, resultT, "_r", "_ret")
		}
		body.p("return <i32>_ret;")
	}
	a.exporting = false
	indentInto(b, &body, "  ")
	b.p("}\n")
	if !retptr {
		b.p("/** %s is cabi_post_%s#%s: there is nothing to free. */", post, id, f.Name)
		if direct == "void" {
			b.p("export function %s(): void {}\n", post)
		} else {
			b.p("export function %s(ret: %s): void {}\n", post, direct)
		}
		return
	}
	b.p("/** %s is cabi_post_%s#%s: it frees the return area and what it points to. */", post, id, f.Name)
	b.p("export function %s(ret: i32): void {", post)
	b.p("  %s(<usize>load<u32>(<usize>ret + %d));", a.cabi("release"), markOff)
	b.p("}\n")
}
