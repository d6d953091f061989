// Package bindgen generates the Canonical ABI glue between WIT and Go, C
// and AssemblyScript: typed host code for wazero (each import becomes an
// api.GoModuleFunc that lifts its arguments with package abi, calls a
// typed Go method and lowers the result; each export becomes a typed
// caller) and guest bindings (Go for GOOS=wasip1 with //go:wasmimport and
// //go:wasmexport, C for clang, AssemblyScript), all with explicit
// Canonical ABI layouts.
//
// # Any world
//
// GenerateWorld generates the bindings of one world of a user's WIT: for
// the Go host, a typed caller of the world's exports over an abi.Caller
// (a *host.Guest), a Check of a guest's exports, and for each import an
// interface to implement with a binding that serves it; for the guests,
// Go and C bindings (a Rust guest uses upstream wit-bindgen on the same
// WIT). The world may import and export interfaces and functions of its
// own, and declare types. "bindery bindgen" is its command line:
//
//	res, err := bindgen.LoadWIT("wit")
//	...
//	files, err := bindgen.GenerateWorld(res, bindgen.WorldOptions{World: "image-filter", Langs: []bindgen.Lang{bindgen.GoHost}})
//	...
//	err = bindgen.WriteFiles("imagefilter", files)
//
// docs/plugins.md walks through a plugin from its WIT to a call.
//
// # Bindery's own bindings
//
// Generate makes the bindings of Bindery's own WIT (wit/), each interface
// into the package Config names; cmd/bindery-bindgen runs it.
//
// # What WIT
//
// Go and C support bool, integers, floats, char, string, list, option,
// result (as a function result), tuple, record, variant, enum, flags (up
// to 32), and resources with own/borrow handles (in interfaces); the
// AssemblyScript backend all but flags. Anything else (a result inside
// another type, a 3-tuple) is an error naming the type, never a silent
// miscompile.
package bindgen

import (
	"bytes"
	"fmt"
	"go/format"
	"path"
	"slices"
	"sort"
	"strings"

	"go.bytecodealliance.org/wit"
)

// Target says where the Go code for one WIT interface goes.
type Target struct {
	// Interface is the WIT interface without version, e.g. "bindery:kv/store".
	Interface string
	// HostDir is the host package's directory, relative to the repository root; "" = none.
	HostDir string
	// GuestDir is the Go guest package's directory, relative to the repository root; "" = none.
	GuestDir string
	// CDir, for an optional export of World (one the host looks for only
	// when the guest uses it, e.g. a queue handler), is the directory of
	// its C bindings instead of Config.CDir, relative to the repository
	// root: every C guest compiles CDir, and an export there would have to
	// be implemented by every guest, whereas this directory is compiled
	// only into a guest that implements the export. Its files include
	// CDir's headers by a relative path and share CDir's bindery_cabi
	// files. "" = CDir.
	CDir string
}

// Config names the Go import paths of the generated packages.
type Config struct {
	// Module is the host Go module path, e.g. "github.com/bindery-run/bindery".
	Module string
	// GuestModule is the guest SDK module path and GuestModuleDir its directory.
	GuestModule, GuestModuleDir string
	// Targets lists every interface to generate.
	Targets []Target
	// World is the world the guest implements, e.g. "worker".
	World string
	// Worlds are more worlds a target interface may come from, each a
	// superset of World that some guests implement instead (e.g.
	// "worker-with-objects", a Worker that also exports object events).
	// Their interfaces get Go host and guest code, and C and
	// AssemblyScript code only where WorldCDirs and WorldASDirs say: CDir
	// and ASDir hold the bindings of World's
	// interfaces, which every C and AssemblyScript guest compiles, and an
	// export there would have to be implemented by every guest.
	Worlds []string
	// WorldCDirs maps a world of Worlds to a directory, relative to the
	// repository root, for the C guest bindings of the target interfaces
	// it has and World lacks (e.g. "worker-with-objects" to
	// "guest-sdk/c/generated-durable"). A C guest of that world compiles
	// both CDir and this directory; its files include CDir's headers by a
	// relative path and share CDir's bindery_cabi files. It needs CDir.
	WorldCDirs map[string]string
	// CDir is the directory of the C guest bindings of every target
	// interface of World, relative to the repository root; "" = none (see
	// c.go).
	CDir string
	// ASDir is the directory of the AssemblyScript guest bindings of every
	// target interface of World, relative to the repository root; "" =
	// none (see as.go).
	ASDir string
	// WorldASDirs maps a world of Worlds to a directory, relative to the
	// repository root, for the AssemblyScript guest bindings of the target
	// interfaces it has and World lacks (e.g. "worker-with-objects" to
	// "guest-sdk/assemblyscript/generated-durable"), with exports.ts and
	// exports.js of their own. Only a guest of that world compiles it; its
	// files import ASDir's (cabi.ts and World's interfaces) by relative
	// path. It needs ASDir.
	WorldASDirs map[string]string
	// ASOptionalExports lists interfaces World exports that a guest may
	// leave out (e.g. "bindery:queue/consumer": the host looks for the
	// export only when the Worker consumes a queue). Their wasm exports
	// are not in ASDir's exports.ts and exports.js, which every
	// AssemblyScript guest compiles, but in exports_<file>.ts and
	// exports_<file>.js of their own in ASDir (exports_queue_consumer.ts),
	// which guest-sdk/assemblyscript/transform.js compiles only into a
	// Worker that defines the handler. It needs ASDir.
	ASOptionalExports []string
}

// File is one generated file.
type File struct {
	// Path is the file's path: for Generate, relative to the repository
	// root; for GenerateWorld, relative to the output folder of its Lang.
	Path string
	// Data is the file's content.
	Data []byte
	// Lang is the language GenerateWorld made the file for ("" for Generate).
	Lang Lang
}

type gen struct {
	cfg   Config
	res   *wit.Resolve
	world *wit.World
	// byIface maps an interface to its target.
	byIface map[*wit.Interface]*Target
	// imported and exported interfaces of the world.
	imported map[*wit.Interface]bool
	exported map[*wit.Interface]bool

	// cDirOf is the C directory of each interface Generate writes C
	// bindings for (CDir, or a WorldCDirs directory); empty for
	// GenerateWorld, whose C files share one directory.
	cDirOf map[*wit.Interface]string

	// asOptional holds the interfaces of Config.ASOptionalExports.
	asOptional map[*wit.Interface]bool

	// world holds what only GenerateWorld sets: the pseudo-interfaces of
	// the world's own functions and types; nil for Generate.
	wm *worldMode
}

// Generate returns the files for every target.
func Generate(res *wit.Resolve, cfg Config) ([]File, error) {
	g := &gen{cfg: cfg, res: res, byIface: map[*wit.Interface]*Target{}, imported: map[*wit.Interface]bool{}, exported: map[*wit.Interface]bool{}}
	worlds := map[string]*wit.World{}
	for _, w := range res.Worlds {
		worlds[w.Name] = w
	}
	g.world = worlds[cfg.World]
	if g.world == nil {
		return nil, fmt.Errorf("bindgen: no world %q in the WIT", cfg.World)
	}
	// inMain holds the interfaces of World: only they get AS code, and C
	// code in CDir. inWorld holds, for each world of Worlds, its
	// interfaces.
	inMain := map[*wit.Interface]bool{}
	inWorld := map[string]map[*wit.Interface]bool{}
	for wi, name := range append([]string{cfg.World}, cfg.Worlds...) {
		w := worlds[name]
		if w == nil {
			return nil, fmt.Errorf("bindgen: no world %q in the WIT", name)
		}
		if inWorld[name] == nil {
			inWorld[name] = map[*wit.Interface]bool{}
		}
		for _, item := range w.Imports.All() {
			if ref, ok := item.(*wit.InterfaceRef); ok {
				g.imported[ref.Interface] = true
				inMain[ref.Interface] = inMain[ref.Interface] || wi == 0
				inWorld[name][ref.Interface] = true
			}
		}
		for _, item := range w.Exports.All() {
			if ref, ok := item.(*wit.InterfaceRef); ok {
				g.exported[ref.Interface] = true
				inMain[ref.Interface] = inMain[ref.Interface] || wi == 0
				inWorld[name][ref.Interface] = true
			}
		}
	}
	if err := checkWorldCDirs(cfg); err != nil {
		return nil, err
	}
	if err := checkWorldASDirs(cfg); err != nil {
		return nil, err
	}
	for i := range g.imported {
		if g.exported[i] {
			return nil, fmt.Errorf("bindgen: interface %s is imported by one world and exported by another", ifaceID(i))
		}
	}
	for ti := range cfg.Targets {
		t := &cfg.Targets[ti]
		found := false
		for _, iface := range res.Interfaces {
			if iface.Name != nil && ifaceBase(iface) == t.Interface {
				g.byIface[iface] = t
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("bindgen: no interface %q in the WIT", t.Interface)
		}
	}
	var files []File
	ifaces := make([]*wit.Interface, 0, len(g.byIface))
	for i := range g.byIface {
		ifaces = append(ifaces, i)
	}
	sort.Slice(ifaces, func(a, b int) bool { return ifaceID(ifaces[a]) < ifaceID(ifaces[b]) })
	var mainIfaces []*wit.Interface
	for _, iface := range ifaces {
		t := g.byIface[iface]
		if !g.imported[iface] && !g.exported[iface] {
			return nil, fmt.Errorf("bindgen: interface %s is not in world %s", ifaceID(iface), strings.Join(append([]string{cfg.World}, cfg.Worlds...), " or "))
		}
		if inMain[iface] {
			mainIfaces = append(mainIfaces, iface)
		} else if t.CDir != "" {
			return nil, fmt.Errorf("bindgen: Target %s: CDir %q is for an optional export of world %s, and the interface is not in it", t.Interface, t.CDir, cfg.World)
		}
		if t.HostDir != "" {
			f, err := g.hostFile(iface, t)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
		if t.GuestDir != "" {
			f, err := g.guestFile(iface, t)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
	}
	if cfg.CDir != "" {
		// Each interface's C directory first: a file includes the headers
		// of the interfaces it uses from wherever they are.
		g.cDirOf = map[*wit.Interface]string{}
		extra := map[string][]*wit.Interface{}
		var inCDir []*wit.Interface
		var optional []string // the Target.CDir directories, in order
		for _, iface := range mainIfaces {
			dir := g.byIface[iface].CDir
			if dir == "" {
				g.cDirOf[iface] = cfg.CDir
				inCDir = append(inCDir, iface)
				continue
			}
			if err := checkTargetCDir(cfg, iface, dir, g.exported[iface]); err != nil {
				return nil, err
			}
			if len(extra[dir]) == 0 {
				optional = append(optional, dir)
			}
			g.cDirOf[iface] = dir
			extra[dir] = append(extra[dir], iface)
		}
		for _, name := range cfg.Worlds {
			dir := cfg.WorldCDirs[name]
			if dir == "" {
				continue
			}
			for _, iface := range ifaces {
				if inWorld[name][iface] && g.cDirOf[iface] == "" {
					g.cDirOf[iface] = dir
					extra[dir] = append(extra[dir], iface)
				}
			}
		}
		cf, err := g.cFiles(inCDir)
		if err != nil {
			return nil, err
		}
		files = append(files, cf...)
		for _, dir := range optional {
			cf, err := g.cFilesIn(dir, extra[dir], false)
			if err != nil {
				return nil, err
			}
			files = append(files, cf...)
		}
		for _, name := range cfg.Worlds {
			dir := cfg.WorldCDirs[name]
			if len(extra[dir]) == 0 {
				continue
			}
			cf, err := g.cFilesIn(dir, extra[dir], false)
			if err != nil {
				return nil, err
			}
			files = append(files, cf...)
		}
	}
	optional, err := g.asOptionalExports(ifaces, mainIfaces)
	if err != nil {
		return nil, err
	}
	g.asOptional = optional
	if cfg.ASDir != "" {
		af, err := g.asFiles(mainIfaces, nil)
		if err != nil {
			return nil, err
		}
		files = append(files, af...)
	}
	af, err := g.asWorldFiles(ifaces, mainIfaces, inWorld)
	if err != nil {
		return nil, err
	}
	files = append(files, af...)
	return files, nil
}

// checkWorldCDirs refuses a WorldCDirs that names a world not in Worlds,
// a directory of CDir or of two worlds, or that is given without CDir.
func checkWorldCDirs(cfg Config) error {
	if len(cfg.WorldCDirs) == 0 {
		return nil
	}
	if cfg.CDir == "" {
		return fmt.Errorf("bindgen: WorldCDirs needs CDir (the files there include CDir's headers)")
	}
	names := make([]string, 0, len(cfg.WorldCDirs))
	for name := range cfg.WorldCDirs {
		names = append(names, name)
	}
	sort.Strings(names)
	seen := map[string]string{}
	for _, name := range names {
		dir := cfg.WorldCDirs[name]
		if !slices.Contains(cfg.Worlds, name) {
			return fmt.Errorf("bindgen: WorldCDirs names world %q, which is not in Worlds", name)
		}
		if dir == "" || path.Clean(dir) == path.Clean(cfg.CDir) {
			return fmt.Errorf("bindgen: WorldCDirs[%q] = %q: want a directory other than CDir", name, dir)
		}
		if other, ok := seen[path.Clean(dir)]; ok {
			return fmt.Errorf("bindgen: WorldCDirs gives worlds %q and %q one directory %q", other, name, dir)
		}
		seen[path.Clean(dir)] = name
	}
	return nil
}

// checkTargetCDir refuses a Target.CDir for an interface World imports
// (every guest may call it, so it belongs in CDir), or that is CDir or a
// WorldCDirs directory.
func checkTargetCDir(cfg Config, iface *wit.Interface, dir string, exported bool) error {
	if !exported {
		return fmt.Errorf("bindgen: Target %s: CDir %q is for an optional export, and %s is imported", ifaceBase(iface), dir, ifaceID(iface))
	}
	if path.Clean(dir) == path.Clean(cfg.CDir) {
		return fmt.Errorf("bindgen: Target %s: CDir %q: want a directory other than Config.CDir", ifaceBase(iface), dir)
	}
	for name, wdir := range cfg.WorldCDirs {
		if path.Clean(dir) == path.Clean(wdir) {
			return fmt.Errorf("bindgen: Target %s: CDir %q is world %q's WorldCDirs directory", ifaceBase(iface), dir, name)
		}
	}
	return nil
}

func ifaceBase(i *wit.Interface) string {
	if isPseudo(i) {
		return rootModule
	}
	return i.Package.Name.Namespace + ":" + i.Package.Name.Package + "/" + *i.Name
}

func ifaceID(i *wit.Interface) string {
	id := ifaceBase(i)
	if v := i.Package.Name.Version; v != nil && !isPseudo(i) {
		id += "@" + v.String()
	}
	return id
}

func fileName(i *wit.Interface) string {
	if isPseudo(i) {
		return "world_" + strings.TrimPrefix(*i.Name, "$") + "_gen.go"
	}
	return strings.ReplaceAll(*i.Name, "-", "_") + "_gen.go"
}

// exportName is the core export name of function f of the interface with
// ID id: "id#f", or just f for a function of the world itself.
func exportName(id, f string) string {
	if id == rootModule {
		return f
	}
	return id + "#" + f
}

// ig is the Go name of an interface, used in the names of what its files
// declare (KVHost, DefineStore, StoreExports).
func (g *gen) ig(i *wit.Interface) string {
	if g.wm != nil {
		if n, ok := g.wm.goNames[i]; ok {
			return n
		}
	}
	return goName(*i.Name)
}

// ownerOf is the interface that owns a named type: its interface, or the
// pseudo-interface of the world's own types.
func (g *gen) ownerOf(td *wit.TypeDef) (*wit.Interface, bool) {
	switch o := td.Owner.(type) {
	case *wit.Interface:
		return o, true
	case *wit.World:
		if g.wm != nil && g.wm.types != nil && o == g.world {
			return g.wm.types, true
		}
	}
	return nil, false
}

func pkgName(dir string) string { return path.Base(dir) }

func gofmt(name string, src []byte) ([]byte, error) {
	out, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("bindgen: %s: generated code does not parse: %w\n%s", name, err, numbered(src))
	}
	return out, nil
}

// generatedBy is the first line of every generated file.
func (g *gen) generatedBy() string {
	if g.wm != nil {
		return "// Code generated by bindery bindgen from the WIT of world " + worldID(g.world) + "; DO NOT EDIT."
	}
	return "// Code generated by bindery-bindgen from the WIT in wit/; DO NOT EDIT."
}

func numbered(src []byte) string {
	var b strings.Builder
	for i, l := range strings.Split(string(src), "\n") {
		fmt.Fprintf(&b, "%4d %s\n", i+1, l)
	}
	return b.String()
}

// w is a code buffer.
type w struct {
	bytes.Buffer
	n int // counter for fresh names
}

func (b *w) p(format string, args ...any) { fmt.Fprintf(&b.Buffer, format, args...); b.WriteByte('\n') }

func (b *w) fresh(prefix string) string {
	b.n++
	return fmt.Sprintf("%s%d", prefix, b.n)
}

// typeOwner returns the interface that owns a named type def, following `use` aliases.
func root(t wit.Type) wit.Type {
	for {
		td, ok := t.(*wit.TypeDef)
		if !ok {
			return t
		}
		if inner, ok := td.Kind.(*wit.TypeDef); ok {
			t = inner
			continue
		}
		return td
	}
}

func docs(b *w, d wit.Docs, fallback string) {
	text := strings.TrimSpace(d.Contents)
	if text == "" {
		text = fallback
	}
	for _, l := range strings.Split(text, "\n") {
		b.p("// %s", strings.TrimRight(l, " "))
	}
}

// flatKinds returns the core value types of t's flattening: "i32", "i64", "f32", "f64".
func flatKinds(t wit.Type) []string {
	var out []string
	for _, f := range t.Flat() {
		out = append(out, coreKind(f))
	}
	return out
}

func coreKind(f wit.Type) string {
	switch f.(type) {
	case wit.S64, wit.U64:
		return "i64"
	case wit.F32:
		return "f32"
	case wit.F64:
		return "f64"
	default:
		return "i32"
	}
}

func discSize(n int) uintptr {
	switch {
	case n <= 1<<8:
		return 1
	case n <= 1<<16:
		return 2
	default:
		return 4
	}
}

// discGoType is the Go type of a discriminant: an enum, or a variant's Tag.
// It must hold every case, so it follows discSize.
func discGoType(n int) string {
	return map[uintptr]string{1: "uint8", 2: "uint16", 4: "uint32"}[discSize(n)]
}

func alignTo(n, a uintptr) uintptr { return (n + a - 1) / a * a }

// payloadOffset is the offset of a variant's payload.
func payloadOffset(cases int, maxAlign uintptr) uintptr {
	return alignTo(discSize(cases), maxAlign)
}

// variantCases returns a variant-like type's cases as (name, type) pairs.
type vcase struct {
	name string
	typ  wit.Type // nil if no payload
}

func variantOf(kind wit.TypeDefKind) ([]vcase, bool) {
	switch k := kind.(type) {
	case *wit.Variant:
		var cs []vcase
		for _, c := range k.Cases {
			cs = append(cs, vcase{c.Name, c.Type})
		}
		return cs, true
	case *wit.Option:
		return []vcase{{"none", nil}, {"some", k.Type}}, true
	case *wit.Result:
		return []vcase{{"ok", k.OK}, {"err", k.Err}}, true
	case *wit.Enum:
		var cs []vcase
		for _, c := range k.Cases {
			cs = append(cs, vcase{c.Name, nil})
		}
		return cs, true
	}
	return nil, false
}

func maxCaseAlign(cs []vcase) uintptr {
	a := uintptr(1)
	for _, c := range cs {
		if c.typ != nil && c.typ.Align() > a {
			a = c.typ.Align()
		}
	}
	return a
}

func kindOf(t wit.Type) wit.TypeDefKind {
	t = root(t)
	if td, ok := t.(*wit.TypeDef); ok {
		return td.Kind
	}
	return t
}

// flagsWidth is the bits of the integer that holds a flags value: 8, 16
// or 32. Flags with more than 32 members (which the Component Model is
// dropping) are not supported.
func flagsWidth(k *wit.Flags) int {
	switch k.Size() {
	case 1:
		return 8
	case 2:
		return 16
	}
	return 32
}

func isU8(t wit.Type) bool { _, ok := root(t).(wit.U8); return ok }

// resourceOf returns the resource type def of a handle type, or nil.
func resourceOf(t wit.Type) (*wit.TypeDef, bool, bool) {
	switch k := kindOf(t).(type) {
	case *wit.Own:
		return root(k.Type).(*wit.TypeDef), true, true
	case *wit.Borrow:
		return root(k.Type).(*wit.TypeDef), false, true
	}
	return nil, false, false
}

func resourceID(td *wit.TypeDef) string {
	if o, ok := td.Owner.(*wit.Interface); ok {
		return ifaceID(o) + "#" + *td.Name
	}
	return rootModule + "#" + *td.Name
}

// funcResult splits a function's results into (value type, error type, isResult).
func funcResult(f *wit.Function) (ok wit.Type, errT wit.Type, isResult bool, err error) {
	switch len(f.Results) {
	case 0:
		return nil, nil, false, nil
	case 1:
		if r, isR := kindOf(f.Results[0].Type).(*wit.Result); isR {
			if r.Err == nil {
				return nil, nil, false, fmt.Errorf("bindgen: %s: result without an error type is not supported", f.Name)
			}
			return r.OK, r.Err, true, nil
		}
		return f.Results[0].Type, nil, false, nil
	}
	return nil, nil, false, fmt.Errorf("bindgen: %s: multiple named results are not supported", f.Name)
}

// tupleLayout returns the offsets of params stored as one tuple, and the
// tuple's size and alignment: how the Canonical ABI spills parameters that
// flatten to more than 16 values.
func tupleLayout(params []wit.Param) (offs []uintptr, size, align uintptr) {
	align = 1
	for _, p := range params {
		a := p.Type.Align()
		size = alignTo(size, a)
		offs = append(offs, size)
		size += p.Type.Size()
		align = max(align, a)
	}
	return offs, alignTo(size, align), align
}

// isErrorType says whether td is the error type of some function's result,
// in any interface: only those variants get an Error method.
func (g *gen) isErrorType(td *wit.TypeDef) bool {
	ifaces := g.res.Interfaces
	if g.wm != nil {
		ifaces = append(slices.Clip(ifaces), g.wm.pseudos...)
	}
	for _, iface := range ifaces {
		for _, f := range iface.Functions.All() {
			if _, errT, isResult, _ := funcResult(f); isResult && errT != nil {
				if et, ok := root(errT).(*wit.TypeDef); ok && et == td {
					return true
				}
			}
		}
	}
	return false
}
